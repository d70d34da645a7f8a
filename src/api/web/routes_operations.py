"""Operations: the list, and one operation's dashboard (funnel, flights, lab load, changes since publishing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from api import models as m
from api.auth import Principal
from api.deps import SessionDep
from api.export_cache import cache_for
from api.lookups import get_operation
from api.memberships import visible_operations
from api.params import Id
from api.web import data
from api.web.charts import lab_chart
from api.web.dashboard import STAGES, funnel, lab_load, warm
from api.web.session import page
from api.web.templating import fragment, render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page("viewer"))]


@router.get("/operations", name="web.operations")
def operations(request: Request, principal: Viewer, session: SessionDep) -> Response:
    """The operations the user may open (all with open membership or for admins, else their own)."""
    warm(session.get_bind(), request.app.state.pages)  # the dashboard usually comes next
    visible = visible_operations(request, session, principal)
    rows = [row for row in data.operations_overview(session) if visible is None or row.op.id in visible]
    return render(request, "operations/list.html", {"rows": rows})


@router.get("/operations/{operation_id}", name="web.dashboard")
def dashboard(request: Request, operation_id: Id, _: Viewer, session: SessionDep) -> Response:
    """The dashboard: the changes since the plan are read on every view; the figures below them (funnel,
    flights, lab load, reasons) are the same for every reader, so rendered once per caseload revision, plan
    version and language (`Pages.fragment`)."""
    revision = cache_for(session.get_bind()).revision(operation_id)  # before the data it stands for
    op = get_operation(session, operation_id)
    plan = data.current_plan(session, operation_id)
    key = (operation_id, revision, op.version, plan.id if plan else None, plan.version if plan else None)
    figures = fragment(request, "operations/dashboard_figures.html", key, lambda: _figures(session, op, plan))
    return render(request, "operations/dashboard.html", {
        "op": op,
        "plan": plan,
        "figures": figures,
        "changes": data.changes_since(session, operation_id, plan),
        "section": "dashboard",
    })


def _figures(session: Session, op: m.Operation, plan: m.Plan | None) -> dict[str, Any]:
    operation_id = op.id or 0
    lab = lab_load(session, operation_id, plan)
    return {
        "op": op,
        "funnel": funnel(session, operation_id, plan),
        "stages": STAGES,
        "flights": data.flights(session, operation_id, plan),
        "lab": lab,
        "chart": lab_chart(lab),
        "reason_counts": sorted((plan.reason_counts if plan else {}).items(), key=lambda kv: -kv[1]),
    }
