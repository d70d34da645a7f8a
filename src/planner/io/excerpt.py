"""Short, escaped excerpts of user input for error messages.

An error message may quote what it refuses, but never more than a few dozen characters and never raw:
control characters, quotes and huge nested structures (a YAML alias bomb, a whole file read as one header
cell) come back as a bounded `repr` (docs/input.md, "Error messages").
"""

from __future__ import annotations

import reprlib
from typing import Any

#: Characters of input an error message may quote.
EXCERPT_CHARS = 80

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS // 2
_REPR.maxlong = 24


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """`repr` of `value`, cut to about `limit` characters with an ellipsis; bounded work for any input."""
    if isinstance(value, str):
        text = repr(value[:limit])
        cut = len(value) > limit
    else:
        text = _REPR.repr(value)
        cut = False
    if len(text) > limit + 2:
        text, cut = text[:limit], True
    return text + "…" if cut else text


def safe_label(value: str, limit: int = EXCERPT_CHARS) -> str:
    """A field or column name as given, if short and printable; otherwise its excerpt."""
    if len(value) <= limit and value.isprintable():
        return value
    return excerpt(value, limit)
