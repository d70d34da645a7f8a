"""Operational events that trigger a re-plan, applied to a scenario (docs/architecture.md#events-files).

An events file (`format: charterplan.events/1`) lists what happened since the last published plan; applying
it gives the updated scenario, and `solve(updated, previous=published)` gives the re-plan.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationError

from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error, error_field
from planner.io.scenario_checks import check_scenario
from planner.io.yaml_files import read_yaml
from planner.model.scenario import Day, Model, Moment, Person, Scenario, Slot

#: An id an event refers to (it must exist, so only its length is bounded here).
Ref = Annotated[str, Field(min_length=1, max_length=64)]


class _Event(Model):
    model_config = ConfigDict(extra="forbid")


class PositiveTest(_Event):
    type: Literal["positive_test"]
    case_id: Ref
    date: Day


class ConsentWithdrawn(_Event):
    type: Literal["consent_withdrawn"]
    case_id: Ref
    note: str = Field(default="", max_length=2000)  # the person's consent_note


class NoShow(_Event):
    """The person did not come to check-in: their consent to travel must be reconfirmed before re-planning."""

    type: Literal["no_show"]
    case_id: Ref
    flight_id: Ref | None = None


class NewRegistrations(_Event):
    type: Literal["new_registrations"]
    people: list[Person] = Field(max_length=200_000)


class DocumentExpired(_Event):
    type: Literal["document_expired"]
    case_id: Ref
    expiry: Day


class FlightDelayed(_Event):
    type: Literal["flight_delayed"]
    flight_id: Ref
    hours: float = Field(gt=-48, le=24 * 7)


class FlightCancelled(_Event):
    type: Literal["flight_cancelled"]
    flight_id: Ref


class AircraftChanged(_Event):
    type: Literal["aircraft_changed"]
    flight_id: Ref
    aircraft: Ref


class LabSlotsCancelled(_Event):
    type: Literal["lab_slots_cancelled"]
    site_id: Ref
    start: Moment
    end: Moment


Event = Annotated[PositiveTest | ConsentWithdrawn | NoShow | NewRegistrations | DocumentExpired | FlightDelayed
                  | FlightCancelled | AircraftChanged | LabSlotsCancelled, Field(discriminator="type")]


class EventsFile(Model):
    model_config = ConfigDict(extra="forbid")

    format: Literal["charterplan.events/1"] = "charterplan.events/1"
    as_of: Moment | None = None  # the instant of the re-plan (defaults to the scenario's)
    events: list[Event] = Field(max_length=10_000)


def load_events(path: str | Path) -> EventsFile:
    path = Path(path)
    raw = read_yaml(path)
    try:
        return EventsFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioInputError([InputIssue(path.name, None, error_field(e), describe_error(e))
                                  for e in exc.errors()[:200]]) from None


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
