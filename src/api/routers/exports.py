"""Exports of a plan: flight manifests and testing schedules (CSV, XLSX, printable HTML, PDF), the plan JSON.

The documents are built once (`api.plan_documents`) and written in each format by `api.exports`; the web print
view (`api.web.routes_documents`) shows the same documents (docs/documents.md).
Every export that carries personal data is audited with who, what and how many rows, never the rows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api import models as m
from api.audit import audit_commit
from api.content_disposition import content_disposition
from api.deps import Officer, SessionDep
from api.export_cache import cache_for
from api.exports import render
from api.params import Id
from api.plan_documents import build_manifest, build_schedule
from api.routers.plans import get_plan

router = APIRouter(tags=["exports"])
Format = Literal["csv", "xlsx", "html", "pdf"]
MEDIA = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {v: {} for v in MEDIA.values()}}}


def _download(data: bytes, fmt: str, name: str) -> Response:
    """A download whose name (built from ids and query text) goes through content_disposition, never raw."""
    headers = {"Content-Disposition": content_disposition(name, fmt, "inline" if fmt == "html" else "attachment"),
               "Cache-Control": "no-store"}
    return Response(content=data, media_type=MEDIA[fmt], headers=headers)


def _cached(session: SessionDep, key: tuple[Any, ...], make: Any) -> tuple[bytes, int]:
    """Renderings kept until the caseload changes (`api.export_cache`); the audit entry is never cached."""
    cache = cache_for(session.get_bind())
    rendered: tuple[bytes, int] | None = cache.get(key)
    if rendered is None:
        rendered = make()
        cache.put(key, rendered)
    return rendered


def _revision(session: SessionDep, op: m.Operation, plan: m.Plan) -> tuple[Any, ...]:
    cache = cache_for(session.get_bind())
    return (op.id, cache.revision(op.id or 0), op.version, plan.id, plan.version, plan.stale, plan.state,
            str(plan.created_at))


# ------------------------------------------------------------------------------------------- manifests


@router.get("/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/manifest",
            response_class=Response, responses=CONTENT)
def flight_manifest(operation_id: Id, plan_id: Id, flight_id: str, principal: Officer, session: SessionDep,
                    format: Annotated[Format, Query()] = "csv") -> Response:
    """The passenger manifest of one flight for the airline: travel documents, seats, households, needs in
    words, lap infants with their carrier, escorts with their role, totals and signatures (docs/documents.md)."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    data, rows = manifest_file(session, op, plan, flight_id, format)
    name = f"manifest-{flight_id}-plan{plan.number}"  # read before the commit expires the row
    audit_commit(session, principal, "export", "manifest", flight_id, operation_id=operation_id, plan_id=plan_id,
                 format=format, rows=rows)
    return _download(data, format, name)



def manifest_file(session: SessionDep, op: m.Operation, plan: m.Plan, flight_id: str, fmt: str) -> tuple[bytes, int]:
    """The manifest rendered in `fmt` and its number of rows, kept until the caseload or the plan changes; also
    built by the warm-up after a plan is stored (`api.web.flight_warm`), so no download waits for it."""
    key = ("manifest", *_revision(session, op, plan), flight_id, fmt)

    def make() -> tuple[bytes, int]:
        doc = build_manifest(session, op, plan, flight_id, figure=fmt in ("html", "pdf"))
        return render(doc, fmt), doc.rows

    return _cached(session, key, make)


# ------------------------------------------------------------------------------------ testing schedules


@router.get("/operations/{operation_id}/plans/{plan_id}/testing-schedule", response_class=Response,
            responses=CONTENT)
def testing_schedule(operation_id: Id, plan_id: Id, principal: Officer, session: SessionDep,
                     format: Annotated[Format, Query()] = "csv",
                     site: Annotated[str | None, Query(max_length=64)] = None,
                     day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> Response:
    """Who is sampled where and when (returnees and escorts), per site and local day, for the sites' staff."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    key = ("schedule", *_revision(session, op, plan), site, day, format)

    def make() -> tuple[bytes, int]:
        doc = build_schedule(session, op, plan, site, day)
        return render(doc, format), doc.rows

    data, rows = _cached(session, key, make)
    name = f"testing-schedule-plan{plan.number}" + (f"-{site}" if site else "") + (f"-{day}" if day else "")
    audit_commit(session, principal, "export", "testing_schedule", site or "(all)", operation_id=operation_id,
                 plan_id=plan_id, format=format, rows=rows, day=day)
    return _download(data, format, name)


@router.get("/operations/{operation_id}/plans/{plan_id}/plan.json", response_class=Response,
            responses={200: {"content": {"application/json": {}}}})
def plan_json(operation_id: Id, plan_id: Id, principal: Officer, session: SessionDep) -> Response:
    """The plan file (docs/architecture.md#plan-json), the same the CLI writes; it names people by case_id only."""
    plan = get_plan(session, operation_id, plan_id)
    number = plan.number  # read before the commit expires the row
    audit_commit(session, principal, "export", "plan_json", plan_id, operation_id=operation_id)
    return Response(content=m.plan_json(session, plan_id), media_type="application/json",
                    headers={"Content-Disposition": content_disposition(f"plan-{number}", "json"),
                             "Cache-Control": "no-store"})
