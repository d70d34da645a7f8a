"""Exports of a plan: flight manifests (CSV, XLSX, printable HTML), testing schedules, the plan JSON.

Every export that carries personal data is audited with who, what and how many rows, never the rows.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from sqlmodel import col, select

from api import models as m
from api.audit import audit_commit
from api.auth import Officer, SessionDep
from api.common import Id
from api.content_disposition import content_disposition
from api.convert import ERASED
from api.export_cache import cache_for
from api.exports import to_csv, to_html, to_xlsx
from api.problems import not_found
from api.routers.plans import get_plan

router = APIRouter(tags=["exports"])
Format = Literal["csv", "xlsx", "html"]
MEDIA = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MANIFEST_HEADER = ["seat", "case_id", "family_name", "given_name", "name_native", "sex", "date_of_birth",
                   "nationality", "document_type", "document_number", "document_expiry", "destination", "ssr",
                   "lap_infant", "provisional", "test_site", "test_start"]
SCHEDULE_HEADER = ["site_id", "day", "start", "end", "case_id", "family_name", "given_name", "date_of_birth",
                   "location", "flight_id"]


def _seat_key(seat: str | None) -> tuple[int, str]:
    match = re.match(r"^(\d+)([A-Z]*)$", seat or "")
    return (int(match.group(1)), match.group(2)) if match else (10_000, seat or "")


@lru_cache(maxsize=4096)
def _local(iso: str | None, tz: ZoneInfo) -> str:
    """A stored UTC instant as local wall time; cached, as a manifest repeats the same few sampling slots."""
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M") if iso else ""


def _ssr(person: Any, carries_infant: bool, is_lap: bool) -> str:
    """Special service request codes a check-in agent expects (IATA SSR)."""
    codes = []
    if person.mobility != "none":
        codes.append(person.mobility)
    if carries_infant:
        codes.append("INFT")
    if is_lap:
        codes.append("INF")
    if person.unaccompanied_minor:
        codes.append("UMNR")
    if person.fitness == "fit_with_escort":
        codes.append("MEDA")
    return " ".join(codes)


def _download(data: bytes, fmt: str, name: str) -> Response:
    """A download whose name (built from ids and query text) goes through content_disposition, never raw."""
    headers = {"Content-Disposition": content_disposition(name, fmt, "inline" if fmt == "html" else "attachment"),
               "Cache-Control": "no-store"}
    return Response(content=data, media_type=MEDIA[fmt], headers=headers)


@router.get("/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/manifest",
            response_class=Response, responses={200: {"content": {v: {} for v in MEDIA.values()}}})
def flight_manifest(operation_id: Id, plan_id: Id, flight_id: str, principal: Officer, session: SessionDep,
                    format: Annotated[Format, Query()] = "csv") -> Response:
    """The passenger manifest of one flight: travel-document data, seat, SSR codes, lap infants with their adult."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    key = ("manifest", operation_id, cache.revision(operation_id), op.version, plan_id, plan.version,
           str(plan.created_at), flight_id, format)
    rendered = cache.get(key)
    if rendered is None:
        rendered = _render_manifest(session, op, plan, flight_id, format)
        cache.put(key, rendered)
    data, rows = rendered
    audit_commit(session, principal, "export", "manifest", flight_id, operation_id=operation_id, plan_id=plan_id,
                 format=format, rows=rows)
    return _download(data, format, f"manifest-{flight_id}-plan{plan.number}")


def _render_manifest(session: SessionDep, op: m.Operation, plan: m.Plan, flight_id: str, format: str
                     ) -> tuple[bytes, int]:
    """The manifest file and its number of lines."""
    operation_id = op.id
    flight = session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id,
                                                 m.Flight.code == flight_id)).first()
    A, P = m.Assignment, m.Person
    # Core execution (the connection, not the ORM session): plain rows without the ORM's per-row bookkeeping
    lines = session.connection().execute(
        select(A.case_id, A.seat, A.lap_of, A.provisional, A.test_site, A.test_start, P.family_name, P.given_name,
               P.name_native, P.sex, P.date_of_birth, P.nationality, P.document_type, P.document_number,
               P.document_expiry, P.destination, P.mobility, P.unaccompanied_minor, P.fitness, P.erased)
        .select_from(A)
        .join(P, (P.operation_id == operation_id) & (P.case_id == A.case_id), isouter=True)
        .where(A.plan_id == plan.id, A.flight_id == flight_id)).all()
    if flight is None and not lines:
        raise not_found("flight", flight_id)
    tz = ZoneInfo(op.timezone)
    by_case = {r.case_id: r for r in lines}
    infant_of = {r.lap_of: r.case_id for r in lines if r.lap_of}
    rows: list[list[Any]] = []
    for adult in sorted((r for r in lines if not r.lap_of), key=lambda r: (_seat_key(r.seat), r.case_id)):
        infant = infant_of.get(adult.case_id)
        rows.append(_manifest_row(adult, infant, tz))
        if infant and infant in by_case:
            rows.append(_manifest_row(by_case[infant], None, tz))
    body_escorts = _escorts(session, plan, flight_id)
    for esc in body_escorts:
        rows.append([esc.get("seat") or "", esc["escort_id"], "", "", "", "", "", "", "", "", "", "", "ESCORT",
                     "", "", "", ""])
    departure = _local(flight.departure, tz) if flight else ""
    title = f"Manifest {flight_id}"
    subtitle = f"{op.name} · plan {plan.number} ({plan.state}) · departure {departure} {op.timezone}" \
               f" · {len(lines)} passengers, {len(body_escorts)} escorts"
    if format == "csv":
        return to_csv(MANIFEST_HEADER, rows), len(rows)
    if format == "xlsx":
        return to_xlsx(MANIFEST_HEADER, rows, title), len(rows)
    svg = _seatmap_svg(session, operation_id, plan, flight_id)  # type: ignore[arg-type]
    return to_html(title, subtitle, MANIFEST_HEADER, rows, svg), len(rows)


