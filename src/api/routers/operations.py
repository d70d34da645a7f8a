"""Operations (one caseload with its flights, sites, escorts and protocol) and their protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete
from sqlmodel import col, func, select

from api import models as m
from api.audit import audit
from api.deps import Coordinator, SessionDep, Viewer
from api.export_cache import caseload_changed
from api.lookups import get_operation
from api.memberships import add_creator, forget_operation, visible_operations
from api.pagination import Page, Paging, paging
from api.params import Id, Version
from api.routers import members
from api.versions import conditional_update, expected_version, set_etag
from planner.model.fields import Moment, check_input_text
from planner.model.scenario import Protocol

router = APIRouter(tags=["operations"])
router.include_router(members.router)  # members of an operation (access per operation), admins only


def _tz(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}") from None
    return name


class OperationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    as_of: Moment
    notes: str = Field(default="", max_length=10_000)
    protocol: Protocol = Field(default_factory=Protocol)

    _check_tz = field_validator("timezone")(_tz)
    _check_text = field_validator("name", "notes")(check_input_text)  # docs/input.md


class OperationUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    as_of: Moment | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    version: Version = None

    @field_validator("name", "notes")
    @classmethod
    def _check_text(cls, v: str | None) -> str | None:
        return None if v is None else check_input_text(v)

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, v: str | None) -> str | None:
        return None if v is None else _tz(v)


class OperationRead(BaseModel):
    id: int
    name: str
    timezone: str
    as_of: str
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int


class ProtocolRead(BaseModel):
    protocol: Protocol
    version: int


class ProtocolUpdate(BaseModel):
    protocol: Protocol
    version: Version = None


@router.get("/operations", response_model=Page[OperationRead])
def list_operations(request: Request, principal: Viewer, session: SessionDep,
                    page: Annotated[Paging, Depends(paging)]) -> Any:
    """The operations the caller may see: all of them with open membership or for admins, else their own."""
    stmt = select(m.Operation)
    visible = visible_operations(request, session, principal)
    if visible is not None:
        stmt = stmt.where(col(m.Operation.id).in_(visible))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = session.exec(stmt.order_by(col(m.Operation.id)).offset(page.offset).limit(page.limit)).all()
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/operations", status_code=201, response_model=OperationRead)
def create_operation(body: OperationCreate, principal: Coordinator, session: SessionDep,
                     response: Response) -> Any:
    op = m.Operation(name=body.name, timezone=body.timezone, as_of=body.as_of.isoformat(), notes=body.notes)
    session.add(op)
    session.flush()
    assert op.id is not None
    session.add(m.Protocol(operation_id=op.id, data=body.protocol.model_dump(mode="json", by_alias=True)))
    add_creator(session, principal, op.id)
    audit(session, principal, "create", "operation", op.id, operation_id=op.id)
    session.commit()
    session.refresh(op)
    set_etag(response, op.version)
    return op


@router.get("/operations/{operation_id}", response_model=OperationRead)
def read_operation(operation_id: Id, _: Viewer, session: SessionDep, response: Response) -> Any:
    op = get_operation(session, operation_id)
    set_etag(response, op.version)
    return op


@router.patch("/operations/{operation_id}", response_model=OperationRead)
def update_operation(operation_id: Id, body: OperationUpdate, request: Request, principal: Coordinator,
                     session: SessionDep, response: Response) -> Any:
    op = get_operation(session, operation_id)
    expected = expected_version(request, body.version)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    if "as_of" in values and values["as_of"] is not None:
        values["as_of"] = values["as_of"].isoformat()
    values = {k: v for k, v in values.items() if v is not None}
    conditional_update(session, m.Operation, operation_id, expected, {**values, "updated_at": m.utcnow()})
    audit(session, principal, "update", "operation", operation_id, operation_id=operation_id,
          fields=sorted(values))
    session.commit()
    session.refresh(op)
    set_etag(response, op.version)
    return op


@router.delete("/operations/{operation_id}", status_code=204)
def delete_operation(operation_id: Id, request: Request, principal: Coordinator, session: SessionDep) -> Response:
    """Delete an operation with everything it owns (people, flights, plans, jobs)."""
    op = get_operation(session, operation_id)
    expected = expected_version(request, None)
    if op.version != expected:
        from api.versions import check_version

        check_version(op.version, expected)
    running = session.exec(select(func.count()).select_from(m.SolveJob).where(
        m.SolveJob.operation_id == operation_id, col(m.SolveJob.status).in_(("queued", "running")))).one()
    if running:
        from api.problems import ApiProblem

        raise ApiProblem(409, "a solve job of this operation is still queued or running; stop it first",
                      kind="job-running")
    plan_ids = select(m.Plan.id).where(m.Plan.operation_id == operation_id)
    site_ids = select(m.TestingSite.id).where(m.TestingSite.operation_id == operation_id)
    session.execute(delete(m.Assignment).where(col(m.Assignment.plan_id).in_(plan_ids)))
    session.execute(delete(m.PlanBody).where(col(m.PlanBody.plan_id).in_(plan_ids)))
    session.execute(delete(m.TestingSlot).where(col(m.TestingSlot.site_id).in_(site_ids)))
    for table in (m.Plan, m.SolveJob, m.Variant, m.Pin, m.Person, m.Household, m.Flight, m.TestingSite, m.Escort,
                  m.AircraftType, m.Protocol):
        session.execute(delete(table).where(col(table.operation_id) == operation_id))
    forget_operation(session, operation_id)
    session.delete(op)
    caseload_changed(session, operation_id)  # a later operation may be given the same id
    audit(session, principal, "delete", "operation", operation_id, operation_id=operation_id)
    session.commit()
    return Response(status_code=204)


@router.get("/operations/{operation_id}/protocol", response_model=ProtocolRead)
def read_protocol(operation_id: Id, _: Viewer, session: SessionDep, response: Response) -> Any:
    row = _protocol_row(session, operation_id)
    set_etag(response, row.version)
    return {"protocol": row.data, "version": row.version}


@router.put("/operations/{operation_id}/protocol", response_model=ProtocolRead)
def replace_protocol(operation_id: Id, body: ProtocolUpdate, request: Request, principal: Coordinator,
                     session: SessionDep, response: Response) -> Any:
    row = _protocol_row(session, operation_id)
    expected = expected_version(request, body.version)
    conditional_update(session, m.Protocol, row.id or 0, expected,
                       {"data": body.protocol.model_dump(mode="json", by_alias=True)})
    from api.staleness import mark_stale

    mark_stale(session, operation_id)
    audit(session, principal, "update", "protocol", operation_id, operation_id=operation_id)
    session.commit()
    session.refresh(row)
    set_etag(response, row.version)
    return {"protocol": row.data, "version": row.version}


def _protocol_row(session: SessionDep, operation_id: Id) -> m.Protocol:
    get_operation(session, operation_id)
    row = session.exec(select(m.Protocol).where(m.Protocol.operation_id == operation_id)).first()
    if row is None:
        row = m.Protocol(operation_id=operation_id, data=Protocol().model_dump(mode="json", by_alias=True))
        session.add(row)
        session.commit()
        session.refresh(row)
    return row

