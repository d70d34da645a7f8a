"""The departure day in the web app (docs/departure-day.md): a flight's check-in page for a tablet at the
airport, the marks it sends (JSON, idempotent by the tablet's client id), a no-script form for one mark, the
final manifest (print view and downloads through the API's route) and the no-shows handed to re-planning.

Every write calls the API's own functions (`store_marks`, `final_manifest_file`, `marks_to_events`), so
checks, storage once per client id and audit entries are the API's. The page works offline once loaded
(`static/js/checkin.js` queues the marks in `localStorage` and sends them when the connection returns).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import models as m
from api.audit import audit_commit
from api.auth import Principal
from api.checkin_marks import current_marks
from api.departure_view import Inputs, build_final_manifest, departure_basis, people_named
from api.deps import SessionDep
from api.lookups import get_operation
from api.params import Id
from api.problems import ApiProblem
from api.routers.departure import MarkIn, MarksIn, final_manifest_file, marks_to_events, store_marks
from api.web import planning
from api.web.flight_view import flight_view
from api.web.routes_documents import _document_page
from api.web.routes_plans import translate_now
from api.web.session import form, page
from api.web.templating import render
from planner.departure.checkin import CheckInMark, Standby, day_of
from planner.departure.checkin import offered as standby_offered

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page("viewer"))]
Officer = Annotated[Principal, Depends(page("officer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
Download = Literal["csv", "xlsx", "pdf"]
PAGE = "/operations/{operation_id}/plans/{number}/flights/{flight_id}/check-in"
#: At most this many standby households are listed (by priority); more would not fit the freed seats anyway.
STANDBY_SHOWN = 30


@dataclass
class Row:
    case_id: str
    name: str
    name_native: str
    seat: str | None
    lap: bool
    status: str
    reason: str
    planned: bool


@dataclass
class Group:
    household_id: str
    code: str
    palette: int | None
    rows: list[Row] = field(default_factory=list)
    weight: int | None = None  # standby households: their priority weight

    @property
    def seats(self) -> int:
        return sum(1 for r in self.rows if not r.lap)


def _mark_of(marks: dict[str, CheckInMark], case_id: str) -> tuple[str, str]:
    mark = marks.get(case_id)
    return (mark.status, mark.reason) if mark else ("expected", "")


def _planned_groups(view: Any, marks: dict[str, CheckInMark]) -> list[Group]:
    groups = []
    for h in view.households:
        group = Group(h.household_id, h.code, h.palette)
        for t in h.members:
            status, reason = _mark_of(marks, t.case_id)
            group.rows.append(Row(t.case_id, t.name, t.name_native, t.seat, t.lap_of is not None, status, reason,
                                  True))
        groups.append(group)
    return groups


def _standby_groups(people: dict[str, m.Person], offered: list[Standby], marks: dict[str, CheckInMark],
                    planned: set[str]) -> list[Group]:
    """The offered households (the page, offline too, offers those that fit the seats actually freed), plus
    anyone else marked on this flight."""
    members: dict[str, tuple[list[str], int | None]] = {sb.household_id: (list(sb.members), sb.weight)
                                                         for sb in offered}
    for case_id in sorted(set(marks) - planned):  # marked on the flight but not planned on it
        hh = people[case_id].household_id if case_id in people else case_id
        if case_id not in members.setdefault(hh, ([], None))[0]:
            members[hh][0].append(case_id)
    groups = []
    for hh, (cases, weight) in members.items():
        group = Group(hh, "", None, weight=weight)
        for case_id in cases:
            p = people.get(case_id)
            status, reason = _mark_of(marks, case_id)
            group.rows.append(Row(case_id, f"{p.family_name}, {p.given_name}" if p else case_id,
                                  p.name_native if p else "", None, False, status, reason, False))
        groups.append(group)
    return groups


def _inputs(session: Any, operation_id: int, plan: m.Plan) -> Inputs:
    """The pages' own kept scenario and plan document (`api.web.planning`), for a departure day not yet kept."""
    return lambda: (planning.scenario(session, operation_id), planning.plan_body(session, plan))


def _context(request: Request, session: Any, operation_id: int, number: int, flight_id: str) -> dict[str, Any]:
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    try:
        basis = departure_basis(session, plan, flight_id, _inputs(session, operation_id, plan))
    except ApiProblem:
        raise ApiProblem(404, f"flight {flight_id} is not in plan {number}", kind="not_found") from None
    marks = current_marks(session, plan.id or 0, flight_id)
    now = datetime.now(UTC)
    day = day_of(basis, marks, now)
    view = flight_view(session, operation_id, plan, flight_id, translate_now(request))
    planned = {case for case, _hh, _status, _why in day.passengers}
    # every household that could take freed seats if all planned passengers failed to come
    offered = standby_offered(basis, len(planned), now)[:STANDBY_SHOWN]
    wanted = {c for sb in offered for c in sb.members} | (set(marks) - planned)
    people = people_named(session, operation_id, wanted)
    return {"op": op, "plan": plan, "flight_id": flight_id, "section": "plans", "day": day, "view": view,
            "groups": _planned_groups(view, marks), "standby": _standby_groups(people, offered, marks, planned),
            "base": PAGE.format(operation_id=operation_id, number=number, flight_id=flight_id)}


