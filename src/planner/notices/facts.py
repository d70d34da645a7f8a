"""What a notice or a reason letter says, gathered from a scenario and a plan, before any words are chosen.

One notice per household on a flight and language spoken in it (members who read different languages each
get the page in theirs); one reason letter per person not on any flight. Times are local: the flight's at its
origin airport, a test's at its site (docs/notices.md#what-a-notice-says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from planner.io.airports import airport
from planner.model.caseload import Household, households
from planner.model.notices import MeetingPoint
from planner.model.plan import FlightPlan, Plan, Reason
from planner.model.reasons import serving_flights
from planner.model.scenario import Flight, Person, Scenario
from planner.rules.testing_windows import site_timezone


class NoticeError(ValueError):
    """A notice asked for that the plan cannot give (an unknown household or flight)."""


@dataclass(frozen=True)
class Appointment:
    site_id: str
    start: datetime  # local at the site
    end: datetime


@dataclass(frozen=True)
class Traveller:
    case_id: str
    name: str  # Latin spelling
    name_native: str
    seat: str | None
    lap_of: str | None  # the carrier's case_id for a lap infant
    test: Appointment | None
    provisional: bool
    baggage: Allowance | None = None


@dataclass(frozen=True)
class Allowance:
    """A person's baggage allowance: checked bags, their total kg, and hand luggage kg."""

    bags: int
    checked_kg: float
    cabin_kg: float


@dataclass(frozen=True)
class Place:
    code: str
    city: str


@dataclass(frozen=True)
class Notice:
    """One page: a household's flight in one language."""

    household_id: str
    language: str
    flight_id: str
    origin: Place
    destination: Place
    departure: datetime  # local at the origin airport
    check_in_by: datetime  # local; check-in closes `check_in_minutes` before departure
    meeting_place: str | None
    meet_at: datetime | None
    transfer_departs: datetime | None  # the plan's vehicle trip from the household's location, if any
    travellers: tuple[Traveller, ...]
    bring: tuple[str, ...]
    contact: str
    issued: datetime
    covid: bool


@dataclass(frozen=True)
class ReasonLetter:
    """One page: why a person is not on a flight this time."""

    case_id: str
    household_id: str
    language: str
    name: str
    name_native: str
    reasons: tuple[Reason, ...]
    contact: str
    issued: datetime
    flights: dict[str, datetime] = field(default_factory=dict)  # local departure of each flight a reason names


def allowance(p: Person, scenario: Scenario) -> Allowance | None:
    """The person's own baggage columns, else the protocol's allowance (planner.model.baggage); None when the
    scenario has no baggage rules, and the notice then tells people to ask the staff."""
    rules = scenario.protocol
    bags = getattr(p, "checked_bags", None)
    kg = getattr(p, "checked_bag_kg", None)
    cabin = getattr(p, "cabin_bag_kg", None)
    bags = getattr(rules, "checked_bags_allowance", None) if bags is None else bags
    kg = getattr(rules, "checked_kg_allowance", None) if kg is None else kg
    cabin = getattr(rules, "cabin_kg_allowance", None) if cabin is None else cabin
    if bags is None or kg is None or cabin is None:
        return None
    return Allowance(int(bags), float(kg), float(cabin))


def _name(p: Person) -> str:
    return " ".join(x for x in (p.given_name, p.family_name) if x) or p.case_id


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _origin_tz(flight: Flight, scenario: Scenario) -> str:
    found = airport(flight.origin)
    return found.timezone if found else scenario.timezone


def _place(code: str) -> Place:
    found = airport(code)
    return Place(code, found.city if found else "")


def _appointments(scenario: Scenario, plan: Plan, flight_id: str) -> dict[str, Appointment]:
    sites = {s.id: s for s in scenario.testing_sites}
    out: dict[str, Appointment] = {}
    for booking in plan.tests:
        if booking.person_id is None or booking.flight_id not in (None, flight_id):
            continue
        site = sites.get(booking.site_id)
        tz = site_timezone(site, scenario) if site else ZoneInfo(scenario.timezone)
        out[booking.person_id] = Appointment(booking.site_id, booking.start.astimezone(tz), booking.end.astimezone(tz))
    return out


def _meeting(scenario: Scenario, location: str, language: str, departure: datetime
             ) -> tuple[str | None, datetime | None]:
    point: MeetingPoint | None = scenario.protocol.notices.meeting_points.get(location)
    if point is None:
        return None, None
    place = point.place_by_language.get(language, point.place)  # type: ignore[call-overload]
    meet = None if point.minutes_before_departure is None else departure - timedelta(
        minutes=point.minutes_before_departure)
    return place, meet


