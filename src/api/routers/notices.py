"""Notices to returnees and reason letters of a plan, in each person's language, as PDF or HTML.

The pages are the planner's (`planner.notices`, docs/notices.md), built from the operation's stored caseload and
the plan's document; a flight's notices come as one document, a household's notice or reason letters as another.
Both carry names and appointments, so they need the officer role and every download is audited (who, which
flight or household, how many pages; never the content).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from api import models as m
from api.audit import audit_commit
from api.content_disposition import content_disposition
from api.deps import Officer, SessionDep
from api.export_cache import cache_for
from api.params import Id
from api.problems import ApiProblem
from api.routers.plans import get_plan

router = APIRouter(tags=["notices"])
NoticeFormat = Literal["pdf", "html"]
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {v: {} for v in MEDIA.values()}}}
#: The HTML pages link the notices' style sheet (served by api.web.routes_notices): the content policy of the
#: service's HTML answers allows no inline style.
STYLESHEET = "/notices/notice.css"


def _pages(session: Session, operation_id: int, plan: m.Plan, flight_id: str | None, household_id: str | None
           ) -> list[Any]:
    """The planner's pages for the stored caseload and the plan's document; unknown ids are a 404."""
    from api.scenario_store import build_scenario
    from planner.model.plan import Plan
    from planner.notices.facts import NoticeError, pages_for

    body = Plan.model_validate_json(m.plan_json(session, plan.id or 0))
    try:
        return pages_for(build_scenario(session, operation_id), body, flight_id, household_id)
    except NoticeError as exc:
        raise ApiProblem(404, str(exc), kind="not-found") from None


def notices_document(session: Session, operation_id: int, plan: m.Plan, fmt: str, flight_id: str | None = None,
                     household_id: str | None = None) -> tuple[bytes, int]:
    """The rendered document and its page count, kept in the export cache until the caseload or plan changes."""
    from planner.notices.render import document_html, document_pdf

    op = session.get(m.Operation, operation_id)
    assert op is not None
    cache = cache_for(session.get_bind())
    key = ("notices", op.id, cache.revision(operation_id), op.version, plan.id, plan.version, flight_id,
           household_id, fmt)
    found: tuple[bytes, int] | None = cache.get(key)
    if found is None:
        pages = _pages(session, operation_id, plan, flight_id, household_id)
        if not pages:
            raise ApiProblem(404, "the plan has no notice or reason letter for this selection", kind="not-found")
        title = f"notices-{flight_id or household_id}"
        data = (document_pdf(pages, title) if fmt == "pdf"
                else document_html(pages, title, stylesheet=STYLESHEET).encode("utf-8"))
        found = (data, len(pages))
        cache.put(key, found)
    return found


def _download(data: bytes, fmt: str, name: str) -> Response:
    headers = {"Content-Disposition": content_disposition(name, fmt, "inline"), "Cache-Control": "no-store"}
    return Response(content=data, media_type=MEDIA[fmt], headers=headers)


@router.get("/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/notices", response_class=Response,
            responses=CONTENT)
def flight_notices(operation_id: Id, plan_id: Id, flight_id: str, principal: Officer, session: SessionDep,
                   format: Annotated[NoticeFormat, Query()] = "pdf") -> Response:
    """Every notice of a flight, one page per household and language, with the reason letters that name the
    flight, as one document to print (docs/notices.md)."""
    plan = get_plan(session, operation_id, plan_id)
    data, pages = notices_document(session, operation_id, plan, format, flight_id=flight_id)
    audit_commit(session, principal, "export", "notices", flight_id, operation_id=operation_id, plan_id=plan_id,
                 format=format, rows=pages)
    return _download(data, format, f"notices-{flight_id}-plan{plan.number}")


@router.get("/operations/{operation_id}/plans/{plan_id}/households/{household_id}/notices",
            response_class=Response, responses=CONTENT)
def household_notices(operation_id: Id, plan_id: Id, household_id: str, principal: Officer, session: SessionDep,
                      format: Annotated[NoticeFormat, Query()] = "pdf") -> Response:
    """One household's notice, or, when it is not on a flight, a reason letter for each member left out."""
    plan = get_plan(session, operation_id, plan_id)
    data, pages = notices_document(session, operation_id, plan, format, household_id=household_id)
    audit_commit(session, principal, "export", "notices", household_id, operation_id=operation_id,
                 plan_id=plan_id, format=format, rows=pages, household=True)
    return _download(data, format, f"notices-{household_id}-plan{plan.number}")
