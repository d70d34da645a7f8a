"""Payload: the traffic load a flight may carry (docs/rules.md#payload, docs/load.md).

Traffic load = Σ passengers' standard masses (by category: adult, or male and female; child; a lap infant rides
on its carrier's mass) + checked bags + cabin bags when the standard masses do not already hold them + mobility
aids in the hold, escorts counted as adults with the protocol's allowance. It must stay within the aircraft's
`payload_limit_kg` when one is set. The allocation keeps it as the capacity limit `payload` (each household's
mass rounded up to whole kg, so the limit the model keeps is never looser than the exact one); reason code
`capacity.payload`; violation id `payload`. Passengers per cabin zone are the seating rules' `planner.rules.zones`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from math import ceil

from planner.model.baggage import BaggageRules, PassengerCategory, StandardMasses
from planner.model.caseload import Household, age_years
from planner.model.scenario import AircraftType, Flight, Person, Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.lap_infants import lap_pairs
from planner.seating.seatmaps import aircraft_spec

REASON = "capacity.payload"
#: The allocation's capacity limit of this family (planner.rules.capacity).
LIMIT = "payload"


@dataclass(frozen=True)
class PersonLoad:
    """What one person adds to a flight's traffic load, in kg, with the categories a load sheet lists."""

    category: PassengerCategory
    body_kg: float  # the standard mass of the category (cabin bags included when the table says so)
    checked_bags: int
    checked_kg: float
    cabin_kg: float
    aid: str
    aid_kg: float

    @property
    def total_kg(self) -> float:
        return self.body_kg + self.checked_kg + self.aid_kg


def standard_masses(scenario: Scenario, aircraft: AircraftType) -> StandardMasses:
    """The aircraft's own table when it has one, otherwise the protocol's."""
    return aircraft.standard_masses or scenario.protocol.standard_masses


def aircraft_of(scenario: Scenario, flight: Flight) -> AircraftType:
    return aircraft_spec(flight.aircraft, scenario)


def payload_limit(scenario: Scenario, flight: Flight) -> int | None:
    """The flight's payload limit in kg (None: the aircraft sets none)."""
    return aircraft_of(scenario, flight).payload_limit_kg


def category(person: Person, on: date, lap: bool, masses: StandardMasses) -> PassengerCategory:
    """Lap infant, child (under `child_under_years`, or an infant with a seat), or adult by sex when the table
    has male and female masses."""
    if lap:
        return "infant"
    if age_years(person.date_of_birth, on) < masses.child_under_years:
        return "child"
    if masses.male is not None and person.sex in ("M", "F"):
        return "male" if person.sex == "M" else "female"
    return "adult"


def person_load(person: Person, on: date, lap: bool, masses: StandardMasses, rules: BaggageRules) -> PersonLoad:
    """A person's traffic load: their columns, or the protocol's allowance where blank."""
    bags = person.checked_bags
    kg = person.checked_bag_kg
    if bags is None:
        bags = rules.checked_bags_allowance if kg is None else int(kg > 0)
    if kg is None:
        kg = rules.checked_kg_allowance if bags > 0 else 0.0
    cabin = rules.cabin_kg_allowance if person.cabin_bag_kg is None else person.cabin_bag_kg
    cat = category(person, on, lap, masses)
    body = masses.mass(cat) + (0.0 if masses.include_cabin_baggage else cabin)
    aid_kg = person.mobility_aid_kg
    if aid_kg is None:
        aid_kg = rules.mobility_aid_default_kg.get(person.mobility_aid, 0.0)
    return PersonLoad(cat, body, bags, kg, cabin, person.mobility_aid, aid_kg)


def escort_load(masses: StandardMasses, rules: BaggageRules) -> PersonLoad:
    """An escort: an adult with the protocol's allowance."""
    cabin = rules.cabin_kg_allowance
    bags = rules.checked_bags_allowance
    body = masses.adult + (0.0 if masses.include_cabin_baggage else cabin)
    return PersonLoad("adult", body, bags, rules.checked_kg_allowance if bags else 0.0, cabin, "none", 0.0)


def household_payload(scenario: Scenario, flight: Flight, household: Household, on: date,
                      laps: dict[str, str] | None = None) -> int:
    """The household's traffic load on the flight in whole kg, rounded up (the allocation's usage); `laps` as
    `lap_pairs` gives them, when the caller has them already."""
    masses = standard_masses(scenario, aircraft_of(scenario, flight))
    laps = lap_pairs(household, on, scenario) if laps is None else laps
    total = sum(person_load(p, on, p.case_id in laps, masses, scenario.protocol).total_kg for p in household.members)
    return ceil(total - 1e-9)


def escort_payload(scenario: Scenario, flight: Flight) -> int:
    """One escort's traffic load in whole kg, rounded up."""
    masses = standard_masses(scenario, aircraft_of(scenario, flight))
    return ceil(escort_load(masses, scenario.protocol).total_kg - 1e-9)


def check_payload(ctx: Context) -> Iterator[Violation]:
    """Traffic load ≤ the aircraft's payload limit, per flight, with the plan's own lap infants."""
    for fp, flight in ctx.known_flights():
        limit = payload_limit(ctx.scenario, flight)
        if limit is None:
            continue
        masses = standard_masses(ctx.scenario, aircraft_of(ctx.scenario, flight))
        on = ctx.on(flight)
        laps = {pa.person_id for pa in fp.passengers if pa.lap_of}
        load = sum(person_load(p, on, p.case_id in laps, masses, ctx.scenario.protocol).total_kg
                   for p in ctx.on_board(fp))
        load += len(fp.escorts) * escort_load(masses, ctx.scenario.protocol).total_kg
        if load > limit + 1e-6:
            yield violation("payload", f"traffic load {load:.1f} kg > payload limit {limit} kg", fp.flight_id)


CHECKS = (PlanCheck(("payload",), check_payload),)
SEAT_CHECKS = ()
