"""The per-flight linear capacity model: what seating can hold, as limits the allocation can respect.

Each limit is `Σ household usage + escorts × escort_usage ≤ rhs`. Allocation, the greedy baseline and the
explanations use the same limits, so a household the allocation puts on a flight fits the cabin's rules
(DESIGN §6: seats, exit rows, mask blocks, wheelchair aisle seats, stretcher zones, distancing units).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.caseload import WHEELCHAIR_AISLE, Household, age_years, departure_date, lap_pairs
from planner.scenario import Flight, Scenario
from planner.seatmaps import SeatMap, isolation_rows, resolve_aircraft


@dataclass(frozen=True)
class CapacityLimit:
    name: str
    reason: str  # reason code when this limit is what keeps a household off the flight
    rhs: int
    escort_usage: int  # what one escort on board uses of this limit


def seat_map_of(scenario: Scenario, flight: Flight) -> SeatMap:
    return resolve_aircraft(flight.aircraft, scenario)


def unusable_seats(scenario: Scenario, flight: Flight) -> set[str]:
    """Seats nobody may take: operator-blocked (type or flight) and the rear isolation rows under COVID-19."""
    sm = seat_map_of(scenario, flight)
    blocked = {s.id for s in sm.seats if s.blocked} | set(flight.blocked_seats)
    if scenario.protocol.covid:
        rows = set(isolation_rows(sm, scenario.protocol.seating.isolation_rows_rear))
        blocked |= {s.id for s in sm.seats if s.row in rows}
    return blocked


def flight_limits(scenario: Scenario, flight: Flight) -> list[CapacityLimit]:
    sm = seat_map_of(scenario, flight)
    unusable = unusable_seats(scenario, flight)
    usable = [s for s in sm.seats if s.id not in unusable]
    stretcher = set(sm.stretcher_zone)
    non_exit = [s for s in usable if not s.exit and s.id not in stretcher]
    armrests = sm.movable_armrests
    wheelchair_seats = [s for s in non_exit if s.aisle and (armrests is None or s.id in armrests)]
    per_block = scenario.protocol.seating.infants_per_mask_block
    usable_ids = {s.id for s in non_exit}
    mask_blocks = sum(1 for blk in sm.mask_blocks if any(sid in usable_ids for sid in blk))
    return [
        CapacityLimit("seats", "capacity.seats", len(usable) - (len(stretcher & {s.id for s in usable})), 1),
        CapacityLimit("non_exit_seats", "seating.no_fit", len(non_exit), 0),
        CapacityLimit("lap_infants", "capacity.infants", mask_blocks * per_block, 0),
        CapacityLimit("wheelchair_aisle_seats", "seating.no_fit", len(wheelchair_seats), 0),
        CapacityLimit("stretcher_zones", "seating.no_fit", 1 if stretcher else 0, 0),
    ]


def household_usage(scenario: Scenario, flight: Flight, household: Household) -> tuple[int, ...]:
    """How much of each of `flight_limits` the household uses, in the same order."""
    on = departure_date(flight, scenario)
    rules = scenario.protocol.seating
    laps = lap_pairs(household, on, scenario)
    seated = [p for p in household.members if p.case_id not in laps]
    has_young = any(age_years(p.date_of_birth, on) < rules.exit_row_min_age for p in household.members)
    barred = sum(1 for p in seated if has_young or p.pregnant or not p.evacuation_capable or p.mobility != "none"
                 or p.unaccompanied_minor or p.fitness == "fit_with_escort" or p.case_id in laps.values())
    wheel = sum(1 for p in seated if p.mobility in WHEELCHAIR_AISLE)
    stretchers = sum(1 for p in seated if p.mobility == "STCR")
    return (len(seated), barred, len(laps), wheel, stretchers)
