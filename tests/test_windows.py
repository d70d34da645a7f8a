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
    broken += [name for u, v, name in m.at_most_one if values[u] + values[v] > 1]
    return broken


def run(m: AllocationModel, problem: AllocationProblem, start: list[int], seconds: float) -> list[int]:
    return WindowSearch(m, problem).improve(start, time.monotonic() + seconds, 1, lambda: False, lambda _: None)


def test_from_nothing_it_flies_people_and_keeps_every_rule(problem: AllocationProblem) -> None:
    m = build_model(problem)
    start = [0] * len(m.upper)
    assert not violated(m, start)
    values = run(m, problem, start, 3.0)
    assert not violated(m, values)
    assert m.value(m.level_a, values) > 0


def test_from_greedy_it_never_loses(problem: AllocationProblem) -> None:
    m = build_model(problem)
    start = dense(m, hint_values(m, problem, trim_escorts(problem, greedy_allocation(problem))))
    assert not violated(m, start)
    values = run(m, problem, start, 2.0)
    assert not violated(m, values)
    assert m.value(m.level_a, values) >= m.value(m.level_a, start)


def test_a_large_operation_gets_seconds_for_the_windows_unless_the_machine_is_busy() -> None:
    from planner.pipeline.time_budget import WINDOWS_FLOOR, Size, cpsat_floor

    assert cpsat_floor(Size(20_000, 15_000, 78, pace=1.2), 0) == WINDOWS_FLOOR
    assert cpsat_floor(Size(20_000, 15_000, 78, pace=3.0), 0) == 0.0
    assert cpsat_floor(Size(7_000, 5_000, 27, pace=1.0), 0) == 0.0
