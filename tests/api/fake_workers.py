"""Solvers that misbehave on purpose, for the worker-lifetime tests (see fake_planner for the polite ones)."""

from __future__ import annotations

import time
from typing import Any


def deaf_solve(scenario: Any, previous: Any = None, options: Any = None) -> Any:
    """Ignores its time limit and every stop request, like a solver stuck in native code."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.05)
    raise RuntimeError("deaf_solve was not ended by the service")
