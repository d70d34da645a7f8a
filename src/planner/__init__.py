"""charterplan's planning core: pydantic models in, a validated Plan out. No web framework, no database.

The public names are loaded on first use (module `__getattr__`): `planner.solve` brings in OR-Tools' CP-SAT
and with it pandas, seconds of CPU that every command's time limit counts from the start of the process
(docs/cli.md, "Time budget"), while most users of the package (the CLI before it solves, the service's models,
`planner.validate`) need none of it. `from planner import solve, validate` works as before.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.loading import ScenarioInputError, load_scenario
    from planner.options import Progress, SolveOptions
    from planner.plan import Plan
    from planner.scenario import Scenario
    from planner.solve import solve
    from planner.validate import validate

_SOURCE = {"Plan": "planner.plan", "Progress": "planner.options", "Scenario": "planner.scenario",
           "ScenarioInputError": "planner.loading", "SolveOptions": "planner.options",
           "load_scenario": "planner.loading", "solve": "planner.solve", "validate": "planner.validate"}

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


class _Package(types.ModuleType):
    """The package module. Importing the submodule `planner.solve` (or `planner.validate`) makes the import
    system set the package attribute of that name to the submodule, which would shadow the function of the
    same name; the function stays, as it did when it was imported eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _SOURCE.get(name) == value.__name__:
            return  # `planner.solve` stays the function (`__getattr__` loads it when first asked for)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
