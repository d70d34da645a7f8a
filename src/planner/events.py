"""Operational events that trigger a re-plan, applied to a scenario (DESIGN §5.4, issue: re-planning).

An events file (`format: charterplan.events/1`) lists what happened since the last published plan; applying
it gives the updated scenario, and `solve(updated, previous=published)` gives the re-plan.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from planner.loading import InputIssue, ScenarioInputError, check_scenario, read_yaml
from planner.scenario import Person, Scenario, Slot


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PositiveTest(_Event):
    type: Literal["positive_test"]
    case_id: str
    date: date


class ConsentWithdrawn(_Event):
    type: Literal["consent_withdrawn"]
    case_id: str
    note: str = ""


class NoShow(_Event):
    """The person did not come to check-in: their consent to travel must be reconfirmed before re-planning."""

    type: Literal["no_show"]
    case_id: str
    flight_id: str | None = None


class NewRegistrations(_Event):
    type: Literal["new_registrations"]
    people: list[Person]


class DocumentExpired(_Event):
    type: Literal["document_expired"]
    case_id: str
    expiry: date


class FlightDelayed(_Event):
    type: Literal["flight_delayed"]
    flight_id: str
    hours: float = Field(gt=-48, le=24 * 7)


class FlightCancelled(_Event):
    type: Literal["flight_cancelled"]
    flight_id: str


class AircraftChanged(_Event):
    type: Literal["aircraft_changed"]
    flight_id: str
    aircraft: str


class LabSlotsCancelled(_Event):
    type: Literal["lab_slots_cancelled"]
    site_id: str
    start: AwareDatetime
    end: AwareDatetime


Event = Annotated[PositiveTest | ConsentWithdrawn | NoShow | NewRegistrations | DocumentExpired | FlightDelayed
                  | FlightCancelled | AircraftChanged | LabSlotsCancelled, Field(discriminator="type")]


class EventsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["charterplan.events/1"] = "charterplan.events/1"
    as_of: AwareDatetime | None = None  # the instant of the re-plan (defaults to the scenario's)
    events: list[Event]


def load_events(path: str | Path) -> EventsFile:
    path = Path(path)
    raw = read_yaml(path)
    try:
        return EventsFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioInputError([InputIssue(path.name, None, ".".join(map(str, e["loc"])), e["msg"])
                                  for e in exc.errors()]) from None


def apply_events(scenario: Scenario, events: EventsFile, source: str = "events.yaml") -> Scenario:
    """The scenario after the events; unknown ids and resulting input errors are reported all at once."""
    s = scenario.model_copy(deep=True)
    if events.as_of is not None:
        s.as_of = events.as_of
    people = {p.case_id: p for p in s.people}
    flights = {f.id: f for f in s.flights}
    sites = {t.id: t for t in s.testing_sites}
    issues: list[InputIssue] = []

    def missing(kind: str, value: str, i: int) -> None:
        issues.append(InputIssue(source, None, f"events[{i}]", f"unknown {kind} {value!r}"))

    for i, ev in enumerate(events.events):
        if isinstance(ev, PositiveTest | ConsentWithdrawn | NoShow | DocumentExpired) and ev.case_id not in people:
            missing("case_id", ev.case_id, i)
            continue
        if isinstance(ev, FlightDelayed | FlightCancelled | AircraftChanged) and ev.flight_id not in flights:
            missing("flight", ev.flight_id, i)
            continue
        match ev:
            case PositiveTest():
                p = people[ev.case_id]
                p.last_positive_test = ev.date
                p.last_test_result = "positive"
                p.last_test_sample = None
            case ConsentWithdrawn():
                p = people[ev.case_id]
                p.consent, p.consent_note = "none", ev.note or "consent withdrawn"
            case NoShow():
                p = people[ev.case_id]
                p.consent, p.consent_note = "none", f"no-show{' on ' + ev.flight_id if ev.flight_id else ''}; reconfirm"
            case DocumentExpired():
                people[ev.case_id].document_expiry = ev.expiry
            case NewRegistrations():
                for p in ev.people:
                    if p.case_id in people:
                        issues.append(InputIssue(source, None, f"events[{i}]", f"case_id {p.case_id!r} exists"))
                    else:
                        people[p.case_id] = p
                        s.people.append(p)
            case FlightDelayed():
                f = flights[ev.flight_id]
                shift = timedelta(hours=ev.hours)
                f.departure = f.departure + shift
                for stop in f.stops:
                    stop.arrival = stop.arrival + shift
            case FlightCancelled():
                s.flights = [f for f in s.flights if f.id != ev.flight_id]
                del flights[ev.flight_id]
            case AircraftChanged():
                flights[ev.flight_id].aircraft = ev.aircraft
            case LabSlotsCancelled():
                if ev.site_id not in sites:
                    missing("testing site", ev.site_id, i)
                    continue
                sites[ev.site_id].closed.append(Slot(start=ev.start, end=ev.end))
    issues += check_scenario(s, source, "people")
    if issues:
        raise ScenarioInputError(issues)
    return s
