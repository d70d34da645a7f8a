"""A flight's passengers as the airline sees them: one record per seated returnee, with its booking reference,
destination, name and title, seat, special service requests and the lap infant it carries (docs/airline.md).

The PNL, the ADL and their round-trip tests all start from these records, so what is sent and what is checked
are the same facts. Escorts are not in the records: the scenario holds no names for them, and the organisation
that employs them books them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from planner.airline.names import age_on, fit, given_names, surname, title
from planner.model.plan import FlightPlan, Passenger, Plan
from planner.model.scenario import Flight, Person, Scenario, local_date
from planner.report.needs import INFANT_YEARS, MOBILITY, care_needs

#: Longest line of a teletype message we write (docs/airline.md, "Limits and parts").
LINE_MAX = 64
#: SSR codes for the needs `planner.report.needs.care_needs` counts (mobility aids carry their own code).
SSR_BY_NEED = {"medical": "MEDA", "uasc": "UMNR"}
_LOCATOR_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: easily misread on a teletype
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class ExportError(ValueError):
    """Data that cannot be put into a message; the text names the person (by case number) and the field."""


@dataclass(frozen=True)
class Infant:
    """A lap infant, sent as the INFT request of the adult who carries it."""

    case_id: str
    surname: str
    given: str
    born: date


@dataclass(frozen=True)
class PaxRecord:
    """One seated passenger of the PNL."""

    case_id: str
    pnr: str
    destination: str
    surname: str
    given: str
    title: str
    seat: str | None
    ssrs: tuple[str, ...]
    infant: Infant | None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies the passenger to a departure control system: destination, booking and name."""
        return self.destination, self.pnr, self.surname, self.given, self.title


def ddmmm(day: date) -> str:
    """22MAR: the teletype date of a flight."""
    return f"{day.day:02d}{_MONTHS[day.month - 1]}"


def ddmmmyy(day: date) -> str:
    """11NOV20: the teletype date of birth."""
    return f"{ddmmm(day)}{day.year % 100:02d}"


def locator(household_id: str) -> str:
    """A six-character booking reference for a household: the same household gets the same one in every
    message, so an ADL refers to the PNL's bookings."""
    digest = int.from_bytes(hashlib.sha256(household_id.encode("utf-8")).digest()[:8], "big")
    out = []
    for _ in range(6):
        digest, k = divmod(digest, len(_LOCATOR_LETTERS))
        out.append(_LOCATOR_LETTERS[k])
    return "".join(out)


def flight_of(scenario: Scenario, plan: Plan, flight_id: str) -> tuple[Flight, FlightPlan]:
    """The flight in the scenario and in the plan; a flight missing from either is an ExportError."""
    flight = next((f for f in scenario.flights if f.id == flight_id), None)
    planned = next((f for f in plan.flights if f.flight_id == flight_id), None)
    if flight is None:
        raise ExportError(f"flight {flight_id!r} is not in the scenario (its flights: "
                          f"{', '.join(f.id for f in scenario.flights) or 'none'})")
    if planned is None:
        raise ExportError(f"flight {flight_id!r} is not in the plan (its flights: "
                          f"{', '.join(f.flight_id for f in plan.flights) or 'none'})")
    return flight, planned


def people_on(scenario: Scenario, planned: FlightPlan) -> dict[str, Person]:
    """The scenario's people on the flight by case number; one the scenario lacks is an ExportError."""
    by_id = {p.case_id: p for p in scenario.people}
    missing = [p.person_id for p in planned.passengers if p.person_id not in by_id]
    if missing:
        raise ExportError(f"{missing[0]}: in the plan but not in the scenario's people ({len(missing)} such)")
    return {p.person_id: by_id[p.person_id] for p in planned.passengers}


def latin_family(person: Person) -> str:
    """The surname element; a person without a Latin family name cannot be sent."""
    family = surname(person.family_name)
    if len(family) < 2:
        raise ExportError(f"{person.case_id}: family_name has no letter A to Z (the Latin spelling is needed; "
                          "the name in own script is never sent)")
    return family


def ssr_codes(person: Person, age: int) -> tuple[str, ...]:
    """The person's special service requests, from the needs the manifest lists (planner.report.needs)."""
    codes = []
    for need in care_needs(person.mobility, person.fitness, person.unaccompanied_minor, person.pregnant):
        if need.counts in ("wheelchair", "stretcher") and person.mobility in MOBILITY:
            codes.append(f"{person.mobility} HK1")
        elif need.counts == "uasc":
            codes.append(f"UMNR HK1 UM{min(age, 99):02d}")
        elif need.counts in SSR_BY_NEED:
            codes.append(f"{SSR_BY_NEED[need.counts]} HK1")
    return tuple(codes)


def flight_roster(scenario: Scenario, plan: Plan, flight_id: str) -> list[PaxRecord]:
    """The seated passengers of a flight with their lap infants, by destination (in stop order), then
    surname, booking and given names."""
    flight, planned = flight_of(scenario, plan, flight_id)
    people = people_on(scenario, planned)
    day = local_date(flight.departure, scenario.timezone)
    stops = [s.airport for s in flight.stops]
    infants = _infants(planned.passengers, people, day)
    records = [_record(people[p.person_id], p, stops, day, infants.get(p.person_id))
               for p in planned.passengers if p.lap_of is None]
    return sorted(records, key=lambda r: (stops.index(r.destination), r.surname, r.pnr, r.given, r.case_id))


def _infants(passengers: list[Passenger], people: dict[str, Person], day: date) -> dict[str, Infant]:
    """Lap infants by the case number of the adult carrying them."""
    seated = {p.person_id for p in passengers if p.lap_of is None}
    out: dict[str, Infant] = {}
    for p in passengers:
        if p.lap_of is None:
            continue
        if p.lap_of not in seated:
            raise ExportError(f"{p.person_id}: lap_of names {p.lap_of}, who is not seated on this flight")
        person = people[p.person_id]
        if age_on(person.date_of_birth, day) >= INFANT_YEARS:
            raise ExportError(f"{p.person_id}: travels on a lap but is not under {INFANT_YEARS} on departure")
        family, given = fit(latin_family(person), given_names(person.given_name), LINE_MAX - 20)
        out[p.lap_of] = Infant(person.case_id, family, given, person.date_of_birth)
    return out


def _record(person: Person, p: Passenger, stops: list[str], day: date, infant: Infant | None) -> PaxRecord:
    age = age_on(person.date_of_birth, day)
    honorific = title(person.sex, age)
    family, given = fit(latin_family(person), given_names(person.given_name), LINE_MAX - 2 - len(honorific))
    destination = person.destination if person.destination in stops else stops[-1]
    return PaxRecord(case_id=person.case_id, pnr=locator(person.household_id), destination=destination,
                     surname=family, given=given, title=honorific, seat=p.seat, ssrs=ssr_codes(person, age),
                     infant=infant)
