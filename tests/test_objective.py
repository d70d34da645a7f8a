"""The objective oracle (planner.oracle.objective): the solver's own values of every level it optimises equal
the oracle's on every bundled scenario, and the oracle's score moves when a plan is changed by hand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from planner import SolveOptions, load_scenario, solve, validate
from planner.allocation.problem import build_problem
from planner.model.plan import Objective, Plan
from planner.model.scenario import Scenario
from planner.oracle.objective import W_LEVEL2, score
from planner.pipeline.levels import _households, _window, _Windows
from planner.seating.seatmaps import resolve_aircraft

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BUNDLED = sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.yaml").exists())
BIG = "belarus-2021-iraq"


def _assert_levels_equal(plan: Plan, scenario: Scenario) -> None:
    got = score(plan, scenario)
    o = plan.objective
    assert (o.level1_value, o.level1b_value) == (got.level1a, got.level1b)
    assert o.level2_spread == got.level2_spread
    assert o.level4_non_robust == got.level4_non_robust
    assert o.level4_seat_cost == got.level4_seat_cost


@pytest.mark.parametrize("name", BUNDLED)
def test_solver_values_equal_the_oracle_on_every_bundled_scenario(name: str) -> None:
    scenario = load_scenario(SCENARIOS / name)
    # the big scenario: allocation and seating greedy (a short limit), which is what a stopped solve emits
    limit = 1.0 if name == BIG else 3.0
    plan = solve(scenario, options=SolveOptions(time_limit=limit, seating_time_limit=0.2))
    assert validate(scenario, plan) == []
    assert plan.objective.level2_spread is not None and plan.kpis.moved > 0
    _assert_levels_equal(plan, scenario)


@pytest.fixture(scope="module")
def solved() -> tuple[Scenario, Plan]:
    scenario = load_scenario(SCENARIOS / "teaching-vulnerable-first")
    plan = solve(scenario, options=SolveOptions(time_limit=3, seating_time_limit=0.2, seating_processes=1))
    _assert_levels_equal(plan, scenario)
    return scenario, plan


def test_moving_a_household_member_to_another_row_raises_level_2(solved: tuple[Scenario, Plan]) -> None:
    scenario, plan = solved
    before = score(plan, scenario)
    broken = plan.model_copy(deep=True)
    fp = next(f for f in broken.flights if len([p for p in f.passengers if p.seat]) >= 2)
    flight = next(f for f in scenario.flights if f.id == fp.flight_id)
    seat_map = resolve_aircraft(flight.aircraft, scenario)
    used = {p.seat for p in fp.passengers} | {e.seat for e in fp.escorts}
    people = {p.case_id: p for p in scenario.people}
    households: dict[str, list[str]] = {}
    for pa in fp.passengers:
        if pa.seat:
            households.setdefault(people[pa.person_id].household_id, []).append(pa.person_id)
    member = next(ms[0] for ms in households.values() if len(ms) >= 2)
    rows = {s.id: s.row_index for s in seat_map.seats}
    others = [rows[p.seat] for p in fp.passengers if p.seat and p.person_id != member
              and people[p.person_id].household_id == people[member].household_id]
    far = max((s for s in seat_map.seats if s.id not in used), key=lambda s: abs(s.row_index - min(others)))
    for pa in fp.passengers:
        if pa.person_id == member:
            pa.seat = far.id
    after = score(broken, scenario)
    assert after.level2_spread > before.level2_spread
    assert after.seating_cost - before.seating_cost >= W_LEVEL2
    assert (after.level1a, after.level1b) == (before.level1a, before.level1b)


def test_taking_a_household_off_its_flight_lowers_level_1(solved: tuple[Scenario, Plan]) -> None:
    scenario, plan = solved
    before = score(plan, scenario)
    broken = plan.model_copy(deep=True)
    fp = next(f for f in broken.flights if f.passengers)
    people = {p.case_id: p for p in scenario.people}
    household = people[fp.passengers[0].person_id].household_id
    fp.passengers = [pa for pa in fp.passengers if people[pa.person_id].household_id != household]
    after = score(broken, scenario)
    assert after.level1a < before.level1a
    assert after.level1b <= before.level1b


def test_a_sample_moved_before_its_robust_start_counts_at_level_4(solved: tuple[Scenario, Plan]) -> None:
    scenario, plan = solved
    if not plan.tests:
        pytest.skip("no samples in this scenario")
    before = score(plan, scenario)
    broken = plan.model_copy(deep=True)
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    moved = 0
    for b in broken.tests:
        b.start -= 3 * margin + timedelta(days=1)  # far before any robust start
        b.end -= 3 * margin + timedelta(days=1)
        moved += 1
    after = score(broken, scenario)
    assert after.level4_non_robust == moved > before.level4_non_robust


def test_stability_counts_kept_moved_and_dropped_people(solved: tuple[Scenario, Plan]) -> None:
    scenario, plan = solved
    on_board = sum(len(fp.passengers) for fp in plan.flights)
    same = score(plan, scenario, previous=plan).level3
    assert same is not None and (same.kept, same.moved, same.dropped) == (on_board, 0, 0)
    changed = plan.model_copy(deep=True)
    fp = next(f for f in changed.flights if len(f.passengers) >= 2)
    gone = next(p for p in reversed(fp.passengers) if p.seat and p.lap_of is None)
    fp.passengers.remove(gone)
    mover = next(p for p in fp.passengers if p.seat and p.lap_of is None)
    mover.seat = gone.seat  # into the seat the dropped person left
    level3 = score(changed, scenario, previous=plan).level3
    assert level3 is not None and (level3.moved, level3.dropped) == (1, 1)
    assert level3.kept + level3.moved + level3.dropped == on_board


def test_plans_written_before_the_seating_levels_are_still_read() -> None:
    old = {"level1_value": 5, "level1_bound": 6, "gap": 0.16, "level1b_value": 10}
    objective = Objective.model_validate(old)
    assert objective.level2_spread is None and objective.level4_seat_cost is None


def test_a_replan_reports_what_the_oracle_scores_and_keeps_everyone_else() -> None:
    from planner.whatif.events import EventsFile, apply_events

    scenario = load_scenario(SCENARIOS / "teaching-vulnerable-first")
    plan = solve(scenario, options=SolveOptions(time_limit=3, seating_time_limit=0.2, seating_processes=1))
    people = {p.case_id: p for p in scenario.people}
    leaving = next(pa.person_id for fp in plan.flights for pa in fp.passengers)
    household = sum(1 for fp in plan.flights for pa in fp.passengers
                    if people[pa.person_id].household_id == people[leaving].household_id)
    events = EventsFile.model_validate({"format": "charterplan.events/1",
                                        "events": [{"type": "consent_withdrawn", "case_id": leaving}]})
    updated = apply_events(scenario, events, "events.yaml")
    replanned = solve(updated, previous=plan, options=SolveOptions(time_limit=3, seating_time_limit=0.2,
                                                                   seating_processes=1))
    assert validate(updated, replanned, plan) == []
    _assert_levels_equal(replanned, updated)
    level3 = score(replanned, updated, previous=plan).level3
    assert level3 is not None and level3.dropped >= household and level3.kept > 0


def test_each_sample_is_read_in_the_window_it_was_booked_for(solved: tuple[Scenario, Plan]) -> None:
    # the windows the options hold stand in for working each one out from the person: they must be the same
    scenario, plan = solved
    windows = _Windows(build_problem(scenario))
    household_of = _households(scenario)
    flights = {f.id: f for f in scenario.flights}
    flight_of = {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}
    read = 0
    for b in plan.tests:
        flight = flights[b.flight_id or flight_of[b.person_id or ""]]
        assert windows.of(b, flight) == _window(scenario, b, flight, household_of)
        read += b.person_id is not None
    assert read > 0
