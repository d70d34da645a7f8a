"""The greedy's later passes (planner.seating.seat_plan.GREEDY_PASSES): on full cabins they seat parties a first
pass left out, never fewer people, and their seats keep every rule."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from planner.allocation.greedy import greedy_allocation
from planner.allocation.problem import build_problem
from planner.model.plan import ScenarioRef
from planner.pipeline.draft import draft
from planner.rules.occupants import case_index, flight_facts
from planner.seating.cabin import Cabin
from planner.seating.greedy import Greedy
from planner.seating.problem import SeatingProblem, check
from planner.seating.seat_plan import _greedy, flight_job
from planner.synth.generate import generate_scenario


@pytest.fixture(scope="module")
def full_flights() -> list[SeatingProblem]:
    """The seating problems of a priority-greedy allocation, which fills the cabins to the last seat."""
    scenario = generate_scenario(people=3000, seed=1)
    problem = build_problem(scenario)
    plan = draft(problem, greedy_allocation(problem), None, None,
                 {p.case_id: p.household_id for p in scenario.people}, {}, ScenarioRef(name=scenario.name, sha256=""))
    index = case_index(scenario)
    out = []
    for fp in plan.flights:
        if fp.passengers:
            job = flight_job(scenario, flight_facts(scenario, fp, index), time_limit=0.0, deterministic=True,
                             cpsat=False)
            out.append(SeatingProblem(job, Cabin(job)))
    return out


def _passes(n: int) -> Callable[[int], bool]:
    """Up to `n` passes (`_greedy` asks before each pass after the first, with the number made so far)."""
    return lambda done: done < n


def _left_out(problem: SeatingProblem, seats: dict[str, str]) -> int:
    return sum(1 for u in problem.units if u not in seats and not problem.units[u].escort)


def test_a_second_pass_seats_people_the_first_left_out(full_flights: list[SeatingProblem]) -> None:
    once = [_left_out(p, _greedy(p, Greedy, _passes(1))) for p in full_flights]
    twice = [_left_out(p, _greedy(p, Greedy, _passes(2))) for p in full_flights]
    assert sum(once) > 0, "the cabins are not full enough to test the second pass"
    assert all(b <= a for a, b in zip(once, twice, strict=True))
    assert sum(twice) < sum(once)


def test_the_second_pass_keeps_every_rule(full_flights: list[SeatingProblem]) -> None:
    for p in full_flights:
        assert check(p, _greedy(p, Greedy, _passes(2))) == []
        assert check(p, _greedy(p, Greedy, _passes(10))) == []


def test_later_passes_never_seat_fewer_people(full_flights: list[SeatingProblem]) -> None:
    twice = [_left_out(p, _greedy(p, Greedy, _passes(2))) for p in full_flights]
    ten = [_left_out(p, _greedy(p, Greedy, _passes(10))) for p in full_flights]
    assert all(b <= a for a, b in zip(twice, ten, strict=True))
