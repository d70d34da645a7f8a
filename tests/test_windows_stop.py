"""A stop ends the window being re-planned at once (planner.allocation.windows), not after its second."""

from __future__ import annotations

import threading
import time

import pytest

from planner.allocation.greedy import greedy_allocation
from planner.allocation.model import build_model
from planner.allocation.problem import build_problem
from planner.allocation.program import dense, hint_values
from planner.allocation.windows import WindowSearch
from planner.synth.generate import generate_scenario


@pytest.mark.parametrize("engine, writer", [("scip", "sub_program"), ("cp-sat", "sub_model")])
def test_a_stop_ends_the_window_under_search_at_once(monkeypatch: pytest.MonkeyPatch, engine: str, writer: str
                                                      ) -> None:
    import planner.allocation.windows as windows

    monkeypatch.setattr(windows, "WINDOW_SECONDS", 30.0)  # a window would search far longer than the stop waits
    problem = build_problem(generate_scenario(people=3000, seed=2))
    m = build_model(problem)
    start = dense(m, hint_values(m, problem, greedy_allocation(problem)))
    searching = threading.Event()
    stop = threading.Event()
    original = getattr(WindowSearch, writer)

    def written(self: WindowSearch, free: list[int], values: list[int]) -> object:
        searching.set()
        return original(self, free, values)

    monkeypatch.setattr(WindowSearch, writer, written)
    timer = threading.Thread(target=lambda: (searching.wait(60), time.sleep(0.5), stop.set()))
    timer.start()
    began = time.monotonic()
    values = WindowSearch(m, problem, engine).improve(start, time.monotonic() + 120, stop.is_set, lambda _: None)
    took = time.monotonic() - began
    timer.join()
    assert stop.is_set()
    assert took < 5.0, f"the search went on {took:.1f} s after the stop"
    assert m.value(m.level_a, values) >= m.value(m.level_a, start)
