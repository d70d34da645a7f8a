"""The seat-by-seat checks of every rule family, walked over the seated flights of a plan:
`seating_violations(scenario, plan)`.

No solver code here: each check is a small named function of its family module (`planner.rules`) over the seats
a plan gives, so the validator can check any plan (ours, an officer's edit, a pinned seat) the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.rules.base import SeatContext
from planner.rules.occupants import CaseIndex, case_index, flight_facts
from planner.rules.registry import SEAT_CHECKS
from planner.rules.seats import raw_seats
from planner.seating.seatmaps import SeatMapError

#: Seat checks by id (an id with several checks runs them in turn).
RULES: dict[str, Callable[[SeatContext], Iterator[Violation]]] = {}


def _by_id(rule_id: str) -> Callable[[SeatContext], Iterator[Violation]]:
    checks = [c.check for c in SEAT_CHECKS if c.id == rule_id]

    def run(ctx: SeatContext) -> Iterator[Violation]:
        for check in checks:
            yield from check(ctx)

    return run


for _id in dict.fromkeys(c.id for c in SEAT_CHECKS):
    RULES[_id] = _by_id(_id)


def flight_violations(scenario: Scenario, flight_plan: FlightPlan, index: CaseIndex | None = None
                      ) -> list[Violation]:
    """Every seat-by-seat rule broken on one flight of a plan."""
    try:
        facts = flight_facts(scenario, flight_plan, index)
    except SeatMapError as exc:
        return [Violation(rule="seat.unknown", message=str(exc), flight_id=flight_plan.flight_id)]
    by_id = facts.seat_map.by_id()
    seat_of = {pid: by_id[s] for pid, s in raw_seats(flight_plan)
               if s is not None and s in by_id and pid in facts.occupants}
    ctx = SeatContext(scenario, flight_plan, facts, seat_of)
    out: list[Violation] = []
    for c in SEAT_CHECKS:
        for v in c.check(ctx):
            if v.rule != c.id:
                raise ValueError(f"seat check {c.id} reported {v.rule}")
            out.append(v)
    return out


def seating_violations(scenario: Scenario, plan: Plan, index: CaseIndex | None = None) -> list[Violation]:
    """Check every seat-by-seat rule on the flights of `plan` whose seats are set, or on every flight once the
    seating stage ran (then everyone seated must have a seat: `seat.missing`)."""
    out: list[Violation] = []
    ids = {f.id for f in scenario.flights}
    index = index or case_index(scenario)
    for fp in sorted(plan.flights, key=lambda f: f.flight_id):
        if fp.flight_id not in ids:
            continue
        seated = any(p.seat is not None for p in fp.passengers) or any(e.seat is not None for e in fp.escorts)
        if seated or plan.stages.seating is not None:
            out.extend(flight_violations(scenario, fp, index))
    return out

