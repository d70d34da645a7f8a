"""The priority greedy stays near-linear in households: once the early flights are full, a household
is rejected there by a cheap cabin check before any escort search, and the plan is exactly the one trying
every rule on every flight gives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from planner.allocation import greedy
from planner.allocation.greedy import Residual, greedy_allocation
from planner.allocation.household_options import HouseholdInfo, Option
from planner.allocation.problem import AllocationProblem, FlightInfo, build_problem
from planner.synth.generate import generate_scenario


def _room_left(state: Residual, fi: FlightInfo, option: Option) -> bool:
    """The household fits every cabin limit escorts cannot relax, with the escorts already on board."""
    usage, escorts = state.usage[fi.flight.id], len(state.escorts_on[fi.flight.id])
    return all(usage[j] + option.usage[j] + escorts * limit.escort_usage <= limit.rhs
               for j, limit in enumerate(fi.limits) if limit.escort_usage >= 0)


@pytest.fixture(scope="module")
def problem() -> AllocationProblem:
    """1,500 people on 6 flights: seats and lab bind, so most households meet full flights first."""
    return build_problem(generate_scenario(people=1500, seed=1))


def test_escorts_are_searched_only_where_the_cabin_still_has_room(problem: AllocationProblem,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[Option] = []
    searches: list[bool] = []  # per escort search: did the option fit the cabin with the escorts on board?
    try_add, escorts_to_add = Residual.try_add, Residual._escorts_to_add

    def spy_try_add(self: Residual, info: HouseholdInfo, option: Option) -> bool:
        tried.append(option)
        return try_add(self, info, option)

    def spy_escorts(self: Residual, fi: FlightInfo, totals: dict[str, int]) -> list[str] | None:
        searches.append(_room_left(self, fi, tried[-1]))
        return escorts_to_add(self, fi, totals)

    monkeypatch.setattr(Residual, "try_add", spy_try_add)
    monkeypatch.setattr(Residual, "_escorts_to_add", spy_escorts)
    alloc = greedy_allocation(problem)
    households = len(problem.households)
    assert len(alloc.flight_of) < households  # some are left out: the flights fill up
    assert len(tried) > 2 * households  # the left-out ones are tried on many flights...
    assert all(searches)  # ...but the escort pool is searched only where the cabin has room
    assert len(searches) <= 2 * households


@pytest.fixture()
def without_precheck(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The greedy as it was: every rule tried on every flight (the escort search first)."""
    monkeypatch.setattr(greedy.Residual, "may_fit", lambda self, fi, option: True)
    yield


def test_the_cabin_precheck_changes_no_plan(problem: AllocationProblem, request: pytest.FixtureRequest) -> None:
    fast = greedy_allocation(problem)
    request.getfixturevalue("without_precheck")
    slow = greedy_allocation(problem)
    assert fast.flight_of == slow.flight_of
    assert fast.escorts_on == slow.escorts_on
