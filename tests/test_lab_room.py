"""The lab check of explanations and top-ups (planner.allocation.lab_room.LabRoom) answers exactly what a test
flow for the summed demand answers (explanations stay true and
complete, docs/rules.md#explanations), and `import planner` stays light."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from planner.allocation import slot_booking
from planner.allocation.greedy import greedy_allocation
from planner.allocation.lab_room import LabRoom
from planner.allocation.problem import build_problem
from planner.io.loading import load_scenario
from planner.rules.testing_windows import TestWindow

ROOT = Path(__file__).resolve().parent.parent


def _fits_by_flow(problem, demand: dict[TestWindow, int], extra: dict[TestWindow, int]) -> bool:
    total = dict(demand)
    for w, k in extra.items():
        total[w] = total.get(w, 0) + k
    return slot_booking.solve_flow(problem, total) is not None


def test_lab_room_agrees_with_the_test_flow_as_demand_grows_and_shrinks():
    problem = build_problem(load_scenario(ROOT / "scenarios" / "teaching-lab-bottleneck"))
    alloc = greedy_allocation(problem)
    windows = sorted({w for h in problem.households for o in h.options.values() for w, _ in o.tests}
                     | {w for f in problem.flights for w in f.escort_windows.values() if w is not None})
    assert windows
    rng = random.Random(7)
    demand = slot_booking.test_demand(problem, alloc)
    room = LabRoom(problem, dict(demand))
    outcomes = []
    for step in range(300):
        picked = rng.sample(windows, k=min(len(windows), rng.choice([1, 1, 2, 3])))
        extra = {w: rng.randint(1, 12) for w in picked}
        expected = not _fits_by_flow(problem, room.demand, extra)
        assert room.full(extra) == expected, (step, extra)
        outcomes.append(expected)
        if not expected and rng.random() < 0.3:
            room.grew(extra)
        elif rng.random() < 0.1:
            w = rng.choice([w for w, k in room.demand.items() if k > 0] or [None])
            if w is not None:
                room.shrank({w: rng.randint(1, room.demand[w])})
    assert 30 < sum(outcomes) < 270  # both answers are exercised


def test_nothing_fits_on_top_of_demand_the_lab_cannot_test():
    problem = build_problem(load_scenario(ROOT / "scenarios" / "teaching-lab-bottleneck"))
    w = next(w for h in problem.households for o in h.options.values() for w, _ in o.tests)
    room = LabRoom(problem, {w: 10**6})
    assert room.full({w: 1})
    assert not room.full({})


def test_importing_planner_does_not_load_the_solver():
    code = ("import sys, planner; assert 'planner.pipeline.solve' not in sys.modules; "
            "assert 'ortools.sat.python.cp_model' not in sys.modules; "
            "from planner import solve, validate; import planner.pipeline.solve; "
            "assert planner.solve is solve is planner.pipeline.solve.solve; "
            "assert planner.validate is validate is planner.oracle.validate.validate")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
