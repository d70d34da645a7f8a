"""The departure day of a stored plan's flight (docs/departure-day.md): the planner's view
(`planner.departure.checkin`) with today's caseload and the marks the tablets sent, and the final manifest
as a document for print and download."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from api import models as m
from api.checkin_marks import current_marks
from api.exports import Column, Document, Section
from api.plan_documents import plan_status
from api.problems import not_found
from api.scenario_store import build_scenario
from planner.departure.checkin import MARK_WORDS, DepartureDay, FinalManifest, departure_day, final_manifest
from planner.model.plan import Plan
from planner.model.scenario import Person, Scenario
from planner.rules.transfers import check_in_opens

FINAL_COLUMNS = [Column("line", "No."), Column("case", "Case"), Column("household", "Household"),
                 Column("family", "Family name", "name"), Column("given", "Given names", "name"),
                 Column("native", "Name in own script", "script"), Column("change", "Change since the plan")]
FINAL_SIGNATURES = ["Prepared by (return officer)", "Airline representative", "Captain or purser"]


def _inputs(session: Session, plan: m.Plan) -> tuple[Scenario, Plan]:
    return (build_scenario(session, plan.operation_id),
            Plan.model_validate_json(m.plan_json(session, plan.id or 0)))


def flight_departure(session: Session, plan: m.Plan, flight_id: str, now: datetime | None = None
                     ) -> tuple[Scenario, DepartureDay]:
    """The flight's check-in view with the stored marks (404: a flight the plan lacks). Standby households are
    those who can still reach the airport from `now` (the clock); once the flight has left, the view is read
    as at the opening of its check-in, so a past operation can still be looked at and practised on."""
    scenario, body = _inputs(session, plan)
    flight = next((f for f in scenario.flights if f.id == flight_id), None)
    now = now or datetime.now(UTC)
    if flight is not None and now > flight.departure:
        now = check_in_opens(flight)
    try:
        return scenario, departure_day(scenario, body, flight_id, current_marks(session, plan.id or 0, flight_id),
                                       now)
    except KeyError:
        raise not_found("flight", flight_id) from None


def flight_final(session: Session, plan: m.Plan, flight_id: str) -> tuple[Scenario, FinalManifest]:
    scenario, body = _inputs(session, plan)
    try:
        return scenario, final_manifest(body, flight_id, current_marks(session, plan.id or 0, flight_id))
    except KeyError:
        raise not_found("flight", flight_id) from None


def _row(p: Person | None, case_id: str, change: str) -> dict[str, str]:
    return {"case": case_id, "household": p.household_id if p else "", "family": p.family_name if p else "",
            "given": p.given_name if p else "", "native": p.name_native if p else "", "change": change}


def build_final_manifest(session: Session, op: m.Operation, plan: m.Plan, flight_id: str) -> Document:
    """The final manifest: who boarded, then who did not and why, as the airline signs it."""
    scenario, final = flight_final(session, plan, flight_id)
    people = {p.case_id: p for p in scenario.people}
    added = set(final.added)
    rows = [_row(people.get(c), c, "boarded from standby" if c in added else "") for c in final.boarded]
    for number, row in enumerate(rows, start=1):
        row["line"] = str(number)
    gone = [_row(people.get(c), c, MARK_WORDS[status] + (f": {why}" if why else "")) for c, status, why in
            final.removed]
    status, words = plan_status(plan)
    tz = ZoneInfo(op.timezone)
    sections = [Section(title=f"Boarded, flight {flight_id}", rows=rows,
                        totals=[("Boarded", len(rows)), ("From standby", len(added))]),
                Section(title="Planned but not on board", rows=gone, totals=[("Not on board", len(gone))])]
    return Document(kind="final", title=f"Final manifest, flight {flight_id}",
                    subtitle=f"{op.name} · plan {plan.number}", status=status, status_words=words,
                    columns=FINAL_COLUMNS, sections=sections, signatures=FINAL_SIGNATURES,
                    generated=datetime.now(UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M ") + str(tz))
