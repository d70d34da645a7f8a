"""The one rule for text that a spreadsheet would run as a formula (docs/input.md, "Formula-looking text").

Import refuses such text (every text field of a person, a scenario or an event, from any file or request);
every export neutralises it with a leading apostrophe, as defence in depth for text stored earlier. A value
is formula-looking when, after any leading whitespace (spaces, tabs, line breaks, full-width spaces), it
starts with `=`, `@`, `＝` or `＠`, or with `+`, `-`, `＋`, `－` unless it is a plain number or phone number
(signs, digits, spaces, brackets, dots, slashes and dashes only, e.g. `+964 750 123 4567` or `-3`): such
values cannot call a function or reference a cell, so they are kept as they are.
"""

from __future__ import annotations

import re
from typing import Any

#: Characters that start a formula in Excel, LibreOffice or Google Sheets (ASCII and full-width forms).
FORMULA_STARTS = frozenset("=@＝＠")
SIGN_STARTS = frozenset("+-＋－")
#: Control characters that some spreadsheets treat as cell separators: an export never starts a cell with one.
CONTROL_STARTS = ("\t", "\r", "\n")
_NUMBER_OR_PHONE = re.compile(r"[+-][\d\s()./-]*")

FORMULA_MESSAGE = ("looks like a spreadsheet formula (starts with {start}); remove the leading character, or "
                   "start the text with an apostrophe (') to keep it as written")


def formula_start(text: str) -> str | None:
    """The character that makes `text` formula-looking, or None when it is safe."""
    stripped = text.lstrip()
    if not stripped:
        return None
    first = stripped[0]
    if first in FORMULA_STARTS:
        return first
    if first in SIGN_STARTS and not (first in "+-" and _NUMBER_OR_PHONE.fullmatch(stripped)):
        return first
    return None


def formula_like(text: str) -> bool:
    """Would a spreadsheet run this text as a formula (the import rule)?"""
    return formula_start(text) is not None


def formula_message(text: str) -> str:
    """The import error for a formula-looking value."""
    return FORMULA_MESSAGE.format(start=repr(formula_start(text) or text[:1]))


def needs_neutralising(text: str) -> bool:
    """The export rule: formula-looking, or starting with a tab or line break."""
    return text.startswith(CONTROL_STARTS) or formula_like(text)


def neutralise(value: Any) -> Any:
    """A cell for a CSV or XLSX export: text that needs it gets a leading apostrophe; None is empty; numbers,
    booleans and other non-text values are returned as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value and needs_neutralising(value):
        return "'" + value
    return value


def neutralise_text(value: Any) -> str:
    """`neutralise`, always as text (for writers that take strings only)."""
    cell = neutralise(value)
    return cell if isinstance(cell, str) else str(cell)
