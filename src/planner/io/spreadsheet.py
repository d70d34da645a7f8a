"""CSV cells for the planner's own tables (comparisons, sweeps): text a spreadsheet would run as a formula
gets a leading apostrophe, by the one rule of `planner.io.cell_rules` (docs/input.md); numbers stay numbers."""

from __future__ import annotations

from typing import Any

from planner.io.cell_rules import neutralise


def safe_cell(value: Any) -> Any:
    return neutralise(value)
