"""Lists for people outside the operation: travel-document requests for the issuing authorities
(docs/documents-pipeline.md) and arrival lists for the reception partners (docs/reception.md).

Both carry personal data: officers only, every download audited with who, what and how many rows, never the
rows. Each partner's arrival list has only the columns that partner needs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api import models as m
from api.audit import audit_commit
from api.deps import Officer, SessionDep
from api.exports import render
from api.handover_documents import build_arrival_list, build_document_requests
from api.params import CodePath, Id
from api.routers.exports import CONTENT, Format, _download
from api.routers.plans import get_plan
from planner.report.arrival_list import Partner

router = APIRouter(tags=["handover"])


@router.get("/operations/{operation_id}/plans/{plan_id}/document-requests", response_class=Response,
            responses=CONTENT)
def document_requests(operation_id: Id, plan_id: Id, principal: Officer, session: SessionDep,
                      format: Annotated[Format, Query()] = "csv",
                      authority: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = None,
                      ) -> Response:
    """Per issuing authority, the travel documents the plan counts on: who, for which flight, issued by when."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    doc = build_document_requests(session, op, plan, authority)
    data = render(doc, format)
    audit_commit(session, principal, "export", "document_requests", authority or "(all)",
                 operation_id=operation_id, plan_id=plan_id, format=format, rows=doc.rows)
    return _download(data, format, f"document-requests-plan{plan.number}" + (f"-{authority}" if authority else ""))


@router.get("/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/arrival-list",
            response_class=Response, responses=CONTENT)
def arrival_list(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer, session: SessionDep,
                 partner: Annotated[Partner, Query()] = "reception", format: Annotated[Format, Query()] = "xlsx"
                 ) -> Response:
    """One reception partner's arrival list of a flight, with only the columns that partner needs."""
    plan = get_plan(session, operation_id, plan_id)
    op = session.get(m.Operation, operation_id)
    assert op is not None
    doc = build_arrival_list(session, op, plan, flight_id, partner)
    data = render(doc, format)
    audit_commit(session, principal, "export", "arrival_list", flight_id, operation_id=operation_id,
                 plan_id=plan_id, partner=partner, format=format, rows=doc.rows)
    return _download(data, format, f"arrival-{partner}-{flight_id}-plan{plan.number}")
