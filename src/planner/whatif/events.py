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
from planner.model.fields import Day, Model, Moment
from planner.model.scenario import Person, Scenario, Slot

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
    applying = _Applying(s, source)
    for i, ev in enumerate(events.events):
        applying.apply(i, ev)
    issues = applying.issues + check_scenario(s, source, "people")
    if issues:
        raise ScenarioInputError(issues)
    return s


PersonEvent = PositiveTest | ConsentWithdrawn | NoShow | DocumentExpired
FlightEvent = FlightDelayed | FlightCancelled | AircraftChanged


class _Applying:
    """The scenario being changed, indexed by id, and the issues found so far."""

    def __init__(self, scenario: Scenario, source: str):
        self.scenario = scenario
        self.source = source
        self.people = {p.case_id: p for p in scenario.people}
        self.flights = {f.id: f for f in scenario.flights}
        self.sites = {t.id: t for t in scenario.testing_sites}
        self.issues: list[InputIssue] = []

    def apply(self, i: int, ev: Event) -> None:
        """One event; an id the scenario does not have is an issue and the event is skipped."""
        if isinstance(ev, PersonEvent):
            if ev.case_id not in self.people:
                self._missing("case_id", ev.case_id, i)
            else:
                _apply_to_person(self.people[ev.case_id], ev)
        elif isinstance(ev, FlightEvent):
            if ev.flight_id not in self.flights:
                self._missing("flight", ev.flight_id, i)
            else:
                self._apply_to_flight(ev)
        elif isinstance(ev, NewRegistrations):
            for p in ev.people:
                if p.case_id in self.people:
                    self.issues.append(InputIssue(self.source, None, f"events[{i}]", f"case_id {p.case_id!r} exists"))
                else:
                    self.people[p.case_id] = p
                    self.scenario.people.append(p)
        elif ev.site_id not in self.sites:
            self._missing("testing site", ev.site_id, i)
        else:
            self.sites[ev.site_id].closed.append(Slot(start=ev.start, end=ev.end))

    def _missing(self, kind: str, value: str, i: int) -> None:
        self.issues.append(InputIssue(self.source, None, f"events[{i}]", f"unknown {kind} {value!r}"))

    def _apply_to_flight(self, ev: FlightEvent) -> None:
        """A delay moves the departure and every arrival; a cancelled flight leaves the scenario."""
        f = self.flights[ev.flight_id]
        match ev:
            case FlightDelayed():
                shift = timedelta(hours=ev.hours)
                f.departure = f.departure + shift
                for stop in f.stops:
                    stop.arrival = stop.arrival + shift
            case FlightCancelled():
                self.scenario.flights = [x for x in self.scenario.flights if x.id != ev.flight_id]
                del self.flights[ev.flight_id]
            case AircraftChanged():
                f.aircraft = ev.aircraft


def _apply_to_person(p: Person, ev: PersonEvent) -> None:
    """A positive test, withdrawn consent, a no-show (consent to be reconfirmed) or an expired document."""
    match ev:
        case PositiveTest():
            p.last_positive_test = ev.date
            p.last_test_result = "positive"
            p.last_test_sample = None
        case ConsentWithdrawn():
            p.consent, p.consent_note = "none", ev.note or "consent withdrawn"
        case NoShow():
            p.consent, p.consent_note = "none", f"no-show{' on ' + ev.flight_id if ev.flight_id else ''}; reconfirm"
        case DocumentExpired():
            p.document_expiry = ev.expiry
