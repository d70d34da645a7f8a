"""A flight's load summary for the airline's load sheet: passengers by cabin zone and category, bags, mobility
aids in the hold, traffic load against the payload limit, and the balance index (docs/load.md).

Every mass comes from the payload rule's definitions (`planner.rules.payload`), so the summary adds up to the
figure the allocation and the validator keep.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from planner.model.caseload import departure_date
from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import Scenario
from planner.rules.payload import (
    PersonLoad,
    aircraft_of,
    escort_load,
    payload_limit,
    person_load,
    standard_masses,
)

#: Passenger categories in load-sheet order; `escort` is an adult escort of the operation.
CATEGORIES = ("male", "female", "adult", "child", "infant", "escort")
#: The zone of passengers without a seat yet (an unseated plan) or seated outside every zone.
NO_ZONE = "-"


@dataclass
class ZoneLoad:
    """People in one cabin zone by category; `seated` and `index` leave lap infants out (they add no seat)."""

    zone_id: str
    first_row: int
    last_row: int
    index_per_passenger: float
    max_passengers: int | None
    counts: Counter[str] = field(default_factory=Counter)
    mass_kg: float = 0.0

    @property
    def rows(self) -> str:
        return f"{self.first_row}-{self.last_row}" if self.zone_id != NO_ZONE else ""

    @property
    def seated(self) -> int:
        return sum(n for c, n in self.counts.items() if c != "infant")

    @property
    def index(self) -> float:
        return self.seated * self.index_per_passenger


@dataclass
class FlightLoad:
    """Everything a load sheet needs from the planner for one flight."""

    flight_id: str
    aircraft: str
    departure: str
    mass_source: str
    zones: list[ZoneLoad]
    checked_bags: int = 0
    checked_kg: float = 0.0
    cabin_kg: float = 0.0
    cabin_kg_in_passenger_mass: bool = True
    passenger_kg: float = 0.0
    aids: Counter[str] = field(default_factory=Counter)
    aids_kg: float = 0.0
    payload_limit_kg: int | None = None

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for z in self.zones:
            total.update(z.counts)
        return total

    @property
    def traffic_load_kg(self) -> float:
        return self.passenger_kg + self.checked_kg + self.aids_kg

    @property
    def margin_kg(self) -> float | None:
        return None if self.payload_limit_kg is None else self.payload_limit_kg - self.traffic_load_kg

    @property
    def balance_index(self) -> float | None:
        """Σ zones' seated × index per passenger; None when the aircraft has no zones or nobody has a seat."""
        zoned = [z for z in self.zones if z.zone_id != NO_ZONE]
        if not zoned or all(z.seated == 0 for z in zoned):
            return None
        return sum(z.index for z in zoned)


def flight_load(scenario: Scenario, plan: Plan, flight_id: str) -> FlightLoad:
    """The load summary of one flight of the plan; KeyError names a flight the scenario or plan lacks."""
    flight = next((f for f in scenario.flights if f.id == flight_id), None)
    fp = next((x for x in plan.flights if x.flight_id == flight_id), None)
    if flight is None or fp is None:
        raise KeyError(f"flight {flight_id} is not in the {'scenario' if flight is None else 'plan'}")
    aircraft = aircraft_of(scenario, flight)
    masses = standard_masses(scenario, aircraft)
    zones = [ZoneLoad(z.id, z.first_row, z.last_row, z.index_per_passenger, z.max_passengers)
             for z in aircraft.zones]
    zones.append(ZoneLoad(NO_ZONE, 0, 0, 0.0, None))
    out = FlightLoad(flight_id, aircraft.type, flight.departure.isoformat(), masses.source, zones,
                     cabin_kg_in_passenger_mass=masses.include_cabin_baggage,
                     payload_limit_kg=payload_limit(scenario, flight))
    on = departure_date(flight, scenario)
    people = {p.case_id: p for p in scenario.people}
    seat_of = _seats(fp)
    for pa in fp.passengers:
        if pa.person_id not in people:
            continue
        load = person_load(people[pa.person_id], on, pa.lap_of is not None, masses, scenario.protocol)
        _add(out, _zone(out, seat_of.get(pa.lap_of or pa.person_id)), load.category, load)
    for e in fp.escorts:
        _add(out, _zone(out, e.seat), "escort", escort_load(masses, scenario.protocol))
    if not out.zones[-1].counts:
        out.zones.pop()  # every passenger is in a zone
    return out


def plan_loads(scenario: Scenario, plan: Plan) -> list[FlightLoad]:
    """The load summary of every flight of the plan that the scenario knows, in the plan's order."""
    known = {f.id for f in scenario.flights}
    return [flight_load(scenario, plan, fp.flight_id) for fp in plan.flights if fp.flight_id in known]


def _seats(fp: FlightPlan) -> dict[str, str]:
    seats = {pa.person_id: pa.seat for pa in fp.passengers if pa.seat}
    seats.update({e.escort_id: e.seat for e in fp.escorts if e.seat})
    return seats


def _zone(out: FlightLoad, seat: str | None) -> ZoneLoad:
    row = _row(seat) if seat else None
    if row is not None:
        for z in out.zones[:-1]:
            if z.first_row <= row <= z.last_row:
                return z
    return out.zones[-1]


def _row(seat: str) -> int | None:
    digits = seat[:len(seat) - len(seat.lstrip("0123456789"))]
    return int(digits) if digits else None


def _add(out: FlightLoad, zone: ZoneLoad, cat: str, load: PersonLoad) -> None:
    zone.counts[cat] += 1
    zone.mass_kg += load.body_kg
    out.passenger_kg += load.body_kg
    out.checked_bags += load.checked_bags
    out.checked_kg += load.checked_kg
    out.cabin_kg += load.cabin_kg
    if load.aid != "none":
        out.aids[load.aid] += 1
        out.aids_kg += load.aid_kg
