"""charterplan's planning core: pydantic models in, a validated Plan out. No web framework, no database.

The public names are loaded on first use (module `__getattr__`): `planner.pipeline.solve` brings in OR-Tools' CP-SAT
and with it pandas, seconds of CPU that every command's time limit counts from the start of the process
(docs/cli.md, "Time budget"), while most users of the package (the CLI before it solves, the service's models,
`planner.oracle.validate`) need none of it. `from planner import solve, validate` works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.io.loading import ScenarioInputError, load_scenario
    from planner.model.options import Progress, SolveOptions
    from planner.model.plan import Plan
    from planner.model.scenario import Scenario
    from planner.oracle.validate import validate
    from planner.pipeline.solve import solve

_SOURCE = {"Plan": "planner.model.plan", "Progress": "planner.model.options",
           "Scenario": "planner.model.scenario", "ScenarioInputError": "planner.io.loading",
           "SolveOptions": "planner.model.options", "load_scenario": "planner.io.loading",
           "solve": "planner.pipeline.solve", "validate": "planner.oracle.validate"}

__all__ = ["Plan", "Progress", "Scenario", "ScenarioInputError", "SolveOptions", "load_scenario", "solve",
           "validate"]


def __getattr__(name: str) -> Any:
    source = _SOURCE.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SOURCE))
