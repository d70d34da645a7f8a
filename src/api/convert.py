"""Names the web pages still import from here; each lives in a module of its own now."""

from __future__ import annotations

from api.person_rows import row_to_person_dict  # re-export: moved to api.person_rows
from api.scenario_store import build_scenario  # re-export: moved to api.scenario_store

__all__ = ["build_scenario", "row_to_person_dict"]
