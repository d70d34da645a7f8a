"""Re-planning a few flights at a time (planner.allocation.windows): every plan it returns satisfies the whole
allocation program, and it gains on a plan that leaves room."""

from __future__ import annotations

import time

import pytest

from planner.allocation.feasibility import trim_escorts
from planner.allocation.greedy import greedy_allocation
from planner.allocation.model import build_model
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.program import AllocationModel, dense, hint_values
from planner.allocation.windows import WindowSearch
from planner.synth.generate import generate_scenario


@pytest.fixture(scope="module")
def problem() -> AllocationProblem:
    return build_problem(generate_scenario(people=1500, seed=1))


def violated(m: AllocationModel, values: list[int]) -> list[str]:
    """Rows, pairs and variable bounds of the whole program that `values` breaks."""
    broken = [m.names[i] for i, (v, u) in enumerate(zip(values, m.upper, strict=True)) if not 0 <= v <= u]
    for terms, lo, hi, name in m.rows:
        total = sum(c * values[v] for c, v in terms)
        if (lo is not None and total < lo) or (hi is not None and total > hi):
            broken.append(name)
    return broken


def run(m: AllocationModel, problem: AllocationProblem, start: list[int], seconds: float, engine: str = "scip",
        workers: int = 1) -> list[int]:
    return WindowSearch(m, problem, engine).improve(start, time.monotonic() + seconds, lambda: False, lambda _: None,
                                                    workers)


@pytest.mark.parametrize(("engine", "workers"), [("scip", 1), ("scip", 2), ("cp-sat", 1)])
def test_from_nothing_it_flies_people_and_keeps_every_rule(problem: AllocationProblem, engine: str,
                                                           workers: int) -> None:
    """With two SCIP workers two windows are searched at once, each from the values when it started: a window
    kept after the other changed rows they share must still keep them."""
    m = build_model(problem)
    start = [0] * len(m.upper)
    assert not violated(m, start)
    values = run(m, problem, start, 3.0, engine, workers)
    assert not violated(m, values)
    assert m.value(m.level_a, values) > 0


@pytest.mark.parametrize("engine", ["scip", "cp-sat"])
def test_from_greedy_it_never_loses(problem: AllocationProblem, engine: str) -> None:
    m = build_model(problem)
    start = dense(m, hint_values(m, problem, trim_escorts(problem, greedy_allocation(problem))))
    assert not violated(m, start)
    values = run(m, problem, start, 2.0, engine)
    assert not violated(m, values)
    assert m.value(m.level_a, values) >= m.value(m.level_a, start)


def test_a_large_operation_gets_seconds_for_the_windows_unless_the_machine_is_busy() -> None:
    from planner.pipeline.time_budget import WINDOWS_FLOOR, Size, cpsat_floor

    assert cpsat_floor(Size(20_000, 15_000, 78, pace=1.2), 0) == WINDOWS_FLOOR
    assert cpsat_floor(Size(20_000, 15_000, 78, pace=3.0), 0) == 0.0
    assert cpsat_floor(Size(7_000, 5_000, 27, pace=1.0), 0) == 0.0


def test_the_lp_box_keeps_whole_counts_and_brackets_fractional_ones(problem: AllocationProblem) -> None:
    from planner.allocation.cpsat import lp_box

    m = build_model(problem)
    x = sorted(m.x.values())
    lp = [0.0] * len(m.upper)
    lp[x[0]], lp[x[1]] = 1.0, 0.4
    others = [i for i in range(len(m.upper)) if i not in set(m.x.values())]
    lower, upper = lp_box(m, lp)
    assert (lower[x[0]], upper[x[0]]) == (1, 1) and (lower[x[1]], upper[x[1]]) == (0, 1)
    assert (lower[x[2]], upper[x[2]]) == (0, 0)
    assert all(lower[i] == 0 and upper[i] == m.upper[i] for i in others)  # escorts and flows stay free


