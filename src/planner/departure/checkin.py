"""A flight's departure day (docs/departure-day.md): who was expected, checked in, boarded, did not come or
was offloaded; who on standby may take a freed seat; the final manifest from what actually boarded; and the
events the next re-plan takes from the marks.

A standby household may take freed seats when all of it fits them, it is not booked on this flight, no
member flies on another flight that leaves before this one, every member passes the planning gates for this
flight's date, every member holds, for each health check they need (the COVID-19 test and the protocol's own
checks), a sample booked in the plan whose slot is valid for this flight too, and, when the scenario lists
ground transport, its location is within driving time of the airport before check-in closes. Households are
offered by priority weight, then by household id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from planner.model.caseload import Household, household_weight, households
from planner.model.ground import minutes_between
from planner.model.plan import FlightPlan, Plan, TestBooking
from planner.model.scenario import Flight, Scenario
from planner.rules.household import household_failure
from planner.rules.testing_windows import SlotInstance, person_windows
from planner.rules.transfers import check_in_opens
from planner.whatif.events import NoShow

Mark = Literal["expected", "checked_in", "boarded", "no_show", "offloaded"]
MARKS: tuple[Mark, ...] = ("expected", "checked_in", "boarded", "no_show", "offloaded")
MARK_WORDS: dict[Mark, str] = {"expected": "expected", "checked_in": "checked in", "boarded": "boarded",
                               "no_show": "did not come", "offloaded": "offloaded"}
GONE: frozenset[str] = frozenset({"no_show", "offloaded"})
#: Check-in closes this long before departure: a standby household must reach the airport by then (an
#: assumption; airlines close charter check-in 45 to 60 minutes before departure).
CHECK_IN_CLOSES_MINUTES = 60


@dataclass(frozen=True)
class CheckInMark:
    """One person's mark at the airport; `reason` says why someone was offloaded (in words)."""

    case_id: str
    status: Mark
    reason: str = ""


@dataclass(frozen=True)
class Standby:
    household_id: str
    members: tuple[str, ...]
    weight: int
    booked_on: str | None  # a later flight the household leaves free, or None (not planned)


@dataclass
class DepartureDay:
    flight_id: str
    passengers: list[tuple[str, str, Mark, str]]  # case_id, household_id, status, reason
    counts: dict[Mark, int]
    freed_seats: int
    standby: list[Standby] = field(default_factory=list)


def _flight(scenario: Scenario, plan: Plan, flight_id: str) -> tuple[Flight, FlightPlan]:
    flight = next((f for f in scenario.flights if f.id == flight_id), None)
    fp = next((f for f in plan.flights if f.flight_id == flight_id), None)
    if flight is None or fp is None:
        raise KeyError(flight_id)
    return flight, fp


def _booked_slot(b: TestBooking) -> SlotInstance:
    return SlotInstance(b.site_id, b.start, b.end, 0, b.start.date())


def _tested_for(h: Household, flight: Flight, scenario: Scenario, samples: Mapping[str, list[TestBooking]]) -> bool:
    """Every member holds, for each health check they need for `flight` (the COVID-19 test and the protocol's
    own checks, docs/health-checks.md), a booked sample valid for it: at one of the check's sites, inside its
    window with the result in before check-in."""
    for p in h.members:
        booked = [_booked_slot(b) for b in samples.get(p.case_id, [])]
        for _, window in person_windows(p, h, flight, scenario, split=False):
            if not any(window.valid(slot) for slot in booked):
                return False
    return True


@dataclass(frozen=True)
class Candidate:
    """A household that could take freed seats on the flight whatever the seats freed and the hour: it passes
    every other condition of the module docstring. `drive` is its driving time to the airport in minutes, None
    when the scenario lists no ground transport (then the hour is not asked)."""

    standby: Standby
    size: int
    drive: int | None


@dataclass(frozen=True)
class FlightBasis:
    """What a flight's departure day takes from the scenario and the plan, apart from the marks and the clock:
    it stays the same until the plan or the caseload changes, so a service may keep it (docs/departure-day.md)."""

    flight: Flight
    passengers: tuple[tuple[str, str, bool], ...]  # case_id, household_id, on a lap (frees no seat)
    candidates: tuple[Candidate, ...]  # by priority (see the module docstring)


def reading_time(flight: Flight, now: datetime) -> datetime:
    """The time the day is read at: `now`, or, once the flight has left, the opening of its check-in, so a past
    operation can still be looked at and practised on (the CLI and the service read it alike)."""
    return check_in_opens(flight) if now > flight.departure else now


