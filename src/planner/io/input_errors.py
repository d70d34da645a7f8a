"""The error types of every input reader: one issue per problem, naming file, row (or line) and field.

Issues cap what they quote (`planner.io.excerpt`), so no reader can echo a large or binary input back.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.io.excerpt import safe_label

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