def _manifest_row(r: Any, infant: str | None, tz: ZoneInfo) -> list[Any]:
    """One manifest line from an assignment joined with its person (person columns are None if missing)."""
    missing = r.sex is None or bool(r.erased)  # an erased person keeps only the case_id (blank columns)
    if missing:
        names, dob, doc_no, doc_exp = [ERASED, ERASED, ""], ERASED, ERASED, ""
    else:
        names = [r.family_name, r.given_name, r.name_native]
        dob, doc_no = r.date_of_birth.isoformat() if r.date_of_birth else "", r.document_number
        doc_exp = r.document_expiry.isoformat() if r.document_expiry else ""
    lap = f"on lap of {r.lap_of}" if r.lap_of else (f"carries {infant}" if infant else "")
    ssr = "" if missing else _ssr(r, bool(infant), bool(r.lap_of))
    sex, nationality, doc_type, destination = ("", "", "", "") if missing else (
        r.sex or "", r.nationality or "", r.document_type or "", r.destination or "")
    return [r.seat or ("lap" if r.lap_of else ""), r.case_id, *names, sex, dob, nationality, doc_type, doc_no,
            doc_exp, destination, ssr, lap, "yes" if r.provisional else "", r.test_site or "", _local(r.test_start, tz)]


def _escorts(session: SessionDep, plan: m.Plan, flight_id: str) -> list[dict[str, Any]]:
    import json

    stored = plan.summary.get("escorts_by_flight")
    if stored is not None:
        return list(stored.get(flight_id, []))
    body = json.loads(m.plan_json(session, plan.id))
    for fp in body.get("flights", []):
        if fp.get("flight_id") == flight_id:
            return list(fp.get("escorts", []))
    return []


def _seatmap_svg(session: SessionDep, operation_id: Id, plan: m.Plan, flight_id: str) -> str | None:
    """The seat map picture when the planner provides a renderer; the manifest table stands on its own."""
    try:
        from api.convert import build_scenario
        from planner.plan import Plan
        from planner.seatmap_render import render_svg  # type: ignore[import-not-found]

        body = Plan.model_validate_json(m.plan_json(session, plan.id))  # type: ignore[arg-type]
        return str(render_svg(build_scenario(session, operation_id), body, flight_id))
    except Exception:
        return None


@router.get("/operations/{operation_id}/plans/{plan_id}/testing-schedule", response_class=Response,
            responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}})
def testing_schedule(operation_id: Id, plan_id: Id, principal: Officer, session: SessionDep,
                     format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
                     site: Annotated[str | None, Query(max_length=64)] = None,
                     day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> Response:
    """Who is sampled where and when, per site and local day, for the sites' staff."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    tz = ZoneInfo(op.timezone)
    stmt = select(m.Assignment).where(m.Assignment.plan_id == plan_id, col(m.Assignment.test_site).is_not(None))
    if site:
        stmt = stmt.where(m.Assignment.test_site == site)
    lines = session.exec(stmt).all()
    people = {p.case_id: p for p in session.exec(select(m.Person).where(
        m.Person.operation_id == operation_id, col(m.Person.case_id).in_([a.case_id for a in lines]))).all()}
    rows = []
    for a in lines:
        start = _local(a.test_start, tz)
        if day and not start.startswith(day):
            continue
        p = people.get(a.case_id)
        erased = p is None or p.erased
        rows.append([a.test_site, start[:10], start[11:], _local(a.test_end, tz)[11:], a.case_id,
                     ERASED if erased else p.family_name, ERASED if erased else p.given_name,  # type: ignore[union-attr]
                     ERASED if erased else (p.date_of_birth.isoformat() if p.date_of_birth else ""),  # type: ignore[union-attr]
                     p.location if p else "", a.flight_id or ""])
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[4]))
    audit_commit(session, principal, "export", "testing_schedule", site or "(all)", operation_id=operation_id,
          plan_id=plan_id, format=format, rows=len(rows), day=day)
    name = f"testing-schedule-plan{plan.number}" + (f"-{site}" if site else "") + (f"-{day}" if day else "")
    if format == "csv":
        return _download(to_csv(SCHEDULE_HEADER, rows), "csv", name)
    return _download(to_xlsx(SCHEDULE_HEADER, rows, "Testing schedule"), "xlsx", name)


@router.get("/operations/{operation_id}/plans/{plan_id}/plan.json", response_class=Response,
            responses={200: {"content": {"application/json": {}}}})
def plan_json(operation_id: Id, plan_id: Id, principal: Officer, session: SessionDep) -> Response:
    """The plan file (DESIGN §4.3), the same the CLI writes; it names people by case_id only."""
    plan = get_plan(session, operation_id, plan_id)
    audit_commit(session, principal, "export", "plan_json", plan_id, operation_id=operation_id)
    return Response(content=m.plan_json(session, plan.id), media_type="application/json",
                    headers={"Content-Disposition": content_disposition(f"plan-{plan.number}", "json"),
                             "Cache-Control": "no-store"})
