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


def test_ctrl_c_reaches_the_command_while_scip_searches_a_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """SCIP takes SIGINT for itself unless told not to: Ctrl-C then ended only its window and the solve ran on to
    its limit (`bench/bench_stop.py`: 38-44 s after the signal). The command's own handler must see it."""
    import os
    import signal

    import planner.allocation.windows as windows

    monkeypatch.setattr(windows, "WINDOW_SECONDS", 30.0)
    problem = build_problem(generate_scenario(people=3000, seed=2))
    m = build_model(problem)
    start = dense(m, hint_values(m, problem, greedy_allocation(problem)))
    stop = threading.Event()
    searching = threading.Event()
    original = WindowSearch.sub_program

    def written(self: WindowSearch, free: list[int], values: list[int]) -> object:
        searching.set()
        return original(self, free, values)

    monkeypatch.setattr(WindowSearch, "sub_program", written)
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        worker = threading.Thread(target=lambda: WindowSearch(m, problem, "scip").improve(
            start, time.monotonic() + 120, stop.is_set, lambda _: None))
        worker.start()
        assert searching.wait(60)
        time.sleep(0.5)  # SCIP is solving the window
        began = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)
        while worker.is_alive() and time.monotonic() - began < 10:
            time.sleep(0.05)  # the main thread runs Python's handler between these
        worker.join(30)
        took = time.monotonic() - began
    finally:
        signal.signal(signal.SIGINT, previous)
    assert stop.is_set(), "the command's handler never saw Ctrl-C"
    assert took < 5.0, f"the search went on {took:.1f} s after Ctrl-C"
