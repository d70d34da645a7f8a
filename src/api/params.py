"""Bounded types for ids, codes and versions in paths, queries and bodies: a value out of range is a 422 the
client can read, never a driver overflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Query
from pydantic import Field

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
