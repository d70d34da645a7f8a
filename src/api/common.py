"""Pieces every router shares: pagination, versions and ETags, conditional updates, operation lookup."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path as PathParam
from fastapi import Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import Session, SQLModel, select

from api.models import Operation, Plan
from api.problems import ApiProblem, not_found

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Paging(BaseModel):
    limit: int
    offset: int


def paging(limit: Annotated[int, Query(ge=1, le=1000)] = 50,
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Paging:
    return Paging(limit=limit, offset=offset)


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def expected_version(request: Request, body_version: int | None = None) -> int:
    """The version the client last saw: `If-Match` header or a `version` field. Required, to stop lost updates."""
    header = request.headers.get("if-match")
    if header is not None:
        match = _IF_MATCH.match(header)
        if not match:
            raise ApiProblem(400, "If-Match must be the ETag from a previous read, e.g. \"3\"", kind="bad-if-match")
        return int(match.group(1))
    if body_version is not None:
        return body_version
    raise ApiProblem(428, "send the resource's ETag in If-Match (or its version in the body) to update it",
                  kind="precondition-required")


def conditional_update(session: Session, table: type[SQLModel], row_id: int, expected: int,
                       values: dict[str, Any]) -> None:
    """UPDATE ... WHERE version = expected; zero rows means someone else changed it first: 409."""
    # version + 1 in SQL, not a bound expected + 1: a client's version at the column's maximum is then a plain
    # 409 (no row matches), where a bound 2**31 would be a PostgreSQL DataError (500)
    result = session.execute(
        update(table).where(table.id == row_id, table.version == expected)  # type: ignore[attr-defined]
        .values(**values, version=table.version + 1)  # type: ignore[attr-defined]
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(table, row_id)
        if current is None:
            raise not_found(table.__name__, row_id)
        raise ApiProblem(409, f"the resource was changed by someone else (now version {current.version}, "  # type: ignore[attr-defined]
                      f"you sent {expected}); read it again and reapply your change",
                      kind="version-conflict", current_version=current.version)  # type: ignore[attr-defined]


def check_version(current: int, expected: int) -> None:
    if current != expected:
        raise ApiProblem(409, f"the resource is at version {current}, you sent {expected}; read it again",
                      kind="version-conflict", current_version=current)


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


def mark_stale(session: Session, operation_id: int) -> None:
    """Edits to people or flights after publishing mark the published plans stale
    (docs/architecture.md#publishing-and-re-planning-in-the-service); rendered
    exports of the operation are outdated once the change commits."""
    from api.export_cache import caseload_changed

    caseload_changed(session, operation_id)
    session.execute(
        update(Plan).where(Plan.operation_id == operation_id, Plan.state == "published", Plan.stale == False)  # noqa: E712
        .values(stale=True)
    )


#: The largest value of an INTEGER column (PostgreSQL int4; every id and version column of the store).
INT32_MAX = 2_147_483_647
#: Database ids in paths and queries: bounded so that a huge number is a 422, not a driver overflow.
Id = Annotated[int, PathParam(ge=1, le=INT32_MAX)]
QueryId = Annotated[int | None, Query(ge=1, le=INT32_MAX)]
#: A database id in a request body (e.g. `previous_plan_id`), bounded like `Id`.
BodyId = Annotated[int, Field(ge=1, le=INT32_MAX)]
#: The `version` a client may send in a body instead of If-Match.
Version = Annotated[int | None, Field(default=None, ge=1, le=INT32_MAX)]
#: A coded id in a path (case, flight, site, escort, aircraft type): at most the column's 64 characters.
CodePath = Annotated[str, PathParam(min_length=1, max_length=64)]
