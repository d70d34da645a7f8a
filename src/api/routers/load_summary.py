"""A plan flight's load summary for the airline (docs/load.md): passengers by cabin zone and category, bags,
mobility aids in the hold, traffic load against the payload limit and the balance index.

The figures are counts and masses, never who the passengers are, so viewers read them as JSON; the CSV and
printable HTML files are exports (officers), audited like the manifests.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from api import models as m
from api.audit import audit_commit
from api.content_disposition import content_disposition
from api.deps import Officer, SessionDep, Viewer
from api.export_cache import cache_for, plan_document, plan_stamp
from api.params import CodePath, Id
from api.person_rows import row_to_person
from api.problems import not_found
from api.routers.plans import get_plan
from planner.model.fields import STORED
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.report.load_summary import CATEGORIES, FlightLoad, flight_load
from planner.report.load_summary_files import load_summary_csv, load_summary_html

router = APIRouter(tags=["load summary"])
BASE = "/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/load-summary"
MEDIA = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {v: {} for v in MEDIA.values()}}}


class ZoneRead(BaseModel):
    zone_id: str
    rows: str
    counts: dict[str, int]
    seated: int
    max_passengers: int | None
    mass_kg: float
    index_per_passenger: float
    index: float


class LoadSummaryRead(BaseModel):
    flight_id: str
    plan_id: int
    aircraft: str
    standard_masses: str
    zones: list[ZoneRead]
    passengers: dict[str, int]
    checked_bags: int
    checked_kg: float
    cabin_kg: float
    cabin_kg_in_passenger_mass: bool
    mobility_aids: dict[str, int]
    mobility_aids_kg: float
    passenger_kg: float
    traffic_load_kg: float
    payload_limit_kg: int | None
    margin_kg: float | None
    balance_index: float | None


def flight_scenario(session: Session, operation_id: int, body: Plan, flight_id: str) -> Scenario:
    """The operation as the load summary needs it: protocol, aircraft types, the one flight and today's rows of
    the people the plan puts on it (not the whole caseload: the flight page shows the summary on every view)."""
    op = session.get(m.Operation, operation_id)
    if op is None:
        raise not_found("operation", operation_id)
    protocol = session.exec(select(m.Protocol).where(m.Protocol.operation_id == operation_id)).first()
    aircraft = session.exec(select(m.AircraftType).where(m.AircraftType.operation_id == operation_id)).all()
    flights = session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id,
                                                  m.Flight.code == flight_id)).all()
    on = [pa.person_id for fp in body.flights if fp.flight_id == flight_id for pa in fp.passengers]
    people = session.exec(select(m.Person).where(m.Person.operation_id == operation_id, col(m.Person.case_id).in_(on),
                                                 m.Person.erased == False)).all()  # noqa: E712
    scenario = Scenario.model_validate({
        "name": op.name, "timezone": op.timezone, "as_of": op.as_of, "protocol": protocol.data if protocol else {},
        "aircraft": [a.data for a in aircraft], "flights": [f.data for f in flights], "people": [],
    }, context=STORED)
    scenario.people = [row_to_person(p) for p in people]
    return scenario


def plan_flight_load(session: Session, operation_id: int, plan_id: int, flight_id: str) -> tuple[m.Plan, FlightLoad]:
    """The stored plan's flight with today's caseload and aircraft; a flight the plan lacks is a 404. Kept per
    plan version, caseload revision and operation version (`api.export_cache`): the flight page shows it on
    every view, and reading a 7,000-person plan document each time cost a second of CPU."""
    plan = get_plan(session, operation_id, plan_id)

    def build() -> FlightLoad:
        body = plan_document(session, plan.id or 0, plan.version)
        if not any(f.flight_id == flight_id for f in body.flights):
            raise not_found("flight", flight_id)
        try:
            return flight_load(flight_scenario(session, operation_id, body, flight_id), body, flight_id)
        except KeyError:
            raise not_found("flight", flight_id) from None

    key = ("load_summary", flight_id, *plan_stamp(session, plan))
    return plan, cache_for(session.get_bind()).get_or_build(key, build)


def as_read(load: FlightLoad, plan_id: int) -> dict[str, Any]:
    zones = [{"zone_id": z.zone_id, "rows": z.rows, "counts": {c: z.counts[c] for c in CATEGORIES if z.counts[c]},
              "seated": z.seated, "max_passengers": z.max_passengers, "mass_kg": z.mass_kg,
              "index_per_passenger": z.index_per_passenger, "index": z.index} for z in load.zones]
    return {"flight_id": load.flight_id, "plan_id": plan_id, "aircraft": load.aircraft,
            "standard_masses": load.mass_source, "zones": zones,
            "passengers": {c: n for c, n in load.counts.items() if n}, "checked_bags": load.checked_bags,
            "checked_kg": load.checked_kg, "cabin_kg": load.cabin_kg,
            "cabin_kg_in_passenger_mass": load.cabin_kg_in_passenger_mass, "mobility_aids": dict(load.aids),
            "mobility_aids_kg": load.aids_kg, "passenger_kg": load.passenger_kg,
            "traffic_load_kg": load.traffic_load_kg, "payload_limit_kg": load.payload_limit_kg,
            "margin_kg": load.margin_kg, "balance_index": load.balance_index}


@router.get(BASE, response_model=LoadSummaryRead)
def load_summary(operation_id: Id, plan_id: Id, flight_id: CodePath, _: Viewer, session: SessionDep) -> Any:
    """The flight's load summary as figures (no personal data)."""
    load = plan_flight_load(session, operation_id, plan_id, flight_id)[1]
    return as_read(load, plan_id)


@router.get(BASE + "/file", response_class=Response, responses=FILES)
def load_summary_file(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer, session: SessionDep,
                      format: Annotated[Literal["csv", "html"], Query()] = "csv") -> Response:
    """The load summary for the airline as CSV (one figure per line) or a printable page; audited."""
    plan, load = plan_flight_load(session, operation_id, plan_id, flight_id)
    text = (load_summary_csv([load]) if format == "csv"
            else load_summary_html([load], f"Load summary {flight_id}, plan {plan.number}"))
    audit_commit(session, principal, "export", "load_summary", flight_id, operation_id=operation_id,
                 plan_id=plan_id, format=format)
    name = f"load-summary-{flight_id}-plan{plan.number}"
    headers = {"Content-Disposition": content_disposition(name, format, "inline" if format == "html" else "attachment"),
               "Cache-Control": "no-store"}
    return Response(content=text.encode("utf-8"), media_type=MEDIA[format], headers=headers)
