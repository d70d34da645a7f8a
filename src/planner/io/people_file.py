"""People files (docs/architecture.md#people-file): string rows of a CSV or XLSX table turned into `Person`
models, with every row and field error collected.

Each issue names the file, the row (1-based, the header is row 1) and the column. Text that looks like a
spreadsheet formula is refused by the Person model itself (planner.io.cell_rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error
from planner.io.input_limits import DEFAULT_LIMITS, InputLimits
from planner.io.people_table import read_people_table
from planner.model.scenario import Person

PEOPLE_COLUMNS = list(Person.model_fields)
REQUIRED_COLUMNS = ["case_id", "household_id", "sex", "date_of_birth", "nationality", "destination", "location",
                    "consent", "document_type"]
BOOLEAN_COLUMNS = [name for name, f in Person.model_fields.items() if f.annotation in (bool, "bool")]
#: How each column's cell becomes model input, by column name (`_row_values` asks per cell: a lookup in a plain
#: dict, where asking `Person.model_fields` per cell was half of reading a 50,000-row file).
_COLUMN_KIND = {name: "bool" if name in BOOLEAN_COLUMNS else "list" if name == "vulnerabilities" else "text"
                for name in PEOPLE_COLUMNS}
MAX_PEOPLE_ROWS = DEFAULT_LIMITS.max_rows
_YES = ("yes", "true", "y", "1")
_YES_OR_NO = ("yes", "no", "true", "false", "y", "n", "1", "0")


def read_table(data: bytes, filename: str, limits: InputLimits = DEFAULT_LIMITS
               ) -> tuple[list[str], list[dict[str, str]]]:
    """Decode a CSV or XLSX people table into a header and string rows (planner.io.people_table, the one reader
    of the CLI and the service); raises ScenarioInputError."""
    return read_people_table(data, filename, limits)


def parse_people(header: list[str], rows: Iterable[dict[str, str]], filename: str
                 ) -> tuple[list[Person], list[InputIssue]]:
    """Turn string rows into Person models, collecting every row and field error."""
    numbered, issues = parse_people_rows(header, rows, filename)
    return [person for _, person in numbered], issues


def _header_issues(header: list[str], filename: str) -> list[InputIssue]:
    """Unknown and missing columns: with either, no row can be read the way the writer meant it."""
    issues: list[InputIssue] = []
    known = set(PEOPLE_COLUMNS)
    for column in header:
        if column and column not in known:
            issues.append(InputIssue(filename, 1, excerpt(column, 40) if not column.isprintable() or len(column) > 40
                                     else column, "unknown column"))
    for column in REQUIRED_COLUMNS:
        if column not in header:
            issues.append(InputIssue(filename, 1, column, "required column is missing"))
    return issues[:200]


def _row_values(raw: dict[str, str], row_no: int, filename: str, issues: list[InputIssue]) -> dict[str, Any]:
    """A row's non-empty cells as model input: yes/no columns as booleans, vulnerabilities as a list; a bad
    yes/no cell becomes an issue and is left out."""
    values: dict[str, Any] = {}
    for key, text in raw.items():
        kind = _COLUMN_KIND.get(key)  # None: not a Person field (nor the reader's own `__row__`, `__error__`)
        if kind is None or not text:
            continue
        text = text.strip()
        if text == "":
            continue
        if kind == "text":
            values[key] = text
        elif kind == "bool":
            low = text.lower()
            if low not in _YES_OR_NO:
                issues.append(InputIssue(filename, row_no, key, f"expected yes or no, got {excerpt(text)}"))
                continue
            values[key] = low in _YES
        else:
            values[key] = [c.strip() for c in text.split(";") if c.strip()]
    return values


def parse_people_rows(header: list[str], rows: Iterable[dict[str, str]], filename: str
                      ) -> tuple[list[tuple[int, Person]], list[InputIssue]]:
    """Like `parse_people`, but each person comes with its own row number, so later checks name the right row
    even when a case_id is repeated."""
    issues = _header_issues(header, filename)
    if issues:
        return [], issues
    people: list[tuple[int, Person]] = []
    for count, raw in enumerate(rows):
        row_no = int(raw["__row__"])
        if count >= MAX_PEOPLE_ROWS:
            issues.append(InputIssue(filename, row_no, "(file)",
                                     f"more than {MAX_PEOPLE_ROWS} rows; the limit is {MAX_PEOPLE_ROWS} people "
                                     "per file"))
            break
        if "__error__" in raw:
            issues.append(InputIssue(filename, row_no, "(row)", raw["__error__"]))
            continue
        values = _row_values(raw, row_no, filename, issues)
        try:
            people.append((row_no, Person.model_validate(values)))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err.get("loc") else "(row)"
                issues.append(InputIssue(filename, row_no, field, describe_error(err)))
    return people, issues


def load_people_file(path: Path, limits: InputLimits = DEFAULT_LIMITS, name: str | None = None
                     ) -> tuple[list[Person], list[InputIssue], list[int]]:
    """Read a people file; also return each person's row number (same order) for later cross-checks."""
    return people_from_table(lambda: read_people_table(path, name or path.name, limits), name or path.name)


def people_from_table(read: Callable[[], tuple[list[str], list[dict[str, str]]]], name: str
                      ) -> tuple[list[Person], list[InputIssue], list[int]]:
    """Parse the table `read` returns; its input errors become issues (the size limits included)."""
    try:
        header, rows = read()
    except ScenarioInputError as exc:
        return [], exc.issues, []
    numbered, issues = parse_people_rows(header, rows, name)
    return [person for _, person in numbered], issues, [row for row, _ in numbered]
