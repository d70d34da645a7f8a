"""Plan integrity (docs/rules.md#plan-integrity): the plan document accounts for every person and flight once.

Violation ids: `person_once`, `known_flight`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation


def check_person_once(ctx: Context) -> Iterator[Violation]:
    """Everyone is accounted for once: a person on two flights or missing would be lost or double-booked."""
    seen: Counter[str] = Counter()
    for fp in ctx.plan.flights:
        for pa in fp.passengers:
            seen[pa.person_id] += 1
    for u in ctx.plan.unassigned:
        seen[u.person_id] += 1
    for pid, n in sorted(seen.items()):
        if pid not in ctx.people:
            yield violation("person_once", "unknown person in the plan", person_id=pid)
        elif n > 1:
            yield violation("person_once", f"appears {n} times (on flights and/or unassigned)", person_id=pid)
    for pid in sorted(set(ctx.people) - set(seen)):
        yield violation("person_once", "missing from the plan (neither on a flight nor unassigned)", person_id=pid)


def check_known_flight(ctx: Context) -> Iterator[Violation]:
    """A flight entry must name a scenario flight, once: two entries would double its capacity."""
    ids = Counter(fp.flight_id for fp in ctx.plan.flights)
    for fid, n in sorted(ids.items()):
        if fid not in ctx.flights:
            yield violation("known_flight", "flight not in the scenario", flight_id=fid)
        elif n > 1:
            yield violation("known_flight", "flight listed more than once", flight_id=fid)


CHECKS = (PlanCheck(("person_once",), check_person_once), PlanCheck(("known_flight",), check_known_flight))
SEAT_CHECKS = ()
