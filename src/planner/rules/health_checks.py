"""Prerequisite order of health checks (docs/health-checks.md#prerequisites).

A check may name another as its prerequisite: a doctor's fitness clearance before the PCR sample, say. When a
passenger needs both, the prerequisite's result (its sample end + its `turnaround_hours`) is in before the
dependent check's sample starts. The planner keeps the order by cutting the span the two windows share
(`planner.rules.testing_windows.general_windows`); this check reads the bookings themselves.

Parameters: `protocol.checks[].prerequisite`, `turnaround_hours`. Reason code: `test.no_valid_slot` (a passenger
whose cut windows leave no slot; the detail names the check). Violation id: `check_prerequisite`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.testing_windows import bookings_by_check, need_key

REASON = "test.no_valid_slot"


def check_prerequisites(ctx: Context) -> Iterator[Violation]:
    """Every booking of a check with a prerequisite starts after the prerequisite's result is in, for the same
    passenger (whether each is needed at all is `testing_windows.check_tests`)."""
    checks = {c.id: c for c in ctx.scenario.protocol.checks}
    if not any(c.prerequisite for c in checks.values()):
        return
    bookings = bookings_by_check(ctx)
    for key, books in sorted(bookings.items()):
        who, _, check_id = key.partition("#")
        check = checks.get(check_id)
        if check is None or check.prerequisite is None:
            continue
        first = checks[check.prerequisite]
        for a in bookings.get(need_key(who, first.id), []):
            ready = a.end + timedelta(hours=first.turnaround_hours)
            for b in books:
                if b.start < ready:
                    yield violation("check_prerequisite",
                                    f"check {check.id} sample {b.start:%Y-%m-%d %H:%M} starts before the result of "
                                    f"its prerequisite {first.id} is in ({ready:%Y-%m-%d %H:%M})",
                                    b.flight_id or ctx.flight_of.get(who), who)


CHECKS = (PlanCheck(("check_prerequisite",), check_prerequisites),)
SEAT_CHECKS = ()
