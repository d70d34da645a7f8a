"""Refilling seats seating freed (planner.pipeline.refill) and the seat-density start
(planner.allocation.greedy.seat_density_allocation)."""

from __future__ import annotations

from datetime import date

import pytest

from builders import flight, person, scenario, site
from planner.allocation.feasibility import trim_escorts
from planner.allocation.greedy import Allocation, greedy_allocation, seat_density_allocation
from planner.allocation.model import build_model, level1
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.program import dense, hint_values
from planner.model.scenario import Escort
from planner.pipeline.refill import Refill, changed_flights
from planner.synth.generate import generate_scenario
from test_windows import violated


def _problem() -> AllocationProblem:
    people = [person("C1", "HC"), person("C2", "HC", date_of_birth=date(2016, 1, 1)),
              person("C3", "HC", date_of_birth=date(2017, 1, 1)),  # a parent with two young children
              person("P1", "HP"), person("P2", "HP"),  # a couple
              person("K1", "HK"), person("K2", "HK", date_of_birth=date(2015, 1, 1)),  # a parent, one child
              person("S1", "HS")]  # a single
    escorts = [Escort(id=f"O{i}", role="operational", vaccinated=True) for i in (1, 2)]
    return build_problem(scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)], sites=[site()],
                                  escorts=escorts))


def test_a_household_needing_as_much_of_every_seat_limit_is_not_offered_the_flight_again() -> None:
    problem = _problem()
    refill = Refill(problem)
    refill.refused_seats("HK", "F1")
    infos = problem.infos
    assert refill.skip(infos["HC"], "F1")  # more seats, more seats outside the exit rows: as hard or harder
    assert not refill.skip(infos["HP"], "F1")  # two adults need no seat away from the exits
    assert not refill.skip(infos["HS"], "F1")
    assert not refill.skip(infos["HC"], "F2")  # refused on F1 only
    assert refill.flights == {"F1"}


def test_the_refill_adds_only_households_that_need_less_and_changes_only_their_flights() -> None:
    problem = _problem()
    refill = Refill(problem)
    refill.refused_seats("HK", "F1")
    before = Allocation(flight_of={"HK": "F2"})
    after = refill.refilled(before)
    assert before.flight_of == {"HK": "F2"}  # a copy: the allocation refilled is not changed
    assert after.flight_of["HP"] == "F1" and after.flight_of["HS"] == "F1"
    assert after.flight_of.get("HC") != "F1"
    assert changed_flights(before, after) == {fid for fid in ("F1", "F2")
                                              if any(f == fid for h, f in after.flight_of.items() if h != "HK")}


@pytest.mark.parametrize("people", [1500, 4000])
def test_the_seat_density_start_keeps_every_rule(people: int) -> None:
    problem = build_problem(generate_scenario(people=people, seed=1))
    m = build_model(problem)
    start = trim_escorts(problem, seat_density_allocation(problem))
    assert not violated(m, dense(m, hint_values(m, problem, start)))
    assert level1(problem, start)[0] > 0
    assert start.flight_of != greedy_allocation(problem).flight_of  # another start than the priority order's
