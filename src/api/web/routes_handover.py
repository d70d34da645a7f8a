"""Printable lists for people outside the operation, in the web app: a flight's arrival list per reception
partner (docs/reception.md) and a plan's travel-document requests per issuing authority
(docs/documents-pipeline.md), with downloads through the API's own routes (same files, same audit entries).
Officers only, like every document with personal data.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.audit import audit_commit
from api.auth import Principal
from api.deps import SessionDep
from api.handover_documents import build_arrival_list, build_document_requests
from api.lookups import get_operation
from api.params import Id
from api.routers.handover import arrival_list, document_requests
from api.web import planning
from api.web.routes_documents import _document_page
from api.web.session import page
from planner.report.arrival_list import Partner

router = APIRouter(include_in_schema=False)
Officer = Annotated[Principal, Depends(page("officer"))]
Download = Literal["csv", "xlsx", "pdf"]
PartnerQuery = Annotated[Partner, Query()]


@router.get("/operations/{operation_id}/plans/{number}/flights/{flight_id}/arrival-list", name="web.arrival_list")
def arrival_page(request: Request, operation_id: Id, number: Id, flight_id: str, partner: PartnerQuery,
                 principal: Officer, session: SessionDep) -> Response:
    """One partner's arrival list, ready to print; showing it is audited like a download (format `print`)."""
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    doc = build_arrival_list(session, op, plan, flight_id, partner)
    response = _document_page(request, {
        "op": op, "plan": plan, "doc": doc, "flight_id": flight_id, "qs": f"?partner={partner}",
        "base": f"/operations/{operation_id}/plans/{number}/flights/{flight_id}/arrival-list"})
    audit_commit(session, principal, "export", "arrival_list", flight_id, operation_id=operation_id,
                 plan_id=plan.id, partner=partner, format="print", rows=doc.rows, via="web")
    return response


@router.get("/operations/{operation_id}/plans/{number}/flights/{flight_id}/arrival-list.{fmt}",
            name="web.arrival_list_download")
def arrival_download(operation_id: Id, number: Id, flight_id: str, fmt: Download, partner: PartnerQuery,
                     principal: Officer, session: SessionDep) -> Response:
    plan = planning.plan_by_number(session, operation_id, number)
    return arrival_list(operation_id, plan.id or 0, flight_id, principal, session, partner=partner, format=fmt)


@router.get("/operations/{operation_id}/plans/{number}/document-requests", name="web.document_requests")
def requests_page(request: Request, operation_id: Id, number: Id, principal: Officer, session: SessionDep
                  ) -> Response:
    """The travel documents the plan counts on, one printed part per issuing authority."""
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    doc = build_document_requests(session, op, plan, None)
    response = _document_page(request, {
        "op": op, "plan": plan, "doc": doc,
        "base": f"/operations/{operation_id}/plans/{number}/document-requests"})
    audit_commit(session, principal, "export", "document_requests", "(all)", operation_id=operation_id,
                 plan_id=plan.id, format="print", rows=doc.rows, via="web")
    return response


@router.get("/operations/{operation_id}/plans/{number}/document-requests.{fmt}",
            name="web.document_requests_download")
def requests_download(operation_id: Id, number: Id, fmt: Download, principal: Officer, session: SessionDep
                      ) -> Response:
    plan = planning.plan_by_number(session, operation_id, number)
    return document_requests(operation_id, plan.id or 0, principal, session, format=fmt)
