"""Operational events for re-planning (docs/architecture.md#events-files): applied to the stored operation in one
transaction.

The planner's `apply_events` is the single definition of what an event changes; the service applies it to the
scenario built from the database and writes back only the differences, field by field. The client then starts
a `replan: true` solve job, which keeps untouched households on their flights and seats.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from api import models as m
from api.audit import audit
from api.columns import check_lengths
from api.deps import Officer, SessionDep
from api.lookups import get_operation
from api.params import Id
from api.person_rows import person_values
from api.problems import ApiProblem
from api.scenario_store import build_scenario, insert_people
from api.staleness import mark_stale
from planner.io.loading import ScenarioInputError
from planner.whatif.events import EventsFile

router = APIRouter(tags=["re-planning"])


class RecordChange(BaseModel):
    resource: Literal["operation", "person", "flight", "testing_site", "pin"]
    id: str
    change: Literal["created", "updated", "deleted"]
    fields: list[str]


class EventsResult(BaseModel):
    events: int
    changes: list[RecordChange]


def _differences(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in new.items() if old.get(k) != v}


@router.post("/operations/{operation_id}/events", response_model=EventsResult)
def apply_operation_events(operation_id: Id, body: EventsFile, principal: Officer, session: SessionDep) -> Any:
    """Apply events (positive test, consent withdrawn, no-show, new registrations, document expired, flight
    delayed, cancelled or given another aircraft, lab slots cancelled) and list the records they changed.

    All or nothing: an unknown case or flight id, or a result the scenario checks refuse, is a 422 and nothing
    is written. Start a solve with `replan: true` afterwards.
    """
    from planner.whatif.events import apply_events

    get_operation(session, operation_id)
    before = build_scenario(session, operation_id)
    try:
        after = apply_events(before, body, "events")
    except ScenarioInputError as exc:
        errors = [{"field": "body." + i.field if i.field.startswith("events") else i.field,
                   "message": i.message, **({"row": i.row} if i.row is not None else {})} for i in exc.issues]
        raise ApiProblem(422, f"{len(errors)} event(s) cannot be applied; nothing was changed", kind="event-errors",
                      errors=errors[:200]) from None
    changes = _write_back(session, operation_id, before, after)
    mark_stale(session, operation_id)
    kinds = sorted({e.type for e in body.events})
    audit(session, principal, "events", "operation", operation_id, operation_id=operation_id,
          events=len(body.events), types=kinds,
          case_ids=sorted({c["id"] for c in changes if c["resource"] == "person"})[:500],
          changes=len(changes))
    session.commit()
    return {"events": len(body.events), "changes": changes}


def _write_back(session: Session, operation_id: int, before: Any, after: Any) -> list[dict[str, Any]]:
    """Write the differences between two scenarios of the operation; returns one entry per changed record."""
    changes: list[dict[str, Any]] = []
    if after.as_of != before.as_of:
        session.execute(update(m.Operation).where(m.Operation.id == operation_id).values(
            as_of=after.as_of.isoformat(), updated_at=m.utcnow(), version=m.Operation.version + 1))
        changes.append({"resource": "operation", "id": str(operation_id), "change": "updated", "fields": ["as_of"]})
    return [*changes, *_write_people(session, operation_id, before, after),
            *_write_flights(session, operation_id, before, after), *_write_sites(session, operation_id, before, after)]


def _write_people(session: Session, operation_id: int, before: Any, after: Any) -> list[dict[str, Any]]:
    """New registrations (never reusing an erased person's case id) and changed people."""
    changes: list[dict[str, Any]] = []
    old_people = {p.case_id: p for p in before.people}
    new_people = [p for p in after.people if p.case_id not in old_people]
    if new_people:
        taken = set(session.exec(select(m.Person.case_id).where(
            m.Person.operation_id == operation_id,
            col(m.Person.case_id).in_([p.case_id for p in new_people]))).all())
        if taken:
            raise ApiProblem(422, "new registrations reuse case ids of erased people: " + ", ".join(sorted(taken)),
                          kind="event-errors", errors=[{"field": "body.events", "message": f"case_id {c!r} "
                                                        "belongs to an erased person"} for c in sorted(taken)])
        insert_people(session, operation_id, new_people)
        changes += [{"resource": "person", "id": p.case_id, "change": "created", "fields": []} for p in new_people]
    for person in after.people:
        old = old_people.get(person.case_id)
        if old is None or old == person:
            continue
        values = _differences(person_values(old), person_values(person))
        check_lengths(m.Person, values, prefix=("body", "events", person.case_id))
        if values:
            session.execute(update(m.Person).where(m.Person.operation_id == operation_id,
                                                   m.Person.case_id == person.case_id).values(
                **values, updated_at=m.utcnow(), version=m.Person.version + 1))
            changes.append({"resource": "person", "id": person.case_id, "change": "updated",
                            "fields": sorted(values)})
    return changes


def _write_flights(session: Session, operation_id: int, before: Any, after: Any) -> list[dict[str, Any]]:
    """Cancelled flights (with the pins on them) and changed flights."""
    changes: list[dict[str, Any]] = []
    old_flights = {f.id: f for f in before.flights}
    new_flights = {f.id: f for f in after.flights}
    for code in sorted(set(old_flights) - set(new_flights)):
        session.execute(delete(m.Flight).where(col(m.Flight.operation_id) == operation_id,
                                               col(m.Flight.code) == code))
        changes.append({"resource": "flight", "id": code, "change": "deleted", "fields": []})
        for pin in session.exec(select(m.Pin).where(m.Pin.operation_id == operation_id,
                                                    m.Pin.flight_id == code)).all():
            session.delete(pin)
            changes.append({"resource": "pin", "id": pin.case_id, "change": "deleted", "fields": []})
    for code, flight in sorted(new_flights.items()):
        old_data = old_flights[code].model_dump(mode="json", by_alias=True)
        data = flight.model_dump(mode="json", by_alias=True)
        if data != old_data:
            session.execute(update(m.Flight).where(m.Flight.operation_id == operation_id, m.Flight.code == code)
                            .values(data=data, departure=data["departure"], version=m.Flight.version + 1))
            changes.append({"resource": "flight", "id": code, "change": "updated",
                            "fields": sorted(_differences(old_data, data))})
    return changes


def _write_sites(session: Session, operation_id: int, before: Any, after: Any) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    old_sites = {s.id: s for s in before.testing_sites}
    for site in after.testing_sites:
        old_data = old_sites[site.id].model_dump(mode="json", by_alias=True, exclude={"slots"})
        data = site.model_dump(mode="json", by_alias=True, exclude={"slots"})
        if data != old_data:
            session.execute(update(m.TestingSite).where(m.TestingSite.operation_id == operation_id,
                                                        m.TestingSite.code == site.id)
                            .values(data=data, version=m.TestingSite.version + 1))
            changes.append({"resource": "testing_site", "id": site.id, "change": "updated",
                            "fields": sorted(_differences(old_data, data))})
    return changes
