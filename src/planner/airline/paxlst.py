"""Advance passenger information for the destination's border: the UN/EDIFACT PAXLST message of one flight, with
the segments of the API Guidelines' PAXLST implementation guide (docs/airline.md, "PAXLST").

Every person on board the plan lists (lap infants too, as they cross the border) is one NAD+FL group. Data a
required element needs and the person lacks is a warning (`paxlst_warnings`), listed before export; the export
refuses incomplete data unless forced, and the caller records who forced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from planner.airline.edifact import UNA, segment
from planner.airline.names import given_names, latin_letters, surname
from planner.airline.roster import flight_of, locator, people_on
from planner.model.plan import Plan
from planner.model.scenario import Flight, Person, Scenario

#: Document codes (data element 1001, code list 110 of agency 111; docs/airline.md, "PAXLST"): P passport;
#: F approved non-standard travel document, which a laissez-passer (emergency travel document) is.
DOCUMENT_CODES = {"passport": "P", "etd": "F"}
#: Sex as the API Guidelines' ATT segment gives it: M, F, or U (not known or other).
SEX_CODES = {"M": "M", "F": "F", "X": "U"}
MESSAGE_VERSION = ("PAXLST", "D", "05B", "UN", "IATA")


@dataclass(frozen=True)
class PaxWarning:
    """A required element the person's data cannot fill; names the person by case number and the field only."""

    case_id: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.case_id}: {self.field}: {self.problem}"


class IncompleteData(ValueError):
    """The export was refused: warnings stand and it was not forced."""

    def __init__(self, warnings: list[PaxWarning]):
        super().__init__(f"{len(warnings)} warning(s) for required API data; fix the data or force the export")
        self.warnings = warnings


@dataclass(frozen=True)
class Parties:
    """Sender and receiver of the interchange (their identifiers as agreed with the border), the flight's
    designator, and when the interchange is made (UTC)."""

    sender: str
    receiver: str
    designator: str
    sent_at: datetime
    reference: str = "1"


def person_warnings(person: Person) -> list[PaxWarning]:
    """What the person's data lacks for the required elements: a Latin family name, a travel document with its
    number, expiry and issuing state, and the country of birth."""
    out = []
    if len(surname(person.family_name)) < 2:
        out.append(PaxWarning(person.case_id, "family_name", "no letter A to Z (the Latin spelling is needed)"))
    if person.document_type not in DOCUMENT_CODES:
        out.append(PaxWarning(person.case_id, "document_type", "no travel document"))
    else:
        for name in ("document_number", "document_expiry", "document_issuing_state"):
            if not getattr(person, name):
                out.append(PaxWarning(person.case_id, name, "missing"))
    if not person.country_of_birth:
        out.append(PaxWarning(person.case_id, "country_of_birth", "missing"))
    return out


def paxlst_warnings(scenario: Scenario, plan: Plan, flight_id: str) -> list[PaxWarning]:
    """Every warning of the flight's passengers, in the plan's order."""
    _, planned = flight_of(scenario, plan, flight_id)
    people = people_on(scenario, planned)
    return [w for p in planned.passengers for w in person_warnings(people[p.person_id])]


def _yymmdd(day: date) -> str:
    return f"{day:%y%m%d}"


def _flight_segments(flight: Flight, designator: str) -> list[str]:
    """The transport (TDT) and its legs: departure airport and time, each arrival airport and time."""
    out = [segment("TDT", "20", designator), segment("LOC", "125", flight.origin),
           segment("DTM", ("189", f"{flight.departure.astimezone(UTC):%y%m%d%H%M}", "201"))]
    for stop in flight.stops:
        out += [segment("LOC", "87", stop.airport),
                segment("DTM", ("232", f"{stop.arrival.astimezone(UTC):%y%m%d%H%M}", "201"))]
    return out


def passenger_segments(person: Person, flight: Flight) -> list[str]:
    """One passenger: name, sex, birth, ports, nationality, booking reference and travel document."""
    stops = [s.airport for s in flight.stops]
    arrival = person.destination if person.destination in stops else stops[-1]
    out = [segment("NAD", "FL", "", "", (surname(person.family_name), given_names(person.given_name))),
           segment("ATT", "2", "", SEX_CODES[person.sex]),
           segment("DTM", ("329", _yymmdd(person.date_of_birth))),
           segment("LOC", "178", flight.origin), segment("LOC", "179", arrival)]
    if person.country_of_birth or person.place_of_birth:
        out.append(segment("LOC", "180", (person.country_of_birth or "", "", "",
                                          latin_letters(person.place_of_birth))))
    out += [segment("NAT", "2", person.nationality), segment("RFF", ("AVF", locator(person.household_id)))]
    code = DOCUMENT_CODES.get(person.document_type)
    if code is not None:
        out.append(segment("DOC", (code, "110", "111"), person.document_number))
        if person.document_expiry is not None:
            out.append(segment("DTM", ("36", _yymmdd(person.document_expiry))))
        if person.document_issuing_state:
            out.append(segment("LOC", "91", person.document_issuing_state))
    return out


def paxlst_message(scenario: Scenario, plan: Plan, flight_id: str, parties: Parties, force: bool = False) -> str:
    """The PAXLST interchange of a flight; IncompleteData unless every warning is fixed or `force` is set."""
    flight, planned = flight_of(scenario, plan, flight_id)
    warnings = paxlst_warnings(scenario, plan, flight_id)
    if warnings and not force:
        raise IncompleteData(warnings)
    people = people_on(scenario, planned)
    stamp = parties.sent_at.astimezone(UTC)
    when = (f"{stamp:%y%m%d}", f"{stamp:%H%M}")
    local_day = flight.departure.astimezone(ZoneInfo(scenario.timezone))
    body = [segment("UNH", parties.reference, MESSAGE_VERSION, f"{parties.designator}/{local_day:%y%m%d}",
                    ("01", "F")),
            segment("BGM", "745"), segment("NAD", "MS", "", "", parties.sender)]
    body += _flight_segments(flight, parties.designator)
    for p in planned.passengers:
        body += passenger_segments(people[p.person_id], flight)
    body.append(segment("CNT", ("42", str(len(planned.passengers)))))
    body.append(segment("UNT", str(len(body) + 1), parties.reference))
    head = [UNA, segment("UNB", ("UNOA", "4"), parties.sender, parties.receiver, when, parties.reference, "",
                         "APIS"),
            segment("UNG", "PAXLST", parties.sender, parties.receiver, when, parties.reference, "UN",
                    ("D", "05B"))]
    tail = [segment("UNE", "1", parties.reference), segment("UNZ", "1", parties.reference)]
    return "\n".join(head + body + tail) + "\n"
