"""Printable documents in the web app: a flight's manifest and a plan's testing schedule, with a print button
and downloads (CSV, XLSX, PDF).

The documents are the API's own (`api.plan_documents.build_manifest`, `build_schedule`), and downloads call the
API's export routes, so content, formula neutralisation, the out-of-date mark and audit entries are the same
(docs/documents.md). Like the API's exports they need the officer role.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.audit import audit_commit
from api.auth import Principal
from api.deps import SessionDep
from api.lookups import get_operation
from api.params import Id
from api.plan_documents import build_manifest, build_schedule
from api.routers.exports import flight_manifest, testing_schedule
from api.web import planning
from api.web.session import page
from api.web.templating import render

router = APIRouter(include_in_schema=False)
Officer = Annotated[Principal, Depends(page("officer"))]
Download = Literal["csv", "xlsx", "pdf"]
Site = Annotated[str | None, Query(max_length=64)]
Day = Annotated[str | None, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


def _document_page(request: Request, template_context: dict[str, Any]) -> Response:
    return render(request, "documents/page.html", {"section": "plans", "flight_id": None, "sites": [],
                                                   "days": [], "site": None, "day": None, "qs": "",
                                                   **template_context})


@router.get("/operations/{operation_id}/plans/{number}/flights/{flight_id}/manifest", name="web.manifest")
def manifest_page(request: Request, operation_id: Id, number: Id, flight_id: str, principal: Officer,
                  session: SessionDep) -> Response:
    """The manifest of one flight, ready to print; showing it is audited like a download (format `print`)."""
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    doc = build_manifest(session, op, plan, flight_id)
    response = _document_page(request, {
        "op": op, "plan": plan, "doc": doc, "flight_id": flight_id,
        "base": f"/operations/{operation_id}/plans/{number}/flights/{flight_id}/manifest"})
    audit_commit(session, principal, "export", "manifest", flight_id, operation_id=operation_id, plan_id=plan.id,
                 format="print", rows=doc.rows, via="web")
    return response


@router.get("/operations/{operation_id}/plans/{number}/flights/{flight_id}/manifest.{fmt}",
            name="web.manifest_download")
def manifest_download(operation_id: Id, number: Id, flight_id: str, fmt: Download, principal: Officer,
                      session: SessionDep) -> Response:
    """A download through the API's own export route (same file, same audit entry)."""
    plan = planning.plan_by_number(session, operation_id, number)
    return flight_manifest(operation_id, plan.id or 0, flight_id, principal, session, format=fmt)


@router.get("/operations/{operation_id}/plans/{number}/testing-schedule", name="web.testing_schedule")
def schedule_page(request: Request, operation_id: Id, number: Id, principal: Officer, session: SessionDep,
                  site: Site = None, day: Day = None) -> Response:
    """The testing schedule, one printed part per site and day (returnees and escorts), with filters."""
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    everything = build_schedule(session, op, plan)
    sites = sorted({s.rows[0]["site"] for s in everything.sections if s.rows})
    days = sorted({s.rows[0]["day"] for s in everything.sections if s.rows})
    site, day = site or None, day or None
    doc = build_schedule(session, op, plan, site, day) if site or day else everything
    query = {k: v for k, v in (("site", site), ("day", day)) if v}
    response = _document_page(request, {
        "op": op, "plan": plan, "doc": doc, "sites": sites, "days": days, "site": site, "day": day,
        "qs": ("?" + urlencode(query)) if query else "",
        "base": f"/operations/{operation_id}/plans/{number}/testing-schedule"})
    audit_commit(session, principal, "export", "testing_schedule", site or "(all)", operation_id=operation_id,
                 plan_id=plan.id, format="print", rows=doc.rows, day=day, via="web")
    return response


@router.get("/operations/{operation_id}/plans/{number}/testing-schedule.{fmt}",
            name="web.testing_schedule_download")
def schedule_download(operation_id: Id, number: Id, fmt: Download, principal: Officer, session: SessionDep,
                      site: Site = None, day: Day = None) -> Response:
    plan = planning.plan_by_number(session, operation_id, number)
    return testing_schedule(operation_id, plan.id or 0, principal, session, format=fmt, site=site or None,
                            day=day or None)
