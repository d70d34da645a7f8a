"""Explanations (docs/rules.md#explanations): everyone left out has true reasons from the closed registry.

Violation ids: `reasons` (present, registered, naming real flights), `reason_per_flight` (one per serving flight),
`reason_true` (gate and `flight.no_destination` reasons the scenario alone decides are true).
"""

from __future__ import annotations

from collections.abc import Iterator

from planner.model.plan import Unassigned
from planner.model.reasons import REGISTRY
from planner.model.scenario import Person
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.gates import GATE_CHECKS, gate_fails


def check_reasons(ctx: Context) -> Iterator[Violation]:
    """Everyone left out has reasons, each from the closed registry and naming a real flight."""
    for u in ctx.plan.unassigned:
        if not u.reasons:
            yield violation("reasons", "unassigned without a reason", person_id=u.person_id)
        for r in u.reasons:
            if r.code not in REGISTRY:
                yield violation("reasons", f"unknown reason code {r.code}", person_id=u.person_id)
            if r.flight_id is not None and r.flight_id not in ctx.flights:
                yield violation("reasons", f"reason {r.code} names unknown flight {r.flight_id}",
                                person_id=u.person_id)


def _per_flight_gaps(ctx: Context, p: Person, u: Unassigned) -> Iterator[Violation]:
    serving = ctx.serving(p.destination)
    if not serving:
        if not any(r.code == "flight.no_destination" or (r.code in GATE_CHECKS and r.flight_id is None)
                   for r in u.reasons):
            yield violation("reason_per_flight", f"no flight serves {p.destination}, but neither "
                                                 "flight.no_destination nor a gate is given", person_id=p.case_id)
        return
    if any(r.code == "pin.conflict" for r in u.reasons):
        return
    covered = {r.flight_id for r in u.reasons}
    for f in serving:
        if f.id not in covered:
            yield violation("reason_per_flight", f"no reason given for flight {f.id}, which serves {p.destination}",
                            f.id, p.case_id)


def check_reason_per_flight(ctx: Context) -> Iterator[Violation]:
    """A reason for every flight serving the destination, with that flight's id, or, when none serves it,
    `flight.no_destination` or a flight-independent gate. A variant exclusion covers every flight; a pin
    conflict covers the flights the pin took the household off."""
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        if p is None or not u.reasons or any(r.code == "variant.excluded" for r in u.reasons):
            continue
        yield from _per_flight_gaps(ctx, p, u)


def check_reasons_true(ctx: Context) -> Iterator[Violation]:
    """Reasons the scenario alone decides must be true: a gate the person fails on that flight's date, and
    `flight.no_destination` only when no flight serves the destination."""
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        if p is None:
            continue
        for r in u.reasons:
            if r.code == "flight.no_destination" and ctx.serving(p.destination):
                yield violation("reason_true", f"flight.no_destination, but {ctx.serving(p.destination)[0].id} "
                                               f"serves {p.destination}", person_id=p.case_id)
            if r.code not in GATE_CHECKS or (r.flight_id is not None and r.flight_id not in ctx.flights):
                continue
            fails, on = gate_fails(ctx, p, r.code, r.flight_id)
            if not fails:
                yield violation("reason_true", f"{r.code} given, but the person passes that gate on {on}",
                                r.flight_id, p.case_id)


CHECKS = (PlanCheck(("reasons",), check_reasons), PlanCheck(("reason_per_flight",), check_reason_per_flight),
          PlanCheck(("reason_true",), check_reasons_true))
SEAT_CHECKS = ()
