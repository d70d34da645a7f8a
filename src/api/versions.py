"""Versions and ETags: every stored resource carries a `version`; an update names the one the client last saw
(If-Match or a `version` field) and loses to a change made meanwhile (409), so no update is lost."""

from __future__ import annotations

import re
from typing import Any, cast

from fastapi import Request, Response
from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, SQLModel

from api.problems import ApiProblem, not_found


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
    # an UPDATE or DELETE executes to a CursorResult; Session.execute is typed as Result
    if cast("CursorResult[Any]", result).rowcount != 1:
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
