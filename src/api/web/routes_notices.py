"""Notices and reason letters from the web pages: a "Notices" link per household on the flight and person pages
opens the household's notice (or its members' reason letters) as a PDF in their languages.

The document is the API's own (`api.routers.notices.notices_document`, same cache, same audit entry with
`via="web"`); like the API it needs the officer role (docs/notices.md#service).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.audit import audit_commit
from api.auth import Principal
from api.content_disposition import content_disposition
from api.deps import SessionDep
from api.params import Id
from api.routers.notices import MEDIA, STYLESHEET, notices_document
from api.web import planning
from api.web.session import page

router = APIRouter(include_in_schema=False)
Officer = Annotated[Principal, Depends(page("officer"))]
Viewer = Annotated[Principal, Depends(page("viewer"))]


@router.get(STYLESHEET, name="web.notice_css")
def notice_stylesheet(principal: Viewer) -> Response:
    """The notices' style sheet (planner.notices), for their HTML pages under the service's content policy."""
    from planner.notices.render import stylesheet_text

    return Response(content=stylesheet_text(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/operations/{operation_id}/plans/{number}/households/{household_id}/notices",
            name="web.household_notices")
def household_notices_page(operation_id: Id, number: Id, household_id: str, principal: Officer, session: SessionDep,
                           format: Annotated[Literal["pdf", "html"], Query()] = "pdf") -> Response:
    """The household's pages, shown inline by the browser (PDF by default; `?format=html` for the page)."""
    plan = planning.plan_by_number(session, operation_id, number)
    data, pages = notices_document(session, operation_id, plan, format, household_id=household_id)
    audit_commit(session, principal, "export", "notices", household_id, operation_id=operation_id, plan_id=plan.id,
                 format=format, rows=pages, household=True, via="web")
    headers = {"Content-Disposition": content_disposition(f"notices-{household_id}-plan{number}", format, "inline"),
               "Cache-Control": "no-store"}
    return Response(content=data, media_type=MEDIA[format], headers=headers)