def _transfer(plan: Plan, flight_id: str, household_id: str, tz: str) -> tuple[datetime, str] | None:
    """When and from where the plan's vehicle takes the household to the airport (docs/transfers.md)."""
    for trip in plan.transfers:
        if trip.flight_id == flight_id and household_id in trip.households:
            return _local(trip.depart, tz), trip.location
    return None


def _household_notices(scenario: Scenario, plan: Plan, fp: FlightPlan, flight: Flight, hh: Household
                       ) -> list[Notice]:
    """With a transfer in the plan, its departure is the time to be at the meeting point (the settings' place,
    else the location's name); without one, the settings' meeting point and time, and the check-in time."""
    seats = {p.person_id: p for p in fp.passengers}
    tests = _appointments(scenario, plan, fp.flight_id)
    tz = _origin_tz(flight, scenario)
    departure = _local(flight.departure, tz)
    travellers = tuple(Traveller(p.case_id, _name(p), p.name_native, seats[p.case_id].seat, seats[p.case_id].lap_of,
                                 tests.get(p.case_id), p.case_id in fp.provisional, allowance(p, scenario))
                       for p in hh.members if p.case_id in seats)
    rules = scenario.protocol.notices
    trip = _transfer(plan, fp.flight_id, hh.id, tz)
    out = []
    for language in sorted({p.language for p in hh.members}):
        place, meet_at = _meeting(scenario, trip[1] if trip else hh.members[0].location, language, departure)
        if trip is not None:
            place, meet_at = place or trip[1], trip[0]
        out.append(Notice(
            household_id=hh.id, language=language, flight_id=fp.flight_id, origin=_place(flight.origin),
            destination=_place(flight.stops[-1].airport), departure=departure,
            check_in_by=departure - timedelta(minutes=flight.check_in_minutes), meeting_place=place,
            meet_at=meet_at, transfer_departs=trip[0] if trip else None, travellers=travellers,
            bring=tuple(rules.bring), contact=rules.contact, issued=_local(scenario.as_of, tz),
            covid=scenario.protocol.covid))
    return out


def flight_notices(scenario: Scenario, plan: Plan, flight_id: str | None = None, household_id: str | None = None
                   ) -> list[Notice]:
    """The notices of every household on `flight_id` (every flight when None), or of one household."""
    flights = {f.id: f for f in scenario.flights}
    if flight_id is not None and flight_id not in flights:
        raise NoticeError(f"flight '{flight_id}' is not in the scenario")
    by_id = {h.id: h for h in households(scenario)}
    if household_id is not None and household_id not in by_id:
        raise NoticeError(f"household '{household_id}' is not in the scenario")
    out: list[Notice] = []
    for fp in plan.flights:
        if (flight_id is not None and fp.flight_id != flight_id) or fp.flight_id not in flights:
            continue
        on_board = {p.person_id for p in fp.passengers}
        for hh in by_id.values():
            if (household_id is None or hh.id == household_id) and any(p.case_id in on_board for p in hh.members):
                out += _household_notices(scenario, plan, fp, flights[fp.flight_id], hh)
    return out


def reason_letters(scenario: Scenario, plan: Plan, household_id: str | None = None) -> list[ReasonLetter]:
    """A letter for every person the plan leaves out (of one household when given), with their reasons."""
    people = {p.case_id: p for p in scenario.people}
    if household_id is not None and all(p.household_id != household_id for p in people.values()):
        raise NoticeError(f"household '{household_id}' is not in the scenario")
    flights = {f.id: _local(f.departure, _origin_tz(f, scenario)) for f in scenario.flights}
    contact = scenario.protocol.notices.contact
    out = []
    for entry in plan.unassigned:
        p = people.get(entry.person_id)
        if p is None or (household_id is not None and p.household_id != household_id):
            continue
        # the plan says each reason once with its flights; the letter names each flight with its reason
        reasons = tuple(Reason(code=r.code, message=r.message, flights=None if fid is None else [fid])
                        for fid, r in entry.flight_reasons(serving_flights(scenario, p.destination)))
        named = {r.flight_id: flights[r.flight_id] for r in reasons if r.flight_id in flights}
        out.append(ReasonLetter(p.case_id, p.household_id, p.language, _name(p), p.name_native, reasons,
                                contact, _local(scenario.as_of, scenario.timezone), named))
    return out


Page = Notice | ReasonLetter


def pages_for(scenario: Scenario, plan: Plan, flight_id: str | None = None, household_id: str | None = None
              ) -> list[Page]:
    """Notices of the households on the plan's flights, then letters for the people left out; with a flight,
    only its notices and the letters whose reasons name it."""
    pages: list[Page] = list(flight_notices(scenario, plan, flight_id, household_id))
    for letter in reason_letters(scenario, plan, household_id):
        if flight_id is None or any(r.flight_id == flight_id for r in letter.reasons):
            pages.append(letter)
    return pages
