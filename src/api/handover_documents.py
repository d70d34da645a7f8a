"""Documents for the authorities and partners outside the operation: the travel-document request list per
issuing authority (docs/documents-pipeline.md) and a flight's arrival list per reception partner
(docs/reception.md), written in every format of `api.exports` with the plan's status on every page.

The rows come from the planner (`planner.report.document_requests`, `planner.report.arrival_list`), from the
operation's caseload as stored today and the stored plan.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session

from api import models as m
from api.exports import Column, Document, Section
from api.plan_documents import generated_at, plan_status
from api.problems import not_found
from api.scenario_store import build_scenario
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.report.arrival_list import HEADINGS, PARTNER_WORDS, Partner, arrival_lists
from planner.report.document_requests import COLUMNS as REQUEST_COLUMNS
from planner.report.document_requests import HEADINGS as REQUEST_HEADINGS
from planner.report.document_requests import document_requests

ARRIVAL_SIGNATURES = ["Handed over by (return officer)", "Received by (partner)"]
REQUEST_SIGNATURES = ["Prepared by (return officer)", "Received by (issuing authority)"]


def _inputs(session: Session, op: m.Operation, plan: m.Plan) -> tuple[Scenario, Plan]:
    return build_scenario(session, op.id or 0), Plan.model_validate_json(m.plan_json(session, plan.id or 0))


def build_arrival_list(session: Session, op: m.Operation, plan: m.Plan, flight_id: str, partner: Partner
                       ) -> Document:
    """One partner's arrival list of a flight, a section per destination (404: a flight not in the plan)."""
    scenario, body = _inputs(session, op, plan)
    try:
        lists = arrival_lists(scenario, body, flight_id, partner)
    except KeyError:
        raise not_found("flight", flight_id) from None
    columns = [Column(key, HEADINGS[key], "script" if key == "name_native" else "") for key in
               (lists[0].columns if lists else ())]
    sections = [Section(title=f"Arriving {lst.destination} {lst.arrival}",
                        facts=[("Flight", flight_id), ("Arrival", f"{lst.destination} {lst.arrival}"),
                               ("People", str(len(lst.rows)))],
                        rows=list(lst.rows), totals=[(f"Governorate of return: {name}", count)
                                                     for name, count in lst.by_governorate]) for lst in lists]
    status, words = plan_status(plan)
    return Document(kind="arrival", title=f"Arrival list, flight {flight_id}: {PARTNER_WORDS[partner]}",
                    subtitle=f"{op.name} · plan {plan.number}", status=status, status_words=words,
                    columns=columns, sections=sections, signatures=ARRIVAL_SIGNATURES,
                    generated=generated_at(ZoneInfo(op.timezone)))


def build_document_requests(session: Session, op: m.Operation, plan: m.Plan, authority: str | None) -> Document:
    """The plan's travel-document requests, a section per issuing authority (404: an unknown authority)."""
    scenario, body = _inputs(session, op, plan)
    known = {a.id for a in scenario.protocol.document_authorities}
    if authority is not None and authority not in known:
        raise not_found("issuing authority", authority)
    rows = [r for r in document_requests(scenario, body) if authority in (None, r.authority)]
    columns = [Column(key, heading) for key, heading in zip(REQUEST_COLUMNS, REQUEST_HEADINGS, strict=True)
               if key not in ("authority", "authority_name")]
    sections = []
    for a in scenario.protocol.document_authorities:
        mine = [r for r in rows if r.authority == a.id]
        if mine:
            sections.append(Section(title=f"{a.name or a.id} ({a.id})", facts=[("Documents", str(len(mine)))],
                                    rows=[{k: str(getattr(r, k) or "") for k in REQUEST_COLUMNS} for r in mine],
                                    totals=[("Documents requested", len(mine))]))
    status, words = plan_status(plan)
    return Document(kind="requests", title="Travel documents needed, per issuing authority",
                    subtitle=f"{op.name} · plan {plan.number}", status=status, status_words=words,
                    columns=columns, sections=sections, signatures=REQUEST_SIGNATURES,
                    generated=generated_at(ZoneInfo(op.timezone)))