def _candidates(scenario: Scenario, plan: Plan, flight: Flight) -> list[Candidate]:
    departures = {f.id: f.departure for f in scenario.flights}
    flying = {pa.person_id: f.flight_id for f in plan.flights for pa in f.passengers}
    samples: dict[str, list[TestBooking]] = {}
    for b in plan.tests:
        if b.person_id:
            samples.setdefault(b.person_id, []).append(b)
    table = scenario.travel_table() if scenario.vehicles else None  # once per flight, not per household
    airports = {s.airport for s in flight.stops}
    out = []
    for h in households(scenario):
        booked = {f for p in h.members if (f := flying.get(p.case_id)) is not None}
        if flight.id in booked or h.destination not in airports:
            continue
        if any(departures.get(f, flight.departure) <= flight.departure for f in booked):
            continue
        if household_failure(h, flight, scenario) or not _tested_for(h, flight, scenario, samples):
            continue
        drive = None if table is None else minutes_between(table, h.members[0].location, flight.origin)
        if table is not None and drive is None:
            continue  # no driving time known: it cannot be brought to the airport
        out.append(Candidate(Standby(h.id, h.member_ids, household_weight(h, scenario),
                                     next(iter(sorted(booked)), None)), h.size, drive))
    return sorted(out, key=lambda c: (c.standby.booked_on is not None, -c.standby.weight, c.standby.household_id))


def flight_basis(scenario: Scenario, plan: Plan, flight_id: str) -> FlightBasis:
    """The flight, its planned passengers and its standby candidates (KeyError: a flight the plan lacks)."""
    flight, fp = _flight(scenario, plan, flight_id)
    household_of = {p.case_id: p.household_id for p in scenario.people}
    passengers = tuple((pa.person_id, household_of.get(pa.person_id, ""), pa.lap_of is not None)
                       for pa in fp.passengers)
    return FlightBasis(flight, passengers, tuple(_candidates(scenario, plan, flight)))


def offered(basis: FlightBasis, seats: int, now: datetime) -> list[Standby]:
    """The candidates that fit `seats` freed seats and reach the airport before check-in closes, read at
    `reading_time`."""
    if seats <= 0:
        return []
    at = reading_time(basis.flight, now)
    closes = basis.flight.departure - timedelta(minutes=CHECK_IN_CLOSES_MINUTES)
    return [c.standby for c in basis.candidates
            if c.size <= seats and (c.drive is None or at + timedelta(minutes=c.drive) <= closes)]


def standby_households(scenario: Scenario, plan: Plan, flight_id: str, seats: int, now: datetime) -> list[Standby]:
    """Households that may take `seats` freed seats on the flight, by priority (see the module docstring)."""
    basis = flight_basis(scenario, plan, flight_id)
    return offered(basis, seats, now)


def day_of(basis: FlightBasis, marks: Mapping[str, CheckInMark], now: datetime) -> DepartureDay:
    """The flight's check-in view from its basis: every passenger with their mark (expected when unmarked), the
    counts, the seats no-shows and offloaded passengers freed, and the standby households for them."""
    rows = []
    freed = 0
    for case_id, household_id, lap in basis.passengers:
        mark = marks.get(case_id, CheckInMark(case_id, "expected"))
        rows.append((case_id, household_id, mark.status, mark.reason))
        if mark.status in GONE and not lap:
            freed += 1
    counts: dict[Mark, int] = dict.fromkeys(MARKS, 0)
    for _case, _hh, status, _why in rows:
        counts[status] += 1
    rows.sort(key=lambda r: (r[1], r[0]))
    return DepartureDay(basis.flight.id, rows, counts, freed, offered(basis, freed, now))


def departure_day(scenario: Scenario, plan: Plan, flight_id: str, marks: Mapping[str, CheckInMark],
                  now: datetime) -> DepartureDay:
    """The flight's check-in view (`day_of`) straight from the scenario and the plan."""
    return day_of(flight_basis(scenario, plan, flight_id), marks, now)


@dataclass(frozen=True)
class FinalManifest:
    """What actually boarded, and the changes since the published plan."""

    flight_id: str
    boarded: list[str]
    removed: list[tuple[str, Mark, str]]  # case_id, no_show or offloaded (or never boarded), reason
    added: list[str]  # standby passengers who boarded


def final_manifest(plan: Plan, flight_id: str, marks: Mapping[str, CheckInMark]) -> FinalManifest:
    """Boarded passengers are those marked `boarded`; planned passengers not boarded are removed with their
    mark; boarded people the plan did not have on this flight (standby) are added."""
    fp = next((f for f in plan.flights if f.flight_id == flight_id), None)
    if fp is None:
        raise KeyError(flight_id)
    return _final(flight_id, [pa.person_id for pa in fp.passengers], marks)


def final_of(basis: FlightBasis, marks: Mapping[str, CheckInMark]) -> FinalManifest:
    """`final_manifest` from a flight's kept basis (its planned passengers) instead of the whole plan."""
    return _final(basis.flight.id, [case_id for case_id, _hh, _lap in basis.passengers], marks)


def _final(flight_id: str, planned: list[str], marks: Mapping[str, CheckInMark]) -> FinalManifest:
    boarded = sorted(c for c, m in marks.items() if m.status == "boarded")
    removed = [(c, marks[c].status if c in marks else "expected", marks[c].reason if c in marks else "")
               for c in planned if c not in set(boarded)]
    return FinalManifest(flight_id, boarded, removed, sorted(set(boarded) - set(planned)))


def replan_events(flight_id: str, marks: Mapping[str, CheckInMark]) -> list[NoShow]:
    """The marks a re-plan must learn: everyone who did not come or was offloaded is a no-show of the flight
    (their consent to travel is reconfirmed before they are planned again)."""
    return [NoShow(type="no_show", case_id=c, flight_id=flight_id)
            for c, m in sorted(marks.items()) if m.status in GONE]
