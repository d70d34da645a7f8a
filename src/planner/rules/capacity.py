"""The per-flight linear capacity model: what seating can hold, as limits the allocation can respect.

Each limit is `Σ household usage + escorts × escort_usage ≤ rhs`. Allocation, the greedy baseline and the
explanations use the same limits, so a household the allocation puts on a flight fits the cabin's rules
(docs/rules.md#capacity-limits: seats, exit rows, mask blocks, wheelchair aisle seats, stretcher zones, special
categories,
distancing units).

Distancing units. Under distancing a cabin's capacity depends on the household mix: members of one household
need no gap among themselves. A cabin has `U` units, its exact single-traveller capacity (the maximum
independent set of its seat graph, `planner.rules.distancing`). A household of n seated members uses
`ceil(SCALE·U / cap_n)` of `SCALE·U` scaled units, where cap_n is how many such households the seating
greedy fits into the empty cabin. Single travellers therefore fill the cabin exactly (a 30-row 3-3 cabin
with `side` distancing holds 120), homogeneous mixes are exact for the seating the planner runs, and mixed
loads use the convex combination; when a mix still does not fit, the seating stage reports the household
and the allocation adds a cut (docs/architecture.md#seating).

Each limit and usage term is its rule family's definition (`seats`, `exits`, `lap_infants`, `mobility`,
`special_categories`, `distancing`); this module only lines them up. The validator does not import it: the
distancing usage (`_household_units`) runs the seating solver's greedy, which belongs with the seating stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from math import ceil

from planner.model.caseload import WHEELCHAIR_AISLE, Household, departure_date
from planner.model.scenario import AircraftType, Flight, Scenario
from planner.rules import children, payload
from planner.rules import seats as seat_rules
from planner.rules.base import Occupant
from planner.rules.distancing import max_independent_seats
from planner.rules.exits import barred_usage
from planner.rules.isolation_rows import isolation_seats, rear_rows
from planner.rules.lap_infants import lap_limit, lap_pairs
from planner.rules.mobility import wheelchair_seats
from planner.rules.special_categories import balance
from planner.rules.zones import fillable_seats
from planner.seating.seatmaps import SeatMap, aircraft_spec, build_seat_map, resolve_aircraft

#: Units per single traveller in the distancing limit (integer rounding of the other sizes is at most 1/SCALE).
SCALE = 12
#: Larger households are charged pro rata from this size (the greedy is run for sizes up to it).
MAX_PACKED_SIZE = 10
#: Surcharge on households of two or more under distancing, measured on random mixes (tests/test_capacity*).
MIX_MARGIN_PERCENT = 8


@dataclass(frozen=True)
class CapacityLimit:
    name: str
    reason: str  # reason code when this limit is what keeps a household off the flight
    rhs: int
    escort_usage: int  # what one escort on board uses of this limit


def seat_map_of(scenario: Scenario, flight: Flight) -> SeatMap:
    return resolve_aircraft(flight.aircraft, scenario)


def unusable_seats(scenario: Scenario, flight: Flight) -> set[str]:
    """`planner.rules.seats.unusable_seats` for a flight, cached per aircraft definition and blocked seats."""
    return set(_unusable(_key(scenario, flight), tuple(flight.blocked_seats), rear_rows(scenario)))


@cache
def _unusable(spec: str, flight_blocked: tuple[str, ...], rear: int) -> frozenset[str]:
    sm = _map(spec)
    return seat_rules.operator_blocked(sm, flight_blocked) | isolation_seats(sm, rear)


def _relations(scenario: Scenario) -> tuple[str, ...]:
    return tuple(sorted(set(scenario.protocol.seating.distancing)))


def flight_limits(scenario: Scenario, flight: Flight) -> list[CapacityLimit]:
    sm = seat_map_of(scenario, flight)
    unusable = unusable_seats(scenario, flight)
    usable = [s for s in sm.seats if s.id not in unusable]
    zone = seat_rules.usable_zone(sm, unusable)
    non_exit = [s for s in usable if not s.exit]
    limits = [
        # a stretcher case takes one zone seat and blocks the rest of the zone (household_usage charges it)
        # cabin zones with a passenger limit cap the seats that can be filled (rules/zones.py)
        CapacityLimit("seats", seat_rules.REASON, fillable_seats(aircraft_spec(flight.aircraft, scenario), usable), 1),
        CapacityLimit("non_exit_seats", "seating.no_fit", len(non_exit), 0),
        CapacityLimit("lap_infants", "capacity.infants", lap_limit(sm, {s.id for s in non_exit},
                                                                   scenario.protocol.seating), 0),
        CapacityLimit("wheelchair_aisle_seats", "seating.no_fit", wheelchair_seats(usable, zone), 0),
        CapacityLimit("stretcher_zones", "seating.no_fit", 1 if zone else 0, 0),
        # special categories minus able-bodied adults <= 0; each escort is one more able-bodied adult
        CapacityLimit("special_categories", "capacity.special_categories", 0, -1),
        # a child under the seating age with no household adult and no serving escort cannot fly (children.py)
        CapacityLimit("unpartnered_children", children.REASON, 0, 0),
    ]
    relations = _relations(scenario)
    if relations:
        units = _distancing_units(_key(scenario, flight), frozenset(unusable), relations)
        limits.append(CapacityLimit("distancing_units", "seating.no_fit", units[0], units[1]))
    payload_kg = payload.payload_limit(scenario, flight)
    if payload_kg is not None:  # traffic load in kg (rules/payload.py)
        limits.append(CapacityLimit(payload.LIMIT, payload.REASON, payload_kg,
                                    payload.escort_payload(scenario, flight)))
    return limits


def distancing_usage(scenario: Scenario, flight: Flight, seated: int) -> int:
    """Scaled distancing units a household of `seated` members uses on this flight (0 without distancing)."""
    relations = _relations(scenario)
    if not relations or seated <= 0:
        return 0
    spec = _key(scenario, flight)
    unusable = frozenset(unusable_seats(scenario, flight))
    if seated > MAX_PACKED_SIZE:
        return ceil(seated * distancing_usage(scenario, flight, MAX_PACKED_SIZE) / MAX_PACKED_SIZE)
    # a household may always take the seats of a larger one, so usage never grows less than with size
    raw = min(_household_units(spec, unusable, relations, m) for m in range(seated, MAX_PACKED_SIZE + 1))
    # mixed loads pack a little worse than homogeneous ones: families pay a margin, singles stay exact
    return raw if seated == 1 else ceil(raw * (100 + MIX_MARGIN_PERCENT) / 100)


@cache
def _distancing_units(spec: str, unusable: frozenset[str], relations: tuple[str, ...]) -> tuple[int, int]:
    """(rhs, units of one escort): SCALE × the exact single-traveller capacity, and one single's share."""
    sm = _map(spec)
    usable = [s.id for s in sm.seats if s.id not in unusable]
    mis, _ = max_independent_seats(sm, relations, usable)
    return SCALE * mis, _household_units(spec, unusable, relations, 1)


