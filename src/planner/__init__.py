"""charterplan's planning core: pydantic models in, a validated Plan out. No web framework, no database."""

from planner.loading import ScenarioInputError, load_scenario
from planner.options import Progress, SolveOptions
from planner.plan import Plan
from planner.scenario import Scenario
from planner.solve import solve
from planner.validate import validate

__all__ = ["Plan", "Progress", "Scenario", "ScenarioInputError", "SolveOptions", "load_scenario", "solve",
           "validate"]
