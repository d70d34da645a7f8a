"""What a route may ask FastAPI for: the database session, the settings, the job manager, the engine, the
fleet-sizing slots, the caller and the role a route requires.

The app keeps these on `app.state` (`api.app.create_app`); this module is the one place that reads them, so a
router names what it needs in its signature and never reaches into the app.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.auth import RANK, Principal, authenticate, oauth2
from api.jobs import JobManager
from api.memberships import operation_scope, path_id, scope_to
from api.problems import ApiProblem, not_found
from api.settings import Settings


def settings_of(request: Request) -> Settings:
    """The settings the app was built with (secret resolved)."""
    settings: Settings = request.app.state.settings
    return settings


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def jobs_of(request: Request) -> JobManager:
    """The solve job manager, created when the app starts (its lifespan)."""
    jobs: JobManager = request.app.state.jobs
    return jobs


def fleet_slots_of(request: Request) -> threading.BoundedSemaphore:
    """Fleet sizing solves in the request thread: at most `solve_workers` at once (docs/what-if.md)."""
    slots: threading.BoundedSemaphore = request.app.state.fleet_slots
    return slots


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. Async because opening one does no I/O (the connection is taken on first use, in
    the route's worker thread), which saves every request two hops through the thread pool. A request that
    fails rolls back whatever it had not committed."""
    with Session(engine_of(request)) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
EngineDep = Annotated[Engine, Depends(engine_of)]
JobsDep = Annotated[JobManager, Depends(jobs_of)]
FleetSlotsDep = Annotated[threading.BoundedSemaphore, Depends(fleet_slots_of)]
BearerToken = Annotated[str | None, Depends(oauth2)]


def require(role: str) -> Any:
    """A dependency that lets in users with at least `role` (viewer < officer < coordinator < admin). On a route
    with `{operation_id}` in its path the role is the caller's in that operation, and a non-member gets 404
    before any role check (api.memberships)."""
    if role not in RANK:
        raise ValueError(role)

    def dependency(request: Request, session: SessionDep, token: BearerToken) -> Principal:
        principal = operation_scope(request, session, authenticate(request, session, token))
        return _at_least(request, principal, role)

    dependency.min_role = role  # type: ignore[attr-defined]  # read by api.auth.route_min_role
    dependency.checks_operation = True  # type: ignore[attr-defined]  # read by api.memberships.checks_operation
    return dependency


def require_of(role: str, table: Any, param: str) -> Any:
    """`require` for a route that names a row of `table` (a plan, job or variant) by the path parameter `param`
    without the operation in its path: the row's operation is looked up and the membership check applied to
    it; a missing row and a non-member get the same 404."""
    if role not in RANK:
        raise ValueError(role)

    def dependency(request: Request, session: SessionDep, token: BearerToken) -> Principal:
        principal = authenticate(request, session, token)
        row_id = path_id(request, param)
        missing = not_found(param.removesuffix("_id"), row_id if row_id is not None else request.path_params.get(param))
        operation_id = None if row_id is None else session.exec(select(table.operation_id)
                                                                .where(table.id == row_id)).first()
        if operation_id is None:
            raise missing
        return _at_least(request, scope_to(request, session, principal, operation_id, missing), role)

    dependency.min_role = role  # type: ignore[attr-defined]
    dependency.resolves_operation = True  # type: ignore[attr-defined]  # read by api.memberships.checks_operation
    return dependency


def _at_least(request: Request, principal: Principal, role: str) -> Principal:
    if not principal.at_least(role):
        raise ApiProblem(403, f"this action needs the role '{role}' or higher", kind="forbidden")
    request.state.principal = principal
    return principal


#: The caller, by the least role the route needs.
Viewer = Annotated[Principal, Depends(require("viewer"))]
Officer = Annotated[Principal, Depends(require("officer"))]
Coordinator = Annotated[Principal, Depends(require("coordinator"))]
Admin = Annotated[Principal, Depends(require("admin"))]
