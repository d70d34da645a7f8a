"""The flight page's "Load summary" section and its downloads (docs/load.md): passengers by cabin zone and
category, bags, mobility aids in the hold, traffic load against the payload limit and the balance index.

The flight page's template shows the section through `load_section_html`, a template function `install`
registers (so the flight page's own route needs no change), which renders it once per plan version and kind of
reader and keeps it; its figures come from `section_figures`. The figures are counts and masses
(no personal data), so every reader of the flight page sees them; the CSV and printable page are exports for
officers, audited as the API's are (`api.routers.load_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import models as m
from api.audit import audit_commit
from api.auth import Principal
from api.content_disposition import content_disposition
from api.deps import SessionDep
from api.export_cache import cache_for
from api.params import Id
from api.problems import ApiProblem
from api.routers.load_summary import MEDIA, plan_flight_load
from api.web import planning
from api.web.session import page, reader_is_officer
from api.web.templating import Pages
from api.web.templating import pages as pages_of
from planner.report.load_summary import CATEGORIES, FlightLoad
from planner.report.load_summary_files import load_summary_csv, load_summary_html

router = APIRouter(include_in_schema=False)
OfficerPage = Annotated[Principal, Depends(page("officer"))]
BASE = "/operations/{operation_id}/plans/{number}/flights/{flight_id}/load-summary"


@dataclass
class Section:
    """The figures of one flight (None: the flight could not be summarised) and whether downloads are offered."""

    load: FlightLoad | None
    categories: tuple[str, ...]
    can_download: bool


def section_figures(engine: Engine, plan: m.Plan, flight_id: str, can_download: bool) -> Section:
    """The section's figures for a kind of reader (officers may download)."""
    with Session(engine) as session:
        try:
            _, load = plan_flight_load(session, plan.operation_id, plan.id or 0, flight_id)
        except ApiProblem:
            load = None
    present = tuple(c for c in CATEGORIES if load is not None and load.counts[c])
    return Section(load, present, can_download)


def load_section_html(request: Request, op: m.Operation, plan: m.Plan, flight_id: str) -> Markup:
    """The section as HTML for the request's reader and language (`kept_section`)."""
    pages = pages_of(request)
    return kept_section(pages, request.app.state.engine, pages.catalogues.choose(request).code, op, plan, flight_id,
                        reader_is_officer(request))


def kept_section(pages: Pages, engine: Engine, language: str, op: m.Operation, plan: m.Plan, flight_id: str,
                 can_download: bool) -> Markup:
    """The section as HTML, rendered once per plan version, caseload revision, operation version, language and
    whether the reader may download (officers): the same for every such reader, and kept (`Pages.kept`). Takes
    no request, so the warm-up after a plan is stored renders it before the first view (`api.web.flight_warm`)."""
    revision = cache_for(engine).revision(plan.operation_id)  # before the data
    key = ("load", flight_id, plan.id, plan.version, revision, op.version, can_download)
    return pages.kept(engine, language, "load/section.html", key, lambda: {
        "loadsum": section_figures(engine, plan, flight_id, can_download), "op": op, "plan": plan,
        "flight_id": flight_id})


def install(pages: Pages) -> None:
    """Make the section available to the flight page's template (called once by `api.web.mount`)."""
    pages.env.globals["load_section_html"] = load_section_html


@router.get(BASE, name="web.load_summary")
def download(request: Request, operation_id: Id, number: Id, flight_id: str, principal: OfficerPage,
             session: SessionDep) -> Response:
    """The load summary as a printable page (default) or CSV (`?format=csv`); audited as an export."""
    fmt = "csv" if request.query_params.get("format") == "csv" else "html"
    plan = planning.plan_by_number(session, operation_id, number)
    _, load = plan_flight_load(session, operation_id, plan.id or 0, flight_id)
    text = (load_summary_csv([load]) if fmt == "csv"
            else load_summary_html([load], f"Load summary {flight_id}, plan {plan.number}"))
    audit_commit(session, principal, "export", "load_summary", flight_id, operation_id=operation_id,
                 plan_id=plan.id, format=fmt, via="web")
    name = f"load-summary-{flight_id}-plan{plan.number}"
    headers = {"Content-Disposition": content_disposition(name, fmt, "inline" if fmt == "html" else "attachment"),
               "Cache-Control": "no-store"}
    return Response(content=text.encode("utf-8"), media_type=MEDIA[fmt], headers=headers)
