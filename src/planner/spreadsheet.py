"""Text cells that a spreadsheet would run as formulas (=, +, -, @, tab, CR first) are prefixed with an
apostrophe in every CSV the planner writes (DESIGN §5.5); numbers stay numbers."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
