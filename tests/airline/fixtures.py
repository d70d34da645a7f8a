"""A small flight with the cases the messages must carry: a household with a lap infant, a wheelchair, a
medical case, an unaccompanied child, a second stop, and names with marks and a name in Arabic script."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from builders import flight, person, scenario
from planner.airline.roster import PaxRecord
from planner.model.plan import FlightPlan, Passenger, Plan, ScenarioRef
from planner.model.scenario import Scenario

SENT = datetime(2021, 11, 30, 9, 15, tzinfo=UTC)
FLIGHT = "F1"


def world(**changes: dict[str, Any]) -> Scenario:
    """The scenario; `changes` maps case numbers to field changes."""
    people = [
        person("C1", "H1", family_name="Rashid", given_name="Karwan", sex="M", name_native="کاروان ڕەشید"),
        person("C2", "H1", family_name="Rashid", given_name="Shilan", sex="F", date_of_birth=date(1990, 3, 3)),
        person("C3", "H1", family_name="Rashid", given_name="Chra", sex="F", date_of_birth=date(2021, 1, 5)),
        person("C4", "H1", family_name="Rashid", given_name="Aram", sex="M", date_of_birth=date(2013, 2, 20)),
        person("C5", "H2", family_name="Al-Jubouri", given_name="Abd al-Rahman", sex="M", mobility="WCHR",
               name_native="عبد الرحمن الجبوري", destination="BGW"),
        person("C6", "H3", family_name="Müller-Lüdenscheidt", given_name="Zoë Anne-Marie", sex="F",
               fitness="fit_with_escort"),
        person("C7", "H4", family_name="O'Neill", given_name="Soran", sex="M", date_of_birth=date(2006, 9, 14),
               unaccompanied_minor=True, best_interests_approved=True),
        person("C8", "H5", family_name="Doski", given_name="Kawa", sex="X"),
    ]
    people = [p.model_copy(update=changes.get(p.case_id, {})) for p in people]
    stops = [{"airport": "EBL", "arrival": "2021-12-01T14:10:00+03:00"},
             {"airport": "BGW", "arrival": "2021-12-01T16:30:00+03:00"}]
    return scenario(people, [flight(FLIGHT, stops=stops)])


def plan(seats: dict[str, str], laps: dict[str, str] | None = None) -> Plan:
    """A plan with the flight's passengers: seats by case number, lap infants by case number of the carrier."""
    passengers = [Passenger(person_id=c, seat=s) for c, s in seats.items()]
    passengers += [Passenger(person_id=c, lap_of=a) for c, a in (laps or {}).items()]
    return Plan(scenario=ScenarioRef(name="test", sha256="0" * 64),
                flights=[FlightPlan(flight_id=FLIGHT, passengers=passengers)])


FIRST = {"C1": "1A", "C2": "1B", "C4": "1C", "C5": "2A", "C6": "2B", "C7": "3D", "C8": "4F"}


def as_read(record: PaxRecord) -> tuple[object, ...]:
    """A roster record in the reader's terms."""
    infant = None
    if record.infant is not None:
        born = record.infant.born
        months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        infant = (record.infant.surname, record.infant.given,
                  f"{born.day:02d}{months[born.month - 1]}{born.year % 100:02d}")
    return (*record.key, record.seat, tuple(record.ssrs), infant)
