"""Explanations (docs/rules.md#explanations): everyone left out has true reasons from the closed registry.

Violation ids: `reasons` (present, registered, naming real flights, each said once), `reason_per_flight` (every
serving flight named by a reason),
`reason_true` (gate and `flight.no_destination` reasons the scenario alone decides are true).
"""

from __future__ import annotations

from collections.abc import Iterator

from planner.model.plan import ALL_FLIGHTS, Reason, Unassigned
from planner.model.reasons import REGISTRY
from planner.model.scenario import Person
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.gates import GATE_CHECKS, gate_fails


def check_reasons(ctx: Context) -> Iterator[Violation]:
    """Everyone left out has reasons, each from the closed registry, naming real flights, and said once: the
    same code and words twice for one person is the per-flight repetition the plan format leaves out."""
    for u in ctx.plan.unassigned:
        if not u.reasons:
            yield violation("reasons", "unassigned without a reason", person_id=u.person_id)
        seen: set[tuple[str, str, bool]] = set()
        for r in u.reasons:
            for fault in _faults(ctx, r):
                yield violation("reasons", fault, person_id=u.person_id)
            key = (r.code, r.message, r.flights is None)
            if key in seen:
                yield violation("reasons", f"reason {r.code} is given twice with the same words",
                                person_id=u.person_id)
            seen.add(key)


def _faults(ctx: Context, r: Reason) -> Iterator[str]:
    """What is wrong with one reason on its own: an unregistered code, an unknown flight, an empty or repeated
    flight list."""
    if r.code not in REGISTRY:
        yield f"unknown reason code {r.code}"
    if r.flights is None or r.flights == ALL_FLIGHTS:
        return
    for fid in r.flights:
        if fid not in ctx.flights:
            yield f"reason {r.code} names unknown flight {fid}"
    if not r.flights or len(set(r.flights)) != len(r.flights):
        yield f"reason {r.code} names no flight or one flight twice"


def _per_flight_gaps(ctx: Context, p: Person, u: Unassigned) -> Iterator[Violation]:
    serving = ctx.serving(p.destination)
    if not serving:
        if not any(r.code == "flight.no_destination" or (r.code in GATE_CHECKS and r.flights is None)
                   for r in u.reasons):
            yield violation("reason_per_flight", f"no flight serves {p.destination}, but neither "
                                                 "flight.no_destination nor a gate is given", person_id=p.case_id)
        return
    if any(r.code == "pin.conflict" for r in u.reasons):
        return
    covered = {fid for fid, _ in u.flight_reasons([f.id for f in serving])}
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
        for fid, r in u.flight_reasons([f.id for f in ctx.serving(p.destination)]):
            if r.code == "flight.no_destination" and ctx.serving(p.destination):
                yield violation("reason_true", f"flight.no_destination, but {ctx.serving(p.destination)[0].id} "
                                               f"serves {p.destination}", person_id=p.case_id)
            if r.code not in GATE_CHECKS or (fid is not None and fid not in ctx.flights):
                continue
            fails, on = gate_fails(ctx, p, r.code, fid)
            if not fails:
                yield violation("reason_true", f"{r.code} given, but the person passes that gate on {on}",
                                fid, p.case_id)


CHECKS = (PlanCheck(("reasons",), check_reasons), PlanCheck(("reason_per_flight",), check_reason_per_flight),
          PlanCheck(("reason_true",), check_reasons_true))
SEAT_CHECKS = ()
