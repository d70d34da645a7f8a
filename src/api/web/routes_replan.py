"""Re-planning: record what happened (forms per event, or the CLI's events file) and re-plan with unlocks.

Events go through the API's `apply_operation_events` (all or nothing, audited, plans marked stale), the
re-plan through `start_solve` with `replan: true`; the new plan's page lists every change per person. See
docs/web.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select
from starlette.datastructures import UploadFile

from api import models as m
from api.auth import Principal
from api.deps import JobsDep, SessionDep, SettingsDep
from api.lookups import get_operation
from api.params import Id
from api.problems import ApiProblem
from api.web import data, i18n, labels
from api.web.routes_plans import TIME_LIMITS, _limit, problem_words
from api.web.session import form, page
from api.web.templating import render

router = APIRouter(include_in_schema=False)
OfficerPage = Annotated[Principal, Depends(page("officer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
#: Largest events file read from an upload (the CLI's files are a few kB).
MAX_EVENTS_BYTES = 2_000_000
FORM_EVENTS = ("positive_test", "consent_withdrawn", "no_show", "document_expired", "flight_delayed",
               "flight_cancelled", "aircraft_changed", "lab_slots_cancelled")


def _context(session: Any, operation_id: int) -> dict[str, Any]:
    from planner.seating.seatmaps import library

    flights = data.flights(session, operation_id, None)
    sites = sorted(session.exec(select(m.TestingSite.code).where(m.TestingSite.operation_id == operation_id)).all())
    custom = sorted(session.exec(select(m.AircraftType.code).where(
        m.AircraftType.operation_id == operation_id)).all())
    published = session.exec(select(m.Plan).where(
        m.Plan.operation_id == operation_id, m.Plan.state == "published", col(m.Plan.variant_id).is_(None))
        .order_by(col(m.Plan.number).desc())).first()
    active = session.exec(select(m.SolveJob).where(
        m.SolveJob.operation_id == operation_id, col(m.SolveJob.variant_id).is_(None),
        col(m.SolveJob.status).in_(("queued", "running")))).first()
    return {"flights": flights, "sites": sites, "aircraft": sorted(set(library()) | set(custom)),
            "published": published, "active": active, "event_words": labels.EVENTS, "form_events": FORM_EVENTS,
            "time_limits": TIME_LIMITS, "section": "replan"}


def _page(request: Request, session: Any, op: m.Operation, status_code: int = 200, **extra: Any) -> Response:
    return render(request, "plans/events.html", {"op": op, **_context(session, op.id or 0), **extra},
                  status_code=status_code)


@router.get("/operations/{operation_id}/events", name="web.events")
def events_page(request: Request, operation_id: Id, _: OfficerPage, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    return _page(request, session, op, applied=request.query_params.get("applied"))


def _moment(value: str, tz: str) -> str:
    """A `datetime-local` value (no offset) read in the operation's time zone, as ISO 8601 with offset."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.isoformat()


#: The text fields each kind of event takes from its form: (field, always); a field not always sent is left
#: out when empty. Positive tests default to today; lab slots take moments in the operation's time zone.
EVENT_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "positive_test": (("case_id", True),), "consent_withdrawn": (("case_id", True), ("note", False)),
    "no_show": (("case_id", True), ("flight_id", False)), "document_expired": (("case_id", True), ("expiry", True)),
    "flight_delayed": (("flight_id", True), ("hours", True)), "flight_cancelled": (("flight_id", True),),
    "aircraft_changed": (("flight_id", True), ("aircraft", True)), "lab_slots_cancelled": (("site_id", True),),
}


def event_from_form(formdata: Any, op: m.Operation) -> dict[str, Any]:
    """One event of the events file from the fields of its form (checked by the planner's model after)."""
    kind = str(formdata.get("type") or "")
    if kind not in FORM_EVENTS:
        raise ValueError("type")

    def text(name: str) -> str:
        return str(formdata.get(name) or "").strip()

    event: dict[str, Any] = {"type": kind}
    for name, always in EVENT_FIELDS[kind]:
        if always or text(name):
            event[name] = text(name)
    if kind == "positive_test":
        event["date"] = text("date") or date.today().isoformat()
    elif kind == "lab_slots_cancelled":
        try:
            event["start"] = _moment(text("start"), op.timezone)
            event["end"] = _moment(text("end"), op.timezone)
        except ValueError:
            event["start"] = text("start")
            event["end"] = text("end")
    return event


