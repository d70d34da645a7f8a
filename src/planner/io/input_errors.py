"""The error types of every input reader: one issue per problem, naming file, row (or line) and field.

Issues cap what they quote (`planner.io.excerpt`), so no reader can echo a large or binary input back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.io.excerpt import excerpt, safe_label

#: Longest message an issue carries; longer ones are cut (they would only repeat input).
MAX_MESSAGE = 400


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input file; `row` is the table row, or the line in a YAML file, when known."""

    file: str
    row: int | None
    field: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", safe_label(self.file, 200))
        object.__setattr__(self, "field", safe_label(self.field, 120))
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", self.message[:MAX_MESSAGE] + "…")

    def __str__(self) -> str:
        kind = "line" if self.file.lower().endswith((".yaml", ".yml")) else "row"
        where = self.file + (f", {kind} {self.row}" if self.row is not None else "")
        return f"{where}, {self.field}: {self.message}"


class ScenarioInputError(Exception):
    """Raised with every problem found in an input; `issues` lists them in file order."""

    def __init__(self, issues: list[InputIssue]):
        self.issues = issues
        super().__init__(f"{len(issues)} input error(s):\n" + "\n".join(f"  {i}" for i in issues[:200]))


class InputTooLarge(ScenarioInputError):
    """The input is over a size, row or expansion limit; reading stopped there (the service answers 413)."""


def describe_error(err: Mapping[str, Any]) -> str:
    """A pydantic error in words; any input it quotes is a short escaped excerpt (planner.io.excerpt)."""
    kind = err.get("type", "")
    shown = excerpt(err.get("input"))
    if kind == "timezone_aware":
        return "time has no timezone offset (write e.g. 2021-12-01T10:00:00+03:00)"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"not a date (YYYY-MM-DD): {shown}"
    if kind in ("datetime_from_date_parsing", "datetime_parsing", "datetime_type"):
        return f"not an ISO 8601 date-time: {shown}"
    if kind == "literal_error":
        return f"{shown} is not one of {str(err.get('ctx', {}).get('expected', ''))[:300]}"
    if kind in ("time_parsing", "time_type"):
        return f'not a time (write it in quotes as HH:MM, e.g. "08:00"): {shown}'
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required value is missing"
    if kind == "string_too_long" and isinstance(err.get("input"), str):
        return (f"at most {err.get('ctx', {}).get('max_length')} characters are allowed here; this value has "
                f"{len(err['input'])}")
    msg = str(err.get("msg", "invalid value"))[:300]
    return msg.removeprefix("Value error, ")


def error_field(err: Mapping[str, Any]) -> str:
    """A pydantic error location written like the cross-checks' fields: `flights[0].departure`."""
    out = ""
    for part in err.get("loc", ()):
        if part == "[key]":  # pydantic's marker for a mapping key that fails, e.g. row_layouts: {x: ...}
            out += " (key)"
        else:
            out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(file)"
