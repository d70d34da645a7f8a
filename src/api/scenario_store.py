"""A whole operation in the store and the planner's Scenario, both ways: building the planner's input from the
rows, and storing an imported scenario (or the people of one) in bulk, refusing values too long for a column."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from api import models as m
from api.columns import too_long
from api.person_rows import person_values, row_to_person
from api.problems import ApiProblem
from planner.model import scenario as sc
from planner.model.fields import STORED


def build_scenario(session: Session, operation_id: int) -> sc.Scenario:
    """The planner's input for an operation, from the stored rows. Erased people are left out."""
    op = session.get(m.Operation, operation_id)
    if op is None:
        raise LookupError(operation_id)
    protocol = session.exec(select(m.Protocol).where(m.Protocol.operation_id == operation_id)).first()
    sites = []
    for site in session.exec(select(m.TestingSite).where(m.TestingSite.operation_id == operation_id)
                             .order_by(m.TestingSite.code)).all():
        slots = session.exec(select(m.TestingSlot).where(m.TestingSlot.site_id == site.id)
                             .order_by(m.TestingSlot.start)).all()
        data = dict(site.data)
        if slots:
            data["slots"] = [{"start": s.start, "end": s.end, "capacity": s.capacity} for s in slots]
        sites.append(data)

    def rows(table: type[Any]) -> list[dict[str, Any]]:
        stmt = select(table).where(table.operation_id == operation_id).order_by(table.code)
        return [r.data for r in session.exec(stmt).all()]

    people = session.exec(select(m.Person).where(m.Person.operation_id == operation_id,
                                                 m.Person.erased == False)  # noqa: E712
                          .order_by(m.Person.case_id)).all()
    scenario = sc.Scenario.model_validate({
        "name": op.name,
        "timezone": op.timezone,
        "as_of": op.as_of,
        "notes": op.notes,
        "protocol": protocol.data if protocol else {},
        "testing_sites": sites,
        "escorts": rows(m.Escort),
        "aircraft": rows(m.AircraftType),
        "flights": rows(m.Flight),
        "people": [],
    }, context=STORED)
    scenario.people = [row_to_person(p) for p in people]
    return scenario


def _long(table: Any, values: dict[str, Any], file: str, what: str, fields: dict[str, str] | None = None
          ) -> list[dict[str, Any]]:
    return [{"file": file, "row": None, "column": (fields or {}).get(column, column), "message": f"{what}: {msg}"}
            for column, msg in too_long(table, values)]


def people_length_issues(people: list[sc.Person], file: str = "people.csv") -> list[dict[str, Any]]:
    """Values longer than their column, per case and column (the database would refuse them)."""
    return [issue for p in people for issue in _long(m.Person, person_values(p), file, f"case {p.case_id}")]


def scenario_length_issues(scenario: sc.Scenario) -> list[dict[str, Any]]:
    """Every value of a scenario longer than the column it would be stored in, in the import report format."""
    issues = _long(m.Operation, {"name": scenario.name, "timezone": scenario.timezone}, "scenario.yaml",
                   "scenario")
    for table, items, key in ((m.TestingSite, scenario.testing_sites, "id"), (m.Escort, scenario.escorts, "id"),
                              (m.AircraftType, scenario.aircraft, "type"), (m.Flight, scenario.flights, "id")):
        for item in items:
            issues += _long(table, {"code": getattr(item, key)}, "scenario.yaml", table.__tablename__,
                            {"code": key})
    return issues + people_length_issues(scenario.people)


def _refuse_long(issues: list[dict[str, Any]]) -> None:
    if issues:
        raise ApiProblem(422, f"{len(issues)} value(s) are too long to store; nothing was imported",
                      kind="import-errors", errors=issues[:1000], error_count=len(issues))


def store_scenario(session: Session, scenario: sc.Scenario) -> m.Operation:
    """Add a whole scenario as a new operation (scenario zip import and --demo). The caller commits.

    Values longer than their columns are a 422 listing each of them, before anything is written."""
    _refuse_long(scenario_length_issues(scenario))
    op = m.Operation(name=scenario.name, timezone=scenario.timezone, as_of=scenario.as_of.isoformat(),
                     notes=scenario.notes)
    session.add(op)
    session.flush()
    assert op.id is not None
    session.add(m.Protocol(operation_id=op.id, data=scenario.protocol.model_dump(mode="json", by_alias=True)))
    for site in scenario.testing_sites:
        data = site.model_dump(mode="json", by_alias=True, exclude={"slots"})
        row = m.TestingSite(operation_id=op.id, code=site.id, data=data)
        session.add(row)
        session.flush()
        for slot in site.slots or []:
            session.add(m.TestingSlot(site_id=row.id, start=slot.start.isoformat(), end=slot.end.isoformat(),
                                      capacity=slot.capacity))
    for esc in scenario.escorts:
        session.add(m.Escort(operation_id=op.id, code=esc.id, data=esc.model_dump(mode="json", by_alias=True)))
    for ac in scenario.aircraft:
        session.add(m.AircraftType(operation_id=op.id, code=ac.type,
                                   data=ac.model_dump(mode="json", by_alias=True)))
    for fl in scenario.flights:
        session.add(m.Flight(operation_id=op.id, code=fl.id, departure=fl.departure.isoformat(),
                             data=fl.model_dump(mode="json", by_alias=True)))
    insert_people(session, op.id, scenario.people, checked=True)
    return op


def insert_people(session: Session, operation_id: int, people: list[sc.Person], checked: bool = False) -> None:
    """Bulk insert through SQLAlchemy Core: the 7,000-person import must take seconds, not minutes.

    A value longer than its column is a 422 (unless the caller `checked` already)."""
    if not people:
        return
    if not checked:
        _refuse_long(people_length_issues(people))
    now = m.utcnow()
    rows = [{**person_values(p), "operation_id": operation_id, "erased": False, "updated_at": now, "version": 1}
            for p in people]
    session.execute(insert(m.Person), rows)
    ensure_households(session, operation_id, {p.household_id for p in people})


def ensure_households(session: Session, operation_id: int, codes: set[str]) -> None:
    if not codes:
        return
    known = set(session.exec(select(m.Household.code).where(m.Household.operation_id == operation_id)).all())
    new = sorted(codes - known)
    if new:
        session.execute(insert(m.Household), [{"operation_id": operation_id, "code": c, "notes": "", "version": 1}
                                              for c in new])
