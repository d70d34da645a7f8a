"""The solver's own values of the objective levels it optimises (docs/rules.md "Objective"), for the plan's
`objective`: level 1 from the allocation, level 2 and the seat costs of level 4 from the seating stage's cost
terms, the non-robust samples of level 4 from the test-slot stage's slot classes. `planner.oracle.objective`
scores the same plan independently; the two must agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from planner.allocation.problem import AllocationProblem
from planner.model.caseload import Household, households
from planner.model.plan import FlightPlan, Plan, TestBooking
from planner.model.scenario import Escort, Flight, Scenario
from planner.oracle.objective import W_LEVEL2, W_UNPLACED
from planner.rules.occupants import case_index, flight_facts
from planner.rules.testing_windows import SlotClass, TestWindow, escort_window, person_window

if TYPE_CHECKING:  # the seating package is imported when seating runs (it may be absent from a build)
    from planner.seating.job import FlightJob, FlightResult

Seats = frozenset[tuple[str, str]]  # (person or escort id, seat) of one flight
FlightValue = tuple[Seats, int, int]  # the seats, and their (spread, seat cost)


def seats_of(fp: FlightPlan) -> Seats:
    """Who sits where on a flight (lap infants take no seat)."""
    return frozenset({(pa.person_id, pa.seat) for pa in fp.passengers if pa.seat and pa.lap_of is None}
                     | {(e.escort_id, e.seat) for e in fp.escorts if e.seat})


def job_value(job: FlightJob, seats: dict[str, str], unplaced: Iterable[str] = ()) -> tuple[int, int]:
    """(spread, seat cost) of a flight's seats by the seating stage's cost terms, without the households
    that were not placed (they leave the flight)."""
    from planner.seating.cabin import Cabin
    from planner.seating.objective import comfort_cost, household_spread
    from planner.seating.problem import SeatingProblem

    gone = set(unplaced)
    if gone:
        job = replace(job, occupants=[o for o in job.occupants if o.household not in gone])
    problem = SeatingProblem(job, Cabin(job))
    seats = {u: s for u, s in seats.items() if u in problem.units and s in problem.cabin.by_id}
    spread = sum(household_spread(problem.cabin, [seats[u] for u in members if u in seats])
                 for members in problem.members.values() if not problem.units[members[0]].escort)
    return spread, comfort_cost(problem, seats)


def result_value(job: FlightJob, result: FlightResult) -> tuple[int, int]:
    """(spread, seat cost) of a seating result: read from its cost when everyone was placed (the cost is then
    W_LEVEL2 × spread + seat costs), else counted again without the households that leave the flight."""
    if not result.unplaced and len(result.seats) == len(job.occupants):
        rest = result.cost % W_UNPLACED
        return rest // W_LEVEL2, rest % W_LEVEL2
    return job_value(job, result.seats, result.unplaced)


def seating_values(scenario: Scenario, plan: Plan, known: dict[str, FlightValue] | None = None) -> tuple[int, int]:
    """(level 2, level-4 seat cost) of the plan's flights not yet departed, by the seating stage's terms;
    `known` holds what the stage reported for flights whose seats are still those (the others are counted)."""
    from planner.seating.seat_plan import flight_job

    known = known or {}
    flights = {f.id: f for f in scenario.flights}
    index = case_index(scenario)
    spread = cost = 0
    for fp in plan.flights:
        flight = flights.get(fp.flight_id)
        if flight is None or flight.departure < scenario.as_of or not (fp.passengers or fp.escorts):
            continue
        value = known.get(fp.flight_id)
        if value is not None and value[0] == seats_of(fp):
            s, c = value[1], value[2]
        else:
            job = flight_job(scenario, flight_facts(scenario, fp, index), time_limit=0.0, deterministic=True,
                             cpsat=False)
            s, c = job_value(job, dict(seats_of(fp)))
        spread += s
        cost += c
    return spread, cost


def non_robust_value(problem: AllocationProblem, plan: Plan) -> int:
    """Samples booked outside the robust slots of their window: the test-slot stage's non-robust flow, read
    per booking (the slot class of the booking's slot; samples of earlier plans by the window's robust start)."""
    scenario = problem.scenario
    flights = {f.id: f for f in scenario.flights}
    classes: dict[tuple[str, datetime], SlotClass] = {(s.site_id, s.start): c for c in problem.classes for s in c.slots}
    flight_of = {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}
    windows = _Windows(problem)
    count = 0
    other_checks = {site for c in scenario.protocol.checks for site in c.providers}  # docs/health-checks.md
    for b in plan.tests:
        flight = flights.get(b.flight_id or flight_of.get(b.person_id or "", ""))
        if flight is None or flight.departure < scenario.as_of or b.site_id in other_checks:
            continue
        w = windows.of(b, flight)
        if w is None:
            continue
        cls = classes.get((b.site_id, b.start))
        robust = w in cls.robust if cls is not None and w in cls.valid else b.start >= w.robust_start
        count += not robust
    return count


class _Windows:
    """The test window the stage booked each sample for. A new sample of a household whose option on the flight
    tests in one window only was booked for that window (the option holds exactly its members' new windows);
    the others (kept samples, households testing in several windows, protocols with checks of their own) are
    worked out from the person or escort."""

    def __init__(self, problem: AllocationProblem):
        self.problem = problem
        self.scenario = problem.scenario
        self.household_id = {p.case_id: p.household_id for p in self.scenario.people}
        self.kept = problem.fixed.bookings
        self.own_checks = bool(self.scenario.protocol.checks)
        self._household_of: dict[str, Household] | None = None
        self._escorts: dict[str, Escort] = {}
        for e in self.scenario.escorts:
            self._escorts.setdefault(e.id, e)

    def of(self, b: TestBooking, flight: Flight) -> TestWindow | None:
        if b.person_id is None:
            escort = self._escorts.get(b.escort_id or "")
            return escort_window(escort, flight, self.scenario) if escort is not None else None
        if not self.own_checks and b.person_id not in self.kept:
            info = self.problem.infos.get(self.household_id.get(b.person_id, ""))
            option = info.options.get(flight.id) if info is not None else None
            if option is not None and len(option.tests) == 1:
                return option.tests[0][0]
        if self._household_of is None:
            self._household_of = _households(self.scenario)
        return _window(self.scenario, b, flight, self._household_of)


def _window(scenario: Scenario, b: TestBooking, flight: Flight, household_of: dict[str, Household]
            ) -> TestWindow | None:
    """The test window the stage booked the sample for."""
    if b.person_id is not None:
        hh = household_of.get(b.person_id)
        person = next((p for p in hh.members if p.case_id == b.person_id), None) if hh is not None else None
        return person_window(person, hh, flight, scenario) if person is not None and hh is not None else None
    escort = next((e for e in scenario.escorts if e.id == b.escort_id), None)
    return escort_window(escort, flight, scenario) if escort is not None else None


def _households(scenario: Scenario) -> dict[str, Household]:
    """Each person's household."""
    return {p.case_id: hh for hh in households(scenario) for p in hh.members}
