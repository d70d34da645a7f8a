"""Cabin capacity (docs/rules.md#seat-capacity): which seats may be given, and how many people a cabin holds.

A seat is *usable* when the operator has not blocked it (in the aircraft type or on the flight) and it is not in
a rear isolation row (`planner.rules.isolation_rows`). Seated passengers + escorts + unusable seats + the rest of
the stretcher zone on a flight carrying a stretcher case ≤ the seat map's seats; once seating ran, everyone
seated has exactly one existing, usable seat of their own. Reason code: `capacity.seats`. Violation ids:
`seat_capacity`, `seat.missing`, `seat.unknown`, `seat.double`, `seat.blocked`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from planner.model.plan import FlightPlan
from planner.model.scenario import Flight, Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, SeatCheck, SeatContext, violation
from planner.rules.isolation_rows import isolation_seats, rear_rows
from planner.seating.seatmaps import Seat, SeatMap, resolve_aircraft

REASON = "capacity.seats"


def operator_blocked(seat_map: SeatMap, flight_blocked: Collection[str]) -> frozenset[str]:
    """Seats the operator blocked, in the aircraft type or on the flight."""
    ids = {s.id for s in seat_map.seats}
    return frozenset({s.id for s in seat_map.seats if s.blocked} | (set(flight_blocked) & ids))


def unusable_seats(seat_map: SeatMap, scenario: Scenario, flight: Flight) -> frozenset[str]:
    """Seats nobody may take on this flight: operator-blocked and the rear isolation rows."""
    return operator_blocked(seat_map, flight.blocked_seats) | isolation_seats(seat_map, rear_rows(scenario))


def usable_zone(seat_map: SeatMap, unusable: Collection[str]) -> frozenset[str]:
    """The usable seats of the stretcher zone."""
    return frozenset(set(seat_map.stretcher_zone) - set(unusable))


def zone_extra(seat_map: SeatMap, unusable: Collection[str]) -> int:
    """Seats a stretcher case blocks beyond its own: the rest of the usable stretcher zone."""
    return max(0, len(usable_zone(seat_map, unusable)) - 1)


def seated_count(fp: FlightPlan) -> int:
    """Passengers who take a seat (lap infants do not)."""
    return sum(1 for pa in fp.passengers if pa.lap_of is None)


def _carries_stretcher(ctx: Context, fp: FlightPlan) -> bool:
    return any(p.mobility == "STCR" for p in ctx.on_board(fp))


def free_seats(ctx: Context) -> Iterator[tuple[FlightPlan, Flight, SeatMap, list[Seat]]]:
    """Each flight not yet seated, with the seats its passengers may be given: usable, and outside the stretcher
    zone when a stretcher case is on board. Flights of unknown aircraft are left to `seat_capacity`."""
    for fp, flight in ctx.known_flights():
        if any(pa.seat for pa in fp.passengers):
            continue
        try:
            sm = resolve_aircraft(flight.aircraft, ctx.scenario)
        except Exception:
            continue
        unusable = unusable_seats(sm, ctx.scenario, flight)
        zone = usable_zone(sm, unusable) if _carries_stretcher(ctx, fp) else frozenset()
        yield fp, flight, sm, [s for s in sm.seats if s.id not in unusable and s.id not in zone]


def check_seat_capacity(ctx: Context) -> Iterator[Violation]:
    """Seated passengers + escorts + blocked seats ≤ the seat map's seats."""
    for fp, flight in ctx.known_flights():
        try:
            sm = resolve_aircraft(flight.aircraft, ctx.scenario)
        except Exception:
            yield violation("seat_capacity", f"unknown aircraft {flight.aircraft}", fp.flight_id)
            continue
        unusable = unusable_seats(sm, ctx.scenario, flight)
        # a stretcher case lies in the zone: its own seat is counted as seated, the rest of the zone as blocked
        blocked = len(unusable) + (zone_extra(sm, unusable) if _carries_stretcher(ctx, fp) else 0)
        used = seated_count(fp) + len(fp.escorts) + blocked
        if used > sm.seat_count:
            yield violation("seat_capacity", f"{seated_count(fp)} seated + {len(fp.escorts)} escorts + {blocked} "
                                             f"blocked = {used} > {sm.seat_count} seats", fp.flight_id)


# ---------------------------------------------------------------- seat by seat


def raw_seats(fp: FlightPlan) -> list[tuple[str, str | None]]:
    """(occupant, seat) of everyone who takes a seat on a flight, as the plan gives them."""
    out: list[tuple[str, str | None]] = [(p.person_id, p.seat) for p in fp.passengers if p.lap_of is None]
    return out + [(e.escort_id, e.seat) for e in fp.escorts]


def _missing(ctx: SeatContext) -> Iterator[Violation]:
    """Checked on flights with any seat set, and on every flight once the seating stage ran."""
    for pid, seat in raw_seats(ctx.plan):
        if seat is None:
            yield ctx.v("seat.missing", "has no seat on a flight that has been seated", pid)


def _unknown(ctx: SeatContext) -> Iterator[Violation]:
    for pid, seat in raw_seats(ctx.plan):
        if seat is not None and seat not in ctx.facts.seat_map.by_id():
            yield ctx.v("seat.unknown", f"seat {seat} does not exist on {ctx.facts.seat_map.type}", pid)


def _double(ctx: SeatContext) -> Iterator[Violation]:
    holders: dict[str, list[str]] = {}
    for pid, seat in raw_seats(ctx.plan):
        if seat is not None:
            holders.setdefault(seat, []).append(pid)
    for seat, ids in sorted(holders.items()):
        if len(ids) > 1:
            yield ctx.v("seat.double", f"seat {seat} is given to {len(ids)} people: {', '.join(sorted(ids))}",
                        sorted(ids)[1])


def _blocked(ctx: SeatContext) -> Iterator[Violation]:
    blocked = ctx.facts.unusable - ctx.facts.isolation
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in blocked:
            yield ctx.v("seat.blocked", f"seat {seat.id} is blocked by the operator", pid)


CHECKS = (PlanCheck(("seat_capacity",), check_seat_capacity),)
SEAT_CHECKS = (SeatCheck("seat.missing", _missing), SeatCheck("seat.unknown", _unknown),
               SeatCheck("seat.double", _double), SeatCheck("seat.blocked", _blocked))
