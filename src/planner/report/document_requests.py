"""The document request list: per issuing authority, which travel documents the plan counts on, for which
flight and by which date (docs/documents-pipeline.md).

Officers send it to each embassy or consulate: a person planned on a flight while their document is still
`requested` flies *provisional on document*, and the authority must issue it by `issue_by` (the departure date
less the authority's hand-over days) for the seat to be used.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from planner.model.caseload import departure_date
from planner.model.documents import document_ready_on
from planner.model.plan import Plan
from planner.model.scenario import Scenario

COLUMNS = ("authority", "authority_name", "case_id", "household_id", "family_name", "given_name", "nationality",
           "date_of_birth", "flight_id", "departure_date", "issue_by", "requested_on", "expected_in_hand")
HEADINGS = ("Issuing authority", "Authority name", "Case", "Household", "Family name", "Given name",
            "Nationality", "Date of birth", "Flight", "Departure date", "Must be issued by", "Requested on",
            "Expected in hand")


@dataclass(frozen=True)
class DocumentRequest:
    authority: str
    authority_name: str
    case_id: str
    household_id: str
    family_name: str
    given_name: str
    nationality: str
    date_of_birth: date
    flight_id: str
    departure_date: date
    issue_by: date
    requested_on: date | None
    expected_in_hand: date


def document_requests(scenario: Scenario, plan: Plan) -> list[DocumentRequest]:
    """Every planned passenger whose document is still requested, by authority, then by the date it must be
    issued, then by flight and case id."""
    people = {p.case_id: p for p in scenario.people}
    flights = {f.id: f for f in scenario.flights}
    authorities = {a.id: a for a in scenario.protocol.document_authorities}
    today = scenario.as_of.date()
    out = []
    for fp in plan.flights:
        flight = flights.get(fp.flight_id)
        if flight is None:
            continue
        on = departure_date(flight, scenario)
        for passenger in fp.passengers:
            p = people.get(passenger.person_id)
            if p is None or p.document_status != "requested" or p.document_authority not in authorities:
                continue
            authority = authorities[p.document_authority]
            ready = document_ready_on(p, scenario.protocol, today)
            out.append(DocumentRequest(
                authority.id, authority.name, p.case_id, p.household_id, p.family_name, p.given_name,
                p.nationality, p.date_of_birth, flight.id, on, on - timedelta(days=authority.handover_days),
                p.document_requested_on, ready or on))
    return sorted(out, key=lambda r: (r.authority, r.issue_by, r.flight_id, r.case_id))


def requests_csv(rows: list[DocumentRequest]) -> str:
    """The list as CSV with headings in words, one row per document."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADINGS)
    for r in rows:
        values = asdict(r)
        writer.writerow(["" if values[c] is None else str(values[c]) for c in COLUMNS])
    return buf.getvalue()
