"""The departure day of a stored plan's flight (docs/departure-day.md): the planner's view
(`planner.departure.checkin`) with today's caseload and the marks the tablets sent, and the final manifest
as a document for print and download."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api import models as m
from api.checkin_marks import current_marks
from api.export_cache import cache_for, plan_document, plan_stamp
from api.exports import Column, Document, Section
from api.plan_documents import generated_at, plan_status
from api.problems import ApiProblem, not_found
from api.scenario_store import build_scenario
from planner.departure.checkin import (
    MARK_WORDS,
    DepartureDay,
    FinalManifest,
    FlightBasis,
    day_of,
    final_manifest,
    final_of,
    flight_basis,
)
from planner.model.plan import Plan
from planner.model.scenario import Scenario

FINAL_COLUMNS = [Column("line", "No."), Column("case", "Case"), Column("household", "Household"),
                 Column("family", "Family name", "name"), Column("given", "Given names", "name"),
                 Column("native", "Name in own script", "script"), Column("change", "Change since the plan")]
FINAL_SIGNATURES = ["Prepared by (return officer)", "Airline representative", "Captain or purser"]
#: the operation as a scenario and the parsed plan document; the web pages pass their own kept copies
Inputs = Callable[[], tuple[Scenario, Plan]]


def departure_basis(session: Session, plan: m.Plan, flight_id: str, inputs: Inputs | None = None) -> FlightBasis:
    """The flight's passengers and standby candidates (`planner.departure.checkin.flight_basis`), kept per plan
    version, caseload revision and operation version (`api.export_cache`): the check-in page and every batch of
    marks need it, and deriving it reads the whole caseload (the scenario itself is not kept here: the pages
    keep theirs and pass it as `inputs`). Marks are never kept: each view reads them anew, so a mark sent
    through any replica shows at once. 404: a flight the plan lacks."""
    cache = cache_for(session.get_bind())

    def build() -> FlightBasis:
        scenario, body = inputs() if inputs is not None else (build_scenario(session, plan.operation_id),
                                                              _plan_body(session, plan))
        return flight_basis(scenario, body, flight_id)

    try:  # built once, even when several views ask at the same moment
        return cache.get_or_build(("departure.basis", flight_id, *plan_stamp(session, plan)), build)
    except KeyError:
        raise not_found("flight", flight_id) from None


def _plan_body(session: Session, plan: m.Plan) -> Plan:
    return plan_document(session, plan.id or 0, plan.version)  # shared with the pages and the load summary


def flight_departure(session: Session, plan: m.Plan, flight_id: str, now: datetime | None = None,
                     inputs: Inputs | None = None) -> DepartureDay:
    """The flight's check-in view with the stored marks (404: a flight the plan lacks). Standby households are
    those who can still reach the airport from `now` (the clock), read as the planner does once the flight has
    left (`planner.departure.checkin.reading_time`)."""
    basis = departure_basis(session, plan, flight_id, inputs)
    return day_of(basis, current_marks(session, plan.id or 0, flight_id), now or datetime.now(UTC))


def flight_final(session: Session, plan: m.Plan, flight_id: str, inputs: Inputs | None = None
                 ) -> tuple[dict[str, m.Person], FinalManifest]:
    """The final manifest from the stored marks and the kept basis, with everyone on it as stored today (404: a
    flight the plan lacks)."""
    marks = current_marks(session, plan.id or 0, flight_id)
    try:
        final = final_of(departure_basis(session, plan, flight_id, inputs), marks)
    except ApiProblem:  # the operation no longer lists the flight (cancelled by an event): the plan says who was on it
        body = inputs()[1] if inputs is not None else _plan_body(session, plan)
        try:
            final = final_manifest(body, flight_id, marks)
        except KeyError:
            raise not_found("flight", flight_id) from None
    return people_named(session, plan.operation_id, {*final.boarded, *(c for c, _s, _w in final.removed)}), final


def people_named(session: Session, operation_id: int, cases: set[str]) -> dict[str, m.Person]:
    """These people as stored today, for their household and names (an erased person has none): a few hundred
    rows by case number rather than the whole caseload."""
    rows = session.exec(select(m.Person).where(m.Person.operation_id == operation_id,
                                               col(m.Person.case_id).in_(sorted(cases)),
                                               m.Person.erased == False)).all()  # noqa: E712
    return {r.case_id: r for r in rows}


def _row(p: m.Person | None, case_id: str, change: str) -> dict[str, str]:
    return {"case": case_id, "household": p.household_id if p else "", "family": p.family_name if p else "",
            "given": p.given_name if p else "", "native": p.name_native if p else "", "change": change}


def build_final_manifest(session: Session, op: m.Operation, plan: m.Plan, flight_id: str,
                         inputs: Inputs | None = None) -> Document:
    """The final manifest: who boarded, then who did not and why, as the airline signs it."""
    people, final = flight_final(session, plan, flight_id, inputs)
    added = set(final.added)
    rows = [_row(people.get(c), c, "boarded from standby" if c in added else "") for c in final.boarded]
    for number, row in enumerate(rows, start=1):
        row["line"] = str(number)
    gone = [_row(people.get(c), c, MARK_WORDS[status] + (f": {why}" if why else "")) for c, status, why in
            final.removed]
    status, words = plan_status(plan)
    sections = [Section(title=f"Boarded, flight {flight_id}", rows=rows,
                        totals=[("Boarded", len(rows)), ("From standby", len(added))]),
                Section(title="Planned but not on board", rows=gone, totals=[("Not on board", len(gone))])]
    return Document(kind="final", title=f"Final manifest, flight {flight_id}",
                    subtitle=f"{op.name} · plan {plan.number}", status=status, status_words=words,
                    columns=FINAL_COLUMNS, sections=sections, signatures=FINAL_SIGNATURES,
                    generated=generated_at(ZoneInfo(op.timezone)))
