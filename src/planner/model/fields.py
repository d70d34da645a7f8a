"""Field types and the strict base model every scenario part builds on.

Kept apart from `scenario.py` so that the parts of a scenario that live in their own modules (documents, ground
transport, baggage, comfort, reception, notices) can use the same types without an import cycle.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from planner.io.cell_rules import formula_like, formula_message

Sex = Literal["F", "M", "X"]
Consent = Literal["explicit", "proxy", "none"]
DocumentType = Literal["passport", "etd", "none"]
Fitness = Literal["fit", "fit_with_escort", "unfit", "pending"]
Mobility = Literal["none", "WCHR", "WCHS", "WCHC", "WCHP", "STCR"]
TestResult = Literal["negative", "positive", "pending"]
EscortRole = Literal["operational", "medical", "uasc"]
Distancing = Literal["side", "across-aisle", "front-back", "diagonal"]

#: Vulnerability codes an officer may type in the people file (docs/rules.md#priority-weights).
TYPED_VULNERABILITIES = ("medical", "disability", "trafficking", "torture", "border_exposure")
#: Codes the planner derives from the data; typing them in is an input error.
DERIVED_VULNERABILITIES = ("elderly", "pregnant", "uasc", "single_parent", "infant")
VULNERABILITY_CODES = TYPED_VULNERABILITIES + DERIVED_VULNERABILITIES


def _no_number(value: Any) -> Any:
    """Refuse what YAML makes of an unquoted `20:00`: the base-60 number 1200, which pydantic reads as seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        hours, minutes = divmod(int(value), 60)
        if isinstance(value, int) and 0 <= value < 24 * 60:
            raise ValueError(f"got the number {value} (YAML reads an unquoted {hours}:{minutes:02d} as a base-60 "
                             f'number); write the time in quotes as HH:MM, e.g. "{hours:02d}:{minutes:02d}"')
        raise ValueError(f"got the number {value!r}; write the time in quotes as HH:MM, e.g. \"08:00\"")
    return value


def _no_offset(value: time) -> time:
    """Site hours are wall-clock times in the site's timezone, so an offset would contradict it."""
    if value.tzinfo is not None:
        raise ValueError(f"{value.isoformat()!r} has a timezone offset; write the local time in quotes as HH:MM")
    return value


#: A local wall-clock time written "HH:MM" (the schema says so instead of JSON Schema's offset-bearing `time`).
ClockTime = Annotated[
    time,
    BeforeValidator(_no_number),
    AfterValidator(_no_offset),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$",
                    "description": 'local time "HH:MM" (quoted in YAML)'}),
]


#: Validation context for data read back from the service's own store: written before today's rules, so the
#: text rules (formula text, id pattern) are not applied again; exports neutralise such text instead.
STORED = {"stored": True}


def _trusted(info: ValidationInfo | None) -> bool:
    return bool(info is not None and isinstance(info.context, dict) and info.context.get("stored"))


def check_text(value: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate cannot be stored or sent as UTF-8)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text (it holds a lone surrogate)") from None
    return value


def _check_all_text(value: Any, info: ValidationInfo | None) -> None:
    if isinstance(value, str):
        check_text(value)
        if not _trusted(info) and formula_like(value):
            raise ValueError(formula_message(value))
    elif isinstance(value, list):
        for item in value:
            _check_all_text(item, info)
    elif isinstance(value, dict):
        for key in value:
            _check_all_text(key, info)


def check_input_text(value: str) -> str:
    """The text rules of every model (valid Unicode, not formula-looking) for text outside the models, such as
    an operation's name in the service."""
    _check_all_text(value, None)
    return value


#: Coded ids (case, household, flight, testing site, escort, aircraft type): letters, digits, `.`, `_`, `-`,
#: starting with a letter or digit, at most 64 characters, so they are safe in a URL path, a file name and a
#: spreadsheet cell (docs/input.md, "Ids").
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_CODE = re.compile(CODE_PATTERN)


def _check_code(value: str, info: ValidationInfo) -> str:
    if not _trusted(info) and not _CODE.match(value):
        raise ValueError("use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


Code = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"pattern": CODE_PATTERN}),
                 AfterValidator(_check_code)]

#: Instants and days the planner works with: years 1900 to 2199, so that shifting a flight by days or reading
#: a date at the end of the calendar can never overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _plausible_year(value: Any) -> Any:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
Day = Annotated[date, AfterValidator(_plausible_year)]


class Model(BaseModel):
    """Strict base: unknown keys are errors, so a typo in a scenario file is reported, not ignored.

    Every text value must be valid Unicode and must not look like a spreadsheet formula
    (planner.io.cell_rules, docs/input.md), whichever door it comes through: a file, the CLI or the service."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    @field_validator("*", mode="after")
    @classmethod
    def _text_rules(cls, value: Any, info: ValidationInfo) -> Any:
        if value.__class__ is str and value.isascii() and value[:1].isalnum():
            return value  # ASCII starting with a letter or digit: valid Unicode, not formula-looking (the common cell)
        if isinstance(value, str | list | dict):
            _check_all_text(value, info)
        return value
