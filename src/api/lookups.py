"""Rows of an operation looked up by id or code: a 404 names the operation when it is the one missing."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from api.models import Operation
from api.problems import not_found


def get_operation(session: Session, operation_id: int) -> Operation:
    op = session.get(Operation, operation_id)
    if op is None:
        raise not_found("operation", operation_id)
    return op


def get_in_operation(session: Session, table: Any, operation_id: int, column: str, value: str, noun: str) -> Any:
    """The operation's row of `table` whose `column` is `value`; 404 names the operation when it is the one
    missing, the row otherwise."""
    row = session.exec(select(table).where(table.operation_id == operation_id,
                                           getattr(table, column) == value)).first()
    if row is None:
        get_operation(session, operation_id)
        raise not_found(noun, value)
    return row
