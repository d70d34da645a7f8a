"""Column lengths: the table metadata is the one source of truth for how long a stored text may be, checked
before the database refuses a value with an error the client cannot read."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from fastapi.exceptions import RequestValidationError


@cache
def column_lengths(table: Any) -> dict[str, int]:
    """Maximum lengths of the table's string columns, read from its metadata: the one source of truth for
    how long a stored text may be (VARCHAR(n) on PostgreSQL; SQLite would store anything)."""
    return {c.name: c.type.length for c in table.__table__.columns if getattr(c.type, "length", None)}


def column_length(table: Any, column: str) -> int:
    return column_lengths(table)[column]


def too_long(table: Any, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(column, message) for every string value longer than its column allows."""
    limits = column_lengths(table)
    return [(k, f"at most {limits[k]} characters are allowed here; this value has {len(v)}")
            for k, v in values.items() if isinstance(v, str) and k in limits and len(v) > limits[k]]


def check_lengths(table: Any, values: Mapping[str, Any], fields: Mapping[str, str] | None = None,
                  prefix: tuple[str, ...] = ("body",)) -> None:
    """A 422 naming each field (`body.<field>`) whose value is longer than its column, before the database
    refuses it with an error the client cannot read."""
    errors = [{"loc": (*prefix, (fields or {}).get(k, k)), "msg": msg, "type": "string_too_long"}
              for k, msg in too_long(table, values)]
    if errors:
        raise RequestValidationError(errors)
