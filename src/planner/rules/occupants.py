"""The seating facts of one flight of a plan (`flight_facts`): who takes a seat, with what the rule families say
about them. The seat-by-seat checks and the seating solver both read these, so a child, a barred exit-row
passenger or a medical case means one thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from planner.model.caseload import WHEELCHAIR_AISLE, Household, age_years, departure_date, households
from planner.model.plan import FlightPlan
from planner.model.scenario import Escort, Person, Scenario
from planner.rules.base import FlightFacts, Occupant
from planner.rules.children import is_child
from planner.rules.escorts import is_medical_case
from planner.rules.exits import exit_barred
from planner.rules.isolation_rows import isolation_seats, rear_rows
from planner.rules.seats import unusable_seats
from planner.seating.seatmaps import resolve_aircraft

ESCORT_HOUSEHOLD = "escort:"


@dataclass(frozen=True)
class CaseIndex:
    """People and households of a scenario by id, built once per plan rather than once per flight (a caseload
    of thousands made the per-flight rebuild the bulk of checking a plan)."""

    people: dict[str, Person]
    households: dict[str, Household]


def case_index(scenario: Scenario) -> CaseIndex:
    return CaseIndex({p.case_id: p for p in scenario.people}, {h.id: h for h in households(scenario)})


def _passenger(p: Person, hh: Household, flight_date: date, scenario: Scenario, infants: int,
               served_by: dict[str, list[str]], stops: list[str]) -> Occupant:
    age = age_years(p.date_of_birth, flight_date)
    return Occupant(
        id=p.case_id, escort=False, household=p.household_id, age=age, adult=age >= 18,
        child=is_child(age, scenario),
        exit_barred=exit_barred(p, hh, flight_date, scenario.protocol.seating, infants > 0),
        wheelchair=p.mobility in WHEELCHAIR_AISLE, stretcher=p.mobility == "STCR", uasc=p.unaccompanied_minor,
        medical=is_medical_case(p, hh, flight_date), mobility=p.mobility, infants=infants,
        stop=stops.index(p.destination) if p.destination in stops else 0,
        escorts=tuple(sorted(served_by.get(p.case_id, []))))


def _escort(escort_id: str, serves: list[str], roles: dict[str, Escort]) -> Occupant:
    role = roles[escort_id].role if escort_id in roles else None
    return Occupant(id=escort_id, escort=True, household=ESCORT_HOUSEHOLD + escort_id, age=99, adult=True,
                    role=role, serves=tuple(serves))


def flight_facts(scenario: Scenario, flight_plan: FlightPlan, index: CaseIndex | None = None) -> FlightFacts:
    """Derive the seating facts of one flight of a plan (`index`: the scenario's case index, when at hand)."""
    flight = next(f for f in scenario.flights if f.id == flight_plan.flight_id)
    seat_map = resolve_aircraft(flight.aircraft, scenario)
    index = index or case_index(scenario)
    on = departure_date(flight, scenario)
    stops = [s.airport for s in flight.stops]
    lap = {p.person_id: p.lap_of for p in flight_plan.passengers if p.lap_of is not None}
    infants_of: dict[str, int] = {}
    for carrier in lap.values():
        infants_of[carrier] = infants_of.get(carrier, 0) + 1
    served_by: dict[str, list[str]] = {}
    for e in flight_plan.escorts:
        for pid in e.serves:
            served_by.setdefault(pid, []).append(e.escort_id)
    occupants: dict[str, Occupant] = {}
    for entry in flight_plan.passengers:
        p = index.people.get(entry.person_id)
        if p is not None and entry.person_id not in lap:
            occupants[p.case_id] = _passenger(p, index.households[p.household_id], on, scenario,
                                              infants_of.get(p.case_id, 0), served_by, stops)
    roles = {e.id: e for e in scenario.escorts}
    for e in flight_plan.escorts:
        occupants[e.escort_id] = _escort(e.escort_id, e.serves, roles)
    return FlightFacts(
        flight=flight, seat_map=seat_map, occupants=occupants, lap=lap,
        unusable=set(unusable_seats(seat_map, scenario, flight)),
        isolation=set(isolation_seats(seat_map, rear_rows(scenario))),
        carries_stretcher=any(o.stretcher for o in occupants.values()))
