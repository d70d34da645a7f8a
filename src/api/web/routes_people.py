"""People: search and filter (server-side paging), a person's page, edit with versions, erasure, import.

Writes go through the API's own route functions (`api.routers.people`), so the pages check, audit and mark
plans stale exactly as the API does.
"""

from __future__ import annotations

import io
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api import models as m
from api.audit import audit_commit
from api.auth import Principal
from api.deps import SessionDep, SettingsDep
from api.lookups import get_in_operation, get_operation
from api.params import Id
from api.person_rows import row_to_person_dict
from api.problems import ApiProblem
from api.stored_reasons import grouped
from api.web import data, people_search
from api.web.labels import CHOICES, FIELD_LABELS, PERSON_SECTIONS, REASONS, VULNERABILITIES, choice_label
from api.web.session import form, page
from api.web.templating import render
from planner.model.fields import TYPED_VULNERABILITIES
from planner.model.plan import ALL_FLIGHTS
from planner.model.scenario import Person as PersonModel

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page("viewer"))]
OfficerPage = Annotated[Principal, Depends(page("officer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
CoordinatorPage = Annotated[Principal, Depends(page("coordinator"))]
CoordinatorForm = Annotated[Principal, Depends(form("coordinator"))]
PAGE_SIZE = 50

DATE_FIELDS = {"date_of_birth", "consent_date", "document_expiry", "last_positive_test", "registered_on",
               "document_requested_on", "document_issued_on", "symptom_onset", "symptom_free_since"}
BOOL_FIELDS = {"exit_cleared", "pregnant", "evacuation_capable", "unaccompanied_minor", "best_interests_approved",
               "vaccinated"}
OPTIONAL_TEXT = {"testing_site", "last_test_sample", "last_test_result", "document_issuing_state", "country_of_birth",
                 "document_authority", "referral", "onward_transport"}
READ_ONLY = {"case_id"}


def _person(session: Any, operation_id: int, case_id: str) -> m.Person:
    row: m.Person = get_in_operation(session, m.Person, operation_id, "case_id", case_id, "person")
    return row


# ----------------------------------------------------------------------------------------------- list


@router.get("/operations/{operation_id}/people", name="web.people")
def people_list(request: Request, operation_id: Id, principal: Viewer, session: SessionDep,
                q: str = "", destination: str = "", location: str = "", vulnerability: str = "",
                status: str = "") -> Response:
    op = get_operation(session, operation_id)
    number = _page_number(request)
    filters = people_search.PeopleFilters(q[:100], destination[:3], location[:100],
                                 vulnerability if vulnerability in VULNERABILITIES else "",
                                 status if status in ("flying", "not_flying", "eligible", "ineligible") else "")
    plan = data.current_plan(session, operation_id)
    total, rows, assignments = people_search.search_people(session, operation_id, filters, plan, PAGE_SIZE,
                                                  (number - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    # rendered before the audit entry commits: a commit expires the loaded rows, and the template would then
    # reload each person with a query of its own
    response = render(request, "people/list.html", {
        "op": op, "plan": plan, "rows": rows, "assignments": assignments, "total": total, "filters": filters,
        "page_number": min(number, pages), "pages": pages, "page_size": PAGE_SIZE,
        "choices": people_search.filter_choices(session, operation_id), "vulnerability_words": VULNERABILITIES,
        "section": "people",
    })
    if rows:  # personal data shown: who, which operation, how many, with which filters (as the API does)
        session.expunge_all()  # the page is rendered: committing would only expire each of the rows it read
        audit_commit(session, principal, "read", "people", None, operation_id=operation_id, count=len(rows),
                     total=total, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE, filters=filters.as_audit(),
                     via="web")
    return response


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


# --------------------------------------------------------------------------------------------- person


def _person_context(session: Any, operation_id: int, row: m.Person) -> dict[str, Any]:
    plan = data.current_plan(session, operation_id)
    assignment = None
    if plan is not None:
        from sqlmodel import select

        assignment = session.exec(select(m.Assignment).where(m.Assignment.plan_id == plan.id,
                                                             m.Assignment.case_id == row.case_id)).first()
    serving = people_search.serving_flights(session, operation_id, row.destination)
    unassigned = assignment is not None and not assignment.flight_id
    reasons = _reasons(assignment.reasons, serving) if unassigned and assignment is not None else []
    household = people_search.household(session, operation_id, row.household_id) if not row.erased else []
    return {"plan": plan, "assignment": assignment, "reasons": reasons, "serving": serving, "household": household}


@dataclass
class ReasonGroup:
    """One reason on the person page, with the flights it concerns (none named when it is every flight)."""

    code: str
    message: str
    flights: list[str]
    every_flight: bool


def _reasons(stored: list[dict[str, Any]], serving: int) -> list[ReasonGroup]:
    """Each reason once, with the flights it concerns ("every flight" when it is all `serving` of them), as the
    plan stores them; rows stored one reason per flight are grouped the same way (api.stored_reasons)."""
    out = []
    for r in grouped(stored):
        flights = r.get("flights")
        every = flights == ALL_FLIGHTS or (serving > 1 and isinstance(flights, list) and len(flights) >= serving)
        named = [] if every or not isinstance(flights, list) else list(flights)
        out.append(ReasonGroup(r.get("code", ""), r.get("message", ""), named, every))
    return out


@router.get("/operations/{operation_id}/people/{case_id}", name="web.person")
def person_page(request: Request, operation_id: Id, case_id: str, principal: Viewer,
                session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    row = _person(session, operation_id, case_id)
    response = render(request, "people/person.html", {  # before the audit commit expires the loaded rows
        "op": op, "person": row, "values": _display_values(row), **_person_context(session, operation_id, row),
        "sections": PERSON_SECTIONS, "reason_words": REASONS, "section": "people",
        "saved": request.query_params.get("saved") == "1",
    })
    if not row.erased:
        audit_commit(session, principal, "read", "person", case_id, operation_id=operation_id, via="web")
    return response


def _display_values(row: m.Person) -> dict[str, Any]:
    """Every field in words: codes through CHOICES, yes/no for flags, vulnerability names."""
    values: dict[str, Any] = {}
    for _, fields in PERSON_SECTIONS:
        for name, _label in fields:
            value = getattr(row, name) if name in m.Person.model_fields else (row.extra or {}).get(
                name, PersonModel.model_fields[name].default if name in PersonModel.model_fields else None)
            if name in CHOICES:
                values[name] = ("choice", choice_label(name, value))
            elif name in BOOL_FIELDS:
                values[name] = ("bool", bool(value))
            elif name == "vulnerabilities":
                values[name] = ("list", [VULNERABILITIES.get(c, c) for c in (value or "").split(";") if c])
            elif name == "last_test_sample":
                values[name] = ("moment", value)
            elif isinstance(value, date):
                values[name] = ("date", value)
            else:
                values[name] = ("text", value)
    return values


# ----------------------------------------------------------------------------------------------- edit


def _form_values(row: m.Person) -> dict[str, Any]:
    """The stored person as the edit form's strings (dates ISO, flags as booleans, codes as lists)."""
    current = row_to_person_dict(row)
    out: dict[str, Any] = {}
    for name in FIELD_LABELS:
        value = current.get(name)
        if name in BOOL_FIELDS:
            out[name] = bool(value)
        elif name == "vulnerabilities":
            out[name] = sorted(value or [])
        elif isinstance(value, (datetime, date)):
            out[name] = value.isoformat()
        else:
            out[name] = "" if value is None else str(value)
    return out


def _submitted(formdata: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELD_LABELS:
        if name in READ_ONLY:
            continue
        if name in BOOL_FIELDS:
            out[name] = formdata.get(name) == "on"
        elif name == "vulnerabilities":
            out[name] = sorted(v for v in formdata.getlist(name) if v in TYPED_VULNERABILITIES)
        else:
            out[name] = str(formdata.get(name) or "").strip()
    return out


def _patch(submitted: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the officer changed, typed for the API's PersonUpdate (empty optional text is None)."""
    patch: dict[str, Any] = {}
    for name, value in submitted.items():
        if value == current.get(name):
            continue
        if isinstance(value, str) and value == "" and (name in DATE_FIELDS or name in OPTIONAL_TEXT):
            value = None
        patch[name] = value
    return patch


def _edit(request: Request, op: m.Operation, row: m.Person, values: dict[str, Any], version: int,
          errors: dict[str, str] | None = None, conflict: list[tuple[str, str, str]] | None = None,
          status_code: int = 200) -> Response:
    return render(request, "people/edit.html", {
        "op": op, "person": row, "values": values, "version": version, "errors": errors or {},
        "conflict": conflict, "sections": PERSON_SECTIONS, "choices": CHOICES, "date_fields": DATE_FIELDS,
        "bool_fields": BOOL_FIELDS, "typed_vulnerabilities": TYPED_VULNERABILITIES,
        "vulnerability_words": VULNERABILITIES, "section": "people",
    }, status_code=status_code)


@router.get("/operations/{operation_id}/people/{case_id}/edit", name="web.person_edit")
def person_edit(request: Request, operation_id: Id, case_id: str, principal: OfficerPage,
                session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    row = _person(session, operation_id, case_id)
    if row.erased:
        return RedirectResponse(f"/operations/{operation_id}/people/{case_id}", status_code=303)
    audit_commit(session, principal, "read", "person", case_id, operation_id=operation_id, via="web")
    return _edit(request, op, row, _form_values(row), row.version)


@router.post("/operations/{operation_id}/people/{case_id}/edit", name="web.person_save")
def person_save(request: Request, operation_id: Id, case_id: str, principal: OfficerForm,
                session: SessionDep) -> Response:
    from api.routers.people import PersonUpdate, update_person

    op = get_operation(session, operation_id)
    row = _person(session, operation_id, case_id)
    formdata = request.state.form
    submitted = _submitted(formdata)
    raw_version = str(formdata.get("version") or "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else 0
    if row.erased:
        raise ApiProblem(409, "this person was erased; a tombstone cannot be edited", kind="erased")
    current = _form_values(row)
    if row.version != version:
        return _conflict(request, op, row, submitted, current)
    patch = _patch(submitted, current)
    if not patch:
        return RedirectResponse(f"/operations/{operation_id}/people/{case_id}", status_code=303)
    try:
        body = PersonUpdate(**patch, version=version)
        update_person(operation_id, case_id, body, request, principal, session, Response())
    except ValidationError as exc:
        return _edit(request, op, row, submitted, version, _field_errors(exc.errors()), status_code=422)
    except RequestValidationError as exc:
        return _edit(request, op, row, submitted, version, _field_errors(exc.errors()), status_code=422)
    except ApiProblem as exc:
        if exc.kind != "version-conflict":
            raise
        session.rollback()
        session.refresh(row)
        return _conflict(request, op, row, submitted, _form_values(row))
    return RedirectResponse(f"/operations/{operation_id}/people/{case_id}?saved=1", status_code=303)


def _conflict(request: Request, op: m.Operation, row: m.Person, submitted: dict[str, Any],
              current: dict[str, Any]) -> Response:
    """Someone saved the person since this form was opened: nothing was written. The form keeps the officer's
    entries, the differences are listed, and saving again (with the new version) applies them deliberately."""
    differences = [(name, _shown(current.get(name)), _shown(value)) for name, value in submitted.items()
                   if value != current.get(name)]
    return _edit(request, op, row, submitted, row.version, conflict=differences, status_code=409)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "—"
    return str(value) if value not in (None, "") else "—"


def _field_errors(errors: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errors:
        loc = [p for p in e.get("loc", ()) if p != "body"]
        name = str(loc[0]) if loc else "version"
        out.setdefault(name, str(e.get("msg", "not valid")).removeprefix("Value error, "))
    return out


# ---------------------------------------------------------------------------------------------- erase


@router.get("/operations/{operation_id}/people/{case_id}/erase", name="web.person_erase")
def person_erase(request: Request, operation_id: Id, case_id: str, _: CoordinatorPage,
                 session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    row = _person(session, operation_id, case_id)
    return render(request, "people/erase.html", {"op": op, "person": row, "section": "people"})


@router.post("/operations/{operation_id}/people/{case_id}/erase", name="web.person_erase_confirm")
def person_erase_confirm(request: Request, operation_id: Id, case_id: str, principal: CoordinatorForm,
                         session: SessionDep) -> Response:
    from api.routers.people import erase_person

    op = get_operation(session, operation_id)
    row = _person(session, operation_id, case_id)
    if str(request.state.form.get("confirm_case_id") or "").strip() != case_id:
        return render(request, "people/erase.html", {"op": op, "person": row, "section": "people",
                                                     "mismatch": True}, status_code=422)
    if not row.erased:
        erase_person(operation_id, case_id, principal, session, Response())
    return RedirectResponse(f"/operations/{operation_id}/people/{case_id}", status_code=303)


# --------------------------------------------------------------------------------------------- import
# A checked file is kept in memory (per user, for PENDING_SECONDS) so "Import" needs no second upload; the
# commit checks every row again inside the API's import, all or nothing.

PENDING_SECONDS = 30 * 60
PENDING_MAX = 16
_pending_lock = threading.Lock()


def _pending(request: Request) -> dict[str, tuple[int, int, str, bytes, float]]:
    store = getattr(request.app.state, "web_pending_imports", None)
    if store is None:
        store = request.app.state.web_pending_imports = {}
    return store


def _keep(request: Request, principal: Principal, operation_id: int, filename: str, content: bytes) -> str:
    token = secrets.token_urlsafe(16)
    now = time.monotonic()
    with _pending_lock:
        store = _pending(request)
        for key in [k for k, v in store.items() if v[4] < now or v[0] == principal.user_id]:
            del store[key]  # one pending file per user; expired ones go
        while len(store) >= PENDING_MAX:
            store.pop(next(iter(store)))
        store[token] = (principal.user_id, operation_id, filename, content, now + PENDING_SECONDS)
    return token


@router.get("/operations/{operation_id}/import", name="web.import")
def import_page(request: Request, operation_id: Id, _: OfficerPage, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    done = None
    if request.query_params.get("imported") == "1":
        done = {k: request.query_params.get(k, "0") for k in ("rows", "created", "updated", "unchanged")}
    return render(request, "people/import.html", {"op": op, "done": done, "section": "import"})


@router.post("/operations/{operation_id}/import", name="web.import_check")
async def import_check(request: Request, operation_id: Id, principal: OfficerForm,
                       session: SessionDep, settings: SettingsDep) -> Response:
    """Dry run of the API's import on the uploaded file: every error with row and column, or the counts."""
    from api.routers.people import import_people

    upload = request.state.form.get("file")
    op = get_operation(session, operation_id)
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        return render(request, "people/import.html", {"op": op, "section": "import", "missing": True},
                      status_code=422)
    filename = upload.filename.rsplit("/", 1)[-1][:200]
    try:
        report = await import_people(operation_id, principal, session, settings, upload, dry_run=True)
    except ApiProblem as exc:
        return render(request, "people/import.html", {
            "op": op, "section": "import", "filename": filename, "problem": exc,
            "errors": exc.extra.get("errors", []), "error_count": exc.extra.get("error_count"),
        }, status_code=exc.status)
    await upload.seek(0)
    content = await upload.read()
    token = _keep(request, principal, operation_id, filename, content)
    return render(request, "people/import.html", {"op": op, "section": "import", "filename": filename,
                                                  "report": report, "token": token})


@router.post("/operations/{operation_id}/import/commit", name="web.import_commit")
async def import_commit(request: Request, operation_id: Id, principal: OfficerForm,
                        session: SessionDep, settings: SettingsDep) -> Response:
    from api.routers.people import import_people

    op = get_operation(session, operation_id)
    token = str(request.state.form.get("token") or "")
    with _pending_lock:
        item = _pending(request).pop(token, None)
    if item is None or item[0] != principal.user_id or item[1] != operation_id or item[4] < time.monotonic():
        return render(request, "people/import.html", {"op": op, "section": "import", "expired": True},
                      status_code=409)
    _, _, filename, content, _ = item
    upload = UploadFile(io.BytesIO(content), filename=filename)
    try:
        report = await import_people(operation_id, principal, session, settings, upload, dry_run=False)
    except ApiProblem as exc:  # the caseload changed since the check: every error again, nothing imported
        return render(request, "people/import.html", {
            "op": op, "section": "import", "filename": filename, "problem": exc,
            "errors": exc.extra.get("errors", []), "error_count": exc.extra.get("error_count"),
        }, status_code=exc.status)
    return RedirectResponse(
        f"/operations/{operation_id}/import?imported=1&rows={report.rows}&created={report.created}"
        f"&updated={report.updated}&unchanged={report.unchanged}", status_code=303)