@router.get(PAGE, name="web.checkin")
def checkin_page(request: Request, operation_id: Id, number: Id, flight_id: str, principal: Viewer,
                 session: SessionDep) -> Response:
    """Passengers by household with their marks, the counts, the standby households; audited as a read."""
    context = _context(request, session, operation_id, number, flight_id)
    handed = request.query_params.get("handed")
    response = render(request, "departure/checkin.html", {
        **context, "can_mark": principal.at_least("officer"),
        "handed": int(handed) if handed and handed.isdigit() else None})
    audit_commit(session, principal, "read", "departure_day", flight_id, operation_id=operation_id,
                 plan=number, count=len(context["day"].passengers), via="web")
    return response


def _marks_from(raw: str) -> list[MarkIn]:
    return MarksIn.model_validate({"marks": json.loads(raw)}).marks


@router.post(PAGE + "/marks", name="web.checkin_marks")
def sync_marks(request: Request, operation_id: Id, number: Id, flight_id: str, principal: OfficerForm,
               session: SessionDep) -> Response:
    """The tablet's queued marks (form field `marks`, a JSON list): `{stored, duplicates}` as JSON. A mark sent
    again after a lost answer carries the same client id and is stored once."""
    plan = planning.plan_by_number(session, operation_id, number)
    try:
        marks = _marks_from(str(request.state.form.get("marks", "[]")))
    except (ValueError, ValidationError) as exc:
        errors = ([{"field": "marks." + ".".join(str(p) for p in e["loc"][1:]), "message": e["msg"]}
                   for e in exc.errors()[:50]] if isinstance(exc, ValidationError) else
                  [{"field": "marks", "message": "not a JSON list of marks"}])
        return JSONResponse({"detail": "the marks could not be read; nothing was stored", "errors": errors}, 422)
    if flight_id not in {f.flight_id for f in planning.plan_body(session, plan).flights}:
        return JSONResponse({"detail": f"flight {flight_id} is not in plan {number}"}, 404)
    try:
        return JSONResponse(store_marks(session, principal, plan, flight_id, marks))
    except ApiProblem as exc:
        session.rollback()
        return JSONResponse({"detail": str(exc.detail), "errors": exc.extra.get("errors", [])}, exc.status)


@router.post(PAGE + "/mark", name="web.checkin_mark")
def one_mark(request: Request, operation_id: Id, number: Id, flight_id: str, principal: OfficerForm,
             session: SessionDep) -> Response:
    """A mark without script (the page's buttons are plain forms): stored with a server-made client id."""
    plan = planning.plan_by_number(session, operation_id, number)
    fields = request.state.form
    now = datetime.now(UTC)
    try:
        marks = [MarkIn(client_id=uuid.uuid4().hex, case_id=str(c), status=fields.get("status"),
                        reason=str(fields.get("reason", "")), marked_at=now) for c in fields.getlist("case_id")]
    except ValidationError:
        raise ApiProblem(422, "choose a mark for a passenger of the flight", kind="validation") from None
    if any(x.status == "offloaded" and not x.reason.strip() for x in marks):
        raise ApiProblem(422, "say why the passenger was offloaded", kind="validation")
    store_marks(session, principal, plan, flight_id, marks)
    return RedirectResponse(PAGE.format(operation_id=operation_id, number=number, flight_id=flight_id), 303)


@router.post(PAGE + "/replan", name="web.checkin_replan")
def hand_to_replanning(operation_id: Id, number: Id, flight_id: str, principal: OfficerForm,
                       session: SessionDep) -> Response:
    """No-shows and offloaded passengers become no-show events through the API's route (audited there)."""
    plan = planning.plan_by_number(session, operation_id, number)
    result = marks_to_events(operation_id, plan.id or 0, flight_id, principal, session)
    url = PAGE.format(operation_id=operation_id, number=number, flight_id=flight_id)
    return RedirectResponse(f"{url}?handed={int(result.get('events', 0))}", 303)


@router.get(PAGE.replace("/check-in", "/final-manifest"), name="web.final_manifest")
def final_manifest_page(request: Request, operation_id: Id, number: Id, flight_id: str, principal: Officer,
                        session: SessionDep) -> Response:
    """The final manifest from what boarded, ready to print; audited like a download (format `print`)."""
    op = get_operation(session, operation_id)
    plan: m.Plan = planning.plan_by_number(session, operation_id, number)
    doc = build_final_manifest(session, op, plan, flight_id, _inputs(session, operation_id, plan))
    response = _document_page(request, {
        "op": op, "plan": plan, "doc": doc, "flight_id": flight_id,
        "base": PAGE.replace("/check-in", "/final-manifest").format(
            operation_id=operation_id, number=number, flight_id=flight_id)})
    audit_commit(session, principal, "export", "final_manifest", flight_id, operation_id=operation_id,
                 plan_id=plan.id, format="print", rows=doc.rows, via="web")
    return response


@router.get(PAGE.replace("/check-in", "/final-manifest") + ".{fmt}", name="web.final_manifest_download")
def final_manifest_download(operation_id: Id, number: Id, flight_id: str, fmt: Download, principal: Officer,
                            session: SessionDep) -> Response:
    plan = planning.plan_by_number(session, operation_id, number)
    return final_manifest_file(operation_id, plan.id or 0, flight_id, principal, session, format=fmt)
