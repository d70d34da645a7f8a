"""The departure day through the API (docs/departure-day.md): a flight's check-in view and standby list, the
marks tablets send (idempotent by their client id), the final manifest, and the no-shows handed to re-planning.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlmodel import Session, col, select

from api import models as m
from api.audit import audit, audit_commit
from api.auth import Principal
from api.checkin_marks import NewMark, current_marks, record_marks
from api.db import write_lock
from api.departure_view import build_final_manifest, departure_basis, flight_departure
from api.deps import Officer, SessionDep, Viewer
from api.exports import render
from api.params import CodePath, Id
from api.problems import ApiProblem
from api.routers.events import apply_operation_events
from api.routers.exports import CONTENT, Format, _download
from api.routers.plans import get_plan
from planner.departure.checkin import Mark, replan_events
from planner.whatif.events import EventsFile

router = APIRouter(tags=["departure day"])
BASE = "/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}"


class MarkIn(BaseModel):
    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    case_id: str = Field(min_length=1, max_length=64)
    status: Mark
    reason: str = Field(default="", max_length=500)
    marked_at: AwareDatetime


class MarksIn(BaseModel):
    marks: list[MarkIn] = Field(max_length=2000)


class MarksResult(BaseModel):
    stored: int
    duplicates: int


class StandbyRead(BaseModel):
    household_id: str
    members: list[str]
    weight: int
    booked_on: str | None


class PassengerMark(BaseModel):
    case_id: str
    household_id: str
    status: Mark
    reason: str


class DepartureRead(BaseModel):
    flight_id: str
    counts: dict[str, int]
    freed_seats: int
    passengers: list[PassengerMark]
    standby: list[StandbyRead]


def as_read(day: Any) -> dict[str, Any]:
    return {"flight_id": day.flight_id, "counts": dict(day.counts), "freed_seats": day.freed_seats,
            "passengers": [{"case_id": c, "household_id": h, "status": s, "reason": r} for c, h, s, r in
                           day.passengers],
            "standby": [{"household_id": s.household_id, "members": list(s.members), "weight": s.weight,
                         "booked_on": s.booked_on} for s in day.standby]}


@router.get(BASE + "/departure", response_model=DepartureRead)
def read_departure(operation_id: Id, plan_id: Id, flight_id: CodePath, _: Viewer, session: SessionDep) -> Any:
    """Every passenger's mark (expected when unmarked), the counts, freed seats and the standby households."""
    plan = get_plan(session, operation_id, plan_id)
    return as_read(flight_departure(session, plan, flight_id))


def store_marks(session: Session, principal: Principal, plan: m.Plan, flight_id: str, marks: list[MarkIn]
                ) -> dict[str, int]:
    """Check the case ids against the caseload, store the new marks, audit with counts only."""
    named = {x.case_id for x in marks}  # only the batch's people, not the whole caseload
    known = set(session.exec(select(m.Person.case_id).where(
        m.Person.operation_id == plan.operation_id, col(m.Person.case_id).in_(named),
        m.Person.erased == False)).all())  # noqa: E712
    errors = [{"field": f"body.marks[{i}].case_id", "message": "not a person of this operation"}
              for i, mark in enumerate(marks) if mark.case_id not in known][:50]
    if errors:
        raise ApiProblem(422, f"{len(errors)} mark(s) name no person of the operation; nothing was stored",
                         kind="validation", errors=errors)
    with write_lock(session.get_bind()):
        stored, duplicates = record_marks(session, plan.operation_id, plan.id or 0, flight_id, [
            NewMark(x.client_id, x.case_id, x.status, x.reason, x.marked_at) for x in marks], principal.username)
        audit(session, principal, "check_in", "flight", flight_id, operation_id=plan.operation_id,
              plan_id=plan.id, stored=stored, duplicates=duplicates)
        session.commit()
    return {"stored": stored, "duplicates": duplicates}


def _plan(operation_id: Id, plan_id: Id, session: SessionDep) -> m.Plan:
    """The plan as a dependency, so that a missing plan is a 404 before the body is read."""
    return get_plan(session, operation_id, plan_id)


@router.post(BASE + "/check-in-marks", response_model=MarksResult)
def post_marks(principal: Officer, plan: Annotated[m.Plan, Depends(_plan)], flight_id: CodePath, body: MarksIn,
               session: SessionDep) -> Any:
    """Marks from a tablet; a mark already stored (same client id) is counted as a duplicate, not stored again."""
    departure_basis(session, plan, flight_id)  # 404 for a flight the plan lacks (kept: no caseload read)
    return store_marks(session, principal, plan, flight_id, body.marks)


@router.get(BASE + "/final-manifest", response_class=Response, responses=CONTENT)
def final_manifest_file(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer,
                        session: SessionDep, format: Annotated[Format, Query()] = "pdf") -> Response:
    """The manifest of who actually boarded, with who did not and why; audited."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    doc = build_final_manifest(session, op, plan, flight_id)
    data = render(doc, format)
    audit_commit(session, principal, "export", "final_manifest", flight_id, operation_id=operation_id,
                 plan_id=plan_id, format=format, rows=doc.rows)
    return _download(data, format, f"final-manifest-{flight_id}-plan{plan.number}")


@router.post(BASE + "/departure/events")
def marks_to_events(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer,
                    session: SessionDep) -> Any:
    """Hand the no-shows and offloaded passengers to re-planning as no-show events (their consent is then
    reconfirmed before they are planned again); the result is the events endpoint's."""
    plan = get_plan(session, operation_id, plan_id)
    events = replan_events(flight_id, current_marks(session, plan.id or 0, flight_id))
    if not events:
        return {"events": 0, "changes": []}
    return apply_operation_events(operation_id, EventsFile(events=list(events), as_of=None), principal, session)
