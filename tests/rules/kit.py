"""Hand-made plans for the rule-family tests: one flight, the people on it, and what the validator finds."""

from __future__ import annotations

from typing import Any

from builders import person, scenario
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan, Reason, TestBooking, Unassigned
from planner.model.scenario import Escort, Person, Scenario
from planner.oracle.validate import validate

__all__ = ["board", "found", "person", "world"]


def world(people: list[Person], escorts: list[Escort] | None = None, vaccinated: bool = True,
          **kw: Any) -> Scenario:
    """A scenario on the builders' SMALL cabin; vaccinated people and escorts need no test to Erbil."""
    people = [p.model_copy(update={"vaccinated": vaccinated}) for p in people]
    escorts = escorts if escorts is not None else [Escort(id="OPS-1", role="operational")]
    escorts = [e.model_copy(update={"vaccinated": vaccinated}) for e in escorts]
    return scenario(people, escorts=escorts, **kw)


def board(s: Scenario, on: list[str], *, fid: str = "F1", laps: dict[str, str] | None = None,
          seats: dict[str, str] | None = None, escorts: dict[str, list[str]] | None = None,
          out: dict[str, list[Reason]] | None = None, tests: list[TestBooking] | None = None,
          provisional: list[str] | None = None) -> Plan:
    """A plan with `on` on flight `fid` (lap infants in `laps`), `escorts` (id -> people served; default the
    operational escort), `seats` for whom they are given, and everyone else unassigned with `out` reasons."""
    laps, seats, out = laps or {}, seats or {}, out or {}
    escorts = escorts if escorts is not None else {"OPS-1": []}
    pending = {p.case_id for p in s.people if p.fitness == "pending"}
    fp = FlightPlan(flight_id=fid, passengers=[Passenger(person_id=pid, lap_of=laps.get(pid), seat=seats.get(pid))
                                               for pid in on],
                    escorts=[EscortOnBoard(escort_id=e, serves=serves, seat=seats.get(e))
                             for e, serves in escorts.items()],
                    provisional=provisional if provisional is not None else sorted(pending & set(on)))
    unassigned = [Unassigned(person_id=p.case_id, reasons=out.get(p.case_id, []))
                  for p in s.people if p.case_id not in on]
    return Plan(scenario={"name": s.name, "sha256": "x"}, flights=[fp], tests=tests or [], unassigned=unassigned)


def found(s: Scenario, plan: Plan, previous: Plan | None = None) -> set[str]:
    """The violation ids the validator reports."""
    return {v.rule for v in validate(s, plan, previous)}