def _key(scenario: Scenario, flight: Flight) -> str:
    """The aircraft definition as JSON text: hashable, so capacities are computed once per type."""
    return aircraft_spec(flight.aircraft, scenario).model_dump_json()


def _map(spec: str) -> SeatMap:
    return build_seat_map(AircraftType.model_validate_json(spec))


@cache
def _household_units(spec: str, unusable: frozenset[str], relations: tuple[str, ...], n: int) -> int:
    """Scaled units of an n-person household: SCALE·U / (how many such households the seating greedy fits).

    Runs the seating solver's greedy: solver code, imported here only when a distancing protocol asks for it
    (it belongs with the seating stage, not with the rule definitions)."""
    from planner.seating.cabin import Cabin
    from planner.seating.greedy import Greedy
    from planner.seating.job import FlightJob
    from planner.seating.problem import SeatingProblem

    sm = _map(spec)
    usable = [s.id for s in sm.seats if s.id not in unusable]
    mis, _ = max_independent_seats(sm, relations, usable)
    if mis == 0:
        return SCALE * max(1, len(usable)) + 1
    count = len(usable) // n + 1
    occupants = [
        Occupant(
            id=f"H{h:04d}-{i}",
            escort=False,
            household=f"H{h:04d}",
            age=30,
            adult=True,
        )
        for h in range(count)
        for i in range(n)
    ]
    job = FlightJob(
        flight_id="capacity",
        spec=AircraftType.model_validate_json(spec),
        occupants=occupants,
        unusable=unusable,
        relations=relations,
        infants_per_block=1,
        multi_stop=False,
        time_limit=0,
        deterministic=True,
        cpsat=False,
    )
    problem = SeatingProblem(job, Cabin(job))
    seats = Greedy(problem).run()
    fitted = sum(1 for h in range(count) if f"H{h:04d}-0" in seats and all(f"H{h:04d}-{i}" in seats for i in range(n)))
    if fitted == 0:
        return SCALE * mis + 1  # does not fit at all
    return ceil(SCALE * mis / fitted)


def household_usage(scenario: Scenario, flight: Flight, household: Household) -> tuple[int, ...]:
    """How much of each of `flight_limits` the household uses, in the same order."""
    on = departure_date(flight, scenario)
    laps = lap_pairs(household, on, scenario)
    seated = [p for p in household.members if p.case_id not in laps]
    carriers = set(laps.values())
    barred = barred_usage(household, seated, carriers, on, scenario.protocol.seating)
    wheel = sum(1 for p in seated if p.mobility in WHEELCHAIR_AISLE)
    stretchers = sum(1 for p in seated if p.mobility == "STCR")
    seats = len(seated) + (_zone_extra(_key(scenario, flight), tuple(flight.blocked_seats), rear_rows(scenario))
                           if stretchers else 0)
    special, able = balance(((p, household) for p in household.members), on, set(laps), carriers)
    usage = [seats, barred, len(laps), wheel, stretchers, special - able,
             len(children.without_partner(household, on, scenario))]
    if _relations(scenario):
        usage.append(distancing_usage(scenario, flight, len(seated)))
    if payload.payload_limit(scenario, flight) is not None:
        usage.append(payload.household_payload(scenario, flight, household, on, laps))
    return tuple(usage)


@cache
def _zone_extra(spec: str, flight_blocked: tuple[str, ...], rear: int) -> int:
    return seat_rules.zone_extra(_map(spec), _unusable(spec, flight_blocked, rear))