def _apply(request: Request, session: Any, op: m.Operation, principal: Principal, document: Any,
           source: str) -> Response:
    """Validate the events file, apply it through the API and show what changed (or every error)."""
    from api.routers.events import apply_operation_events
    from planner.whatif.events import EventsFile

    try:
        body = EventsFile.model_validate(document)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()[:50]]
        return _page(request, session, op, 422, event_errors=errors, source=source,
                     event_problem=i18n.gettext_("The events could not be read; nothing was changed."))
    try:
        result = apply_operation_events(op.id or 0, body, principal, session)
    except ApiProblem as exc:
        session.rollback()
        return _page(request, session, op, exc.status, event_errors=exc.extra.get("errors", []), source=source,
                     event_problem=problem_words(exc))
    return _page(request, session, op, result=result, source=source, kinds=sorted({e.type for e in body.events}))


@router.post("/operations/{operation_id}/events", name="web.events_record")
def record_event(request: Request, operation_id: Id, principal: OfficerForm, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    try:
        event = event_from_form(request.state.form, op)
    except ValueError:
        return _page(request, session, op, 422, event_problem=i18n.gettext_("Choose what happened."))
    return _apply(request, session, op, principal, {"events": [event]}, "form")


@router.post("/operations/{operation_id}/events/upload", name="web.events_upload")
async def upload_events(request: Request, operation_id: Id, principal: OfficerForm, session: SessionDep) -> Response:
    """The same YAML events file `charterplan replan --events` takes."""
    from starlette.concurrency import run_in_threadpool

    from planner.io.loading import ScenarioInputError, parse_yaml

    upload = request.state.form.get("file")
    raw = b""
    if isinstance(upload, UploadFile):
        raw = await upload.read(MAX_EVENTS_BYTES + 1)
    name = upload.filename if isinstance(upload, UploadFile) and upload.filename else "events.yaml"

    def work() -> Response:
        op = get_operation(session, operation_id)
        if not raw:
            return _page(request, session, op, 422, event_problem=i18n.gettext_("Choose an events file first."))
        if len(raw) > MAX_EVENTS_BYTES:
            return _page(request, session, op, 413, event_problem=i18n.gettext_("The file is too large."))
        try:
            document = parse_yaml(raw.decode("utf-8-sig"), name)
        except UnicodeDecodeError:
            return _page(request, session, op, 422, event_problem=i18n.gettext_("The file is not UTF-8 text."))
        except ScenarioInputError as exc:
            return _page(request, session, op, 422, event_problem=i18n.gettext_("The file is not valid YAML."),
                         event_errors=[{"field": i.field, "message": i.message} for i in exc.issues[:50]])
        return _apply(request, session, op, principal, document, name)

    return await run_in_threadpool(work)


@router.post("/operations/{operation_id}/replan", name="web.replan")
def replan(request: Request, operation_id: Id, principal: OfficerForm, session: SessionDep, settings: SettingsDep,
           manager: JobsDep) -> Response:
    """A re-plan from the newest published plan (the API's `start_solve` with `replan: true`): untouched
    households keep flight and seat; unlocked flights take people from the waiting list."""
    from api.routers.jobs import SolveRequest, start_solve

    op = get_operation(session, operation_id)
    formdata = request.state.form
    limit = _limit(formdata.get("time_limit"), settings)
    unlock = [str(f) for f in formdata.getlist("unlock") if str(f)]
    full = formdata.get("mode") == "full"
    if formdata.get("mode") == "all":
        unlock = ["all"]
    try:
        body = SolveRequest(time_limit=limit, replan=True, unlock=None if full else (unlock or None), full=full)
        job = start_solve(operation_id, body, principal, session, Response(), settings, manager)
    except ValidationError as exc:
        return _page(request, session, op, 422, replan_error=str(exc.errors()[0]["msg"]))
    except ApiProblem as exc:
        return _page(request, session, op, exc.status, replan_error=problem_words(exc))
    return RedirectResponse(f"/operations/{operation_id}/jobs/{job.id}", status_code=303)