def test_a_large_model_is_improved_a_few_flights_at_a_time_after_the_lp_box(
        problem: AllocationProblem, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's path for large models (here forced on a small one): LP, its box, then the windows; the
    plan satisfies the whole program and never loses on the greedy plan."""
    from planner.allocation import cpsat
    from planner.allocation.model import level1, solve_allocation
    from planner.model.options import Progress, SolveOptions

    monkeypatch.setattr(cpsat, "WINDOWS_FROM_VARIABLES", 0)
    seen: list[Progress] = []
    greedy = trim_escorts(problem, greedy_allocation(problem))
    result = solve_allocation(problem, SolveOptions(time_limit=30, on_progress=seen.append), greedy, 4.0)
    m = build_model(problem)
    assert not violated(m, dense(m, hint_values(m, problem, result)))
    assert level1(problem, result)[0] >= level1(problem, greedy)[0]
    stages = [p.stage for p in seen]
    assert "allocation-lp" in stages and "allocation-rins" in stages
    assert not any(p.stage == "allocation" and p.message == "full model" for p in seen)


@pytest.mark.parametrize("from_gap, note", [(0.0, "the seats' bound, PDLP running"),
                                            (1.0, "the seats' bound, near the plan: no PDLP")])
def test_pdlp_runs_beside_the_windows_only_when_the_plan_lies_far_below_the_seats_bound(
        problem: AllocationProblem, monkeypatch: pytest.MonkeyPatch, from_gap: float, note: str) -> None:
    """A program large enough for PDLP (here forced on a small one): the LP's bound lies between the plan and
    the seats' bound, so PDLP takes a core from the windows only when that leaves it room to prove more
    (`PDLP_FROM_GAP`); either way the plan keeps every rule and the bound is never above the seats'."""
    from planner.allocation import cpsat
    from planner.allocation.bounds import seat_bound
    from planner.allocation.model import level1, solve_allocation
    from planner.model.options import Progress, SolveOptions

    monkeypatch.setattr(cpsat, "PDLP_FROM_VARIABLES", 0)
    monkeypatch.setattr(cpsat, "PDLP_FROM_GAP", from_gap)
    seen: list[Progress] = []
    greedy = trim_escorts(problem, greedy_allocation(problem))
    incumbent = cpsat.Incumbent(level1(problem, greedy)[0])  # as the pipeline starts it: at the greedy plan
    result = solve_allocation(problem, SolveOptions(time_limit=30, on_progress=seen.append), greedy, 2.0, incumbent)
    m = build_model(problem)
    assert not violated(m, dense(m, hint_values(m, problem, result)))
    assert level1(problem, result)[0] >= level1(problem, greedy)[0]
    assert next(p.message for p in seen if p.stage == "allocation-lp") == note
    assert result.bound is not None and level1(problem, result)[0] <= result.bound <= seat_bound(problem)


def test_after_cuts_the_windows_keep_to_the_options_left_and_never_lose(problem: AllocationProblem) -> None:
    """What the pipeline runs after transfer cuts (planner.allocation.model.improved_by_windows): households
    fly only where they still have an option, the plan never loses, and its bound and status carry over."""
    from planner.allocation.model import improved_by_windows, level1
    from planner.model.options import SolveOptions

    alloc = trim_escorts(problem, greedy_allocation(problem))
    alloc.bound, alloc.status = 10**6, "feasible"
    # close every flight to half the households waiting, as a cut at their place would
    waiting = [h for h in problem.households if h.household.id not in alloc.flight_of and h.options]
    closed = {h.household.id: h.options.pop(next(iter(h.options))) for h in waiting[::2]}
    assert closed
    better = improved_by_windows(problem, alloc, time.monotonic() + 2.0, SolveOptions(time_limit=30))
    assert level1(problem, better)[0] >= level1(problem, alloc)[0]
    assert all(fid in problem.infos[hid].options for hid, fid in better.flight_of.items())
    assert (better.bound, better.status) == (10**6, "feasible")
    m = build_model(problem)
    assert not violated(m, dense(m, hint_values(m, problem, better)))


def test_a_hand_over_leaves_the_time_left_to_the_caller_not_to_level_1b(
        problem: AllocationProblem, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a later stage's check says the windows' plan loses households (`HandOver`), the engine returns at
    once: the pipeline re-plans around the cut with the seconds left, which level 1b had taken."""
    from planner.allocation import cpsat
    from planner.allocation.model import level1, solve_allocation
    from planner.model.options import SolveOptions

    monkeypatch.setattr(cpsat, "WINDOWS_FROM_VARIABLES", 0)
    monkeypatch.setattr(cpsat, "HAND_OVER_EVERY", 0.0)
    level_1b: list[bool] = []
    monkeypatch.setattr(cpsat, "_level_1b", lambda search, result: level_1b.append(True) or result)
    asked: list[int] = []

    def hand_over(alloc: object) -> bool:
        asked.append(1)
        return True

    greedy = trim_escorts(problem, greedy_allocation(problem))
    result = solve_allocation(problem, SolveOptions(time_limit=60), greedy, 20.0, hand_over=hand_over)
    assert asked and not level_1b
    assert level1(problem, result)[0] >= level1(problem, greedy)[0]


def test_a_box_without_a_plan_is_searched_again_without_the_floors_in_conflict(problem: AllocationProblem) -> None:
    """Floors that no plan keeps (here every class on one flight, far past its seats): CP-SAT names that flight's
    counts as the conflict, and the box without them has a plan, which keeps the whole program."""
    from planner.allocation import cpsat
    from planner.model.options import SolveOptions

    m = build_model(problem)
    fid = problem.flights[0].flight.id
    lower, upper = [0] * len(m.upper), list(m.upper)
    crowded = {v for (_, f), v in m.x.items() if f == fid}
    for v in crowded:
        lower[v] = m.upper[v]
    start = dense(m, hint_values(m, problem, trim_escorts(problem, greedy_allocation(problem))))
    search = cpsat._Search(m, problem, SolveOptions(time_limit=60), cpsat.Incumbent(), 10.0, time.monotonic() + 10.0,
                           cpsat.cp_base_model(m), start, m.value(m.level_a, start), 10**9)
    assert not search.improve(upper, 2.0, "allocation-rins", lower)
    assert cpsat._box_conflict(search, lower, upper, 2.0) == crowded
    assert cpsat._in_box(search, lower, upper, 6.0, time.monotonic())
    assert not violated(m, search.best)
