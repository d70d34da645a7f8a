"""Cabin zones (docs/seating.md#cabin-zones): passengers per zone within the aircraft's limit, and the balance index.

An aircraft type's `zones` (declared in `planner.model.baggage`) are blocks of rows. A zone's `max_passengers`,
where set, is a hard limit on the people seated in it (passengers and escorts; lap infants sit on a lap and are
not counted); the balance index of a flight, Σ over zones of seated people × `index_per_passenger`, is kept close
to zero by a level-4 objective term (`planner.oracle.objective`). Reason code: `seating.no_fit` (the allocation's
`seats` limit counts only the seats the zones let be filled). Violation id: `zone.max_passengers`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator

from planner.model.baggage import CabinZone
from planner.model.scenario import AircraftType
from planner.model.violations import Violation
from planner.rules.base import SeatCheck, SeatContext
from planner.seating.seatmaps import Seat, aircraft_spec

REASON = "seating.no_fit"
#: The balance index is scored in tenths of an index unit, so the level-4 term is an integer.
INDEX_SCALE = 10


def zone_of(zones: Iterable[CabinZone], row: int) -> CabinZone | None:
    """The zone a seat row is in (the first listed zone that holds it), or None."""
    return next((z for z in zones if z.first_row <= row <= z.last_row), None)


def seat_zones(spec: AircraftType, seats: Iterable[Seat]) -> dict[str, str]:
    """Seat id -> zone id, for the seats inside a zone."""
    out = {}
    for s in seats:
        z = zone_of(spec.zones, s.row)
        if z is not None:
            out[s.id] = z.id
    return out


def zone_limits(spec: AircraftType) -> dict[str, int]:
    """Zone id -> its passenger limit, for the zones that have one."""
    return {z.id: z.max_passengers for z in spec.zones if z.max_passengers is not None}


def index_tenths(spec: AircraftType) -> dict[str, int]:
    """Zone id -> the balance index of one seated person, in tenths (0-valued zones left out)."""
    out = {z.id: round(z.index_per_passenger * INDEX_SCALE) for z in spec.zones}
    return {k: v for k, v in out.items() if v}


def balance_tenths(spec: AircraftType, seats: Iterable[Seat]) -> int:
    """|Σ people × index per passenger| over the zones, in tenths of an index unit: the level-4 balance term."""
    zone = seat_zones(spec, seats) if spec.zones else {}
    tenths = index_tenths(spec)
    return abs(sum(tenths.get(zone.get(s.id, ""), 0) for s in seats))


def fillable_seats(spec: AircraftType, usable: Collection[Seat]) -> int:
    """How many of the usable seats can be filled at once: a zone's limit caps the seats counted in it."""
    zone = seat_zones(spec, usable)
    limits = zone_limits(spec)
    per_zone = Counter(zone.values())
    capped = sum(min(n, limits.get(z, n)) for z, n in per_zone.items())
    return capped + sum(1 for s in usable if s.id not in zone)


def _max_passengers(ctx: SeatContext) -> Iterator[Violation]:
    """Each zone with a limit holds at most `max_passengers` seated people."""
    spec = aircraft_spec(ctx.facts.flight.aircraft, ctx.scenario)
    if not zone_limits(spec):
        return
    zone = seat_zones(spec, ctx.seat_of.values())
    limits = zone_limits(spec)
    people: dict[str, list[str]] = {}
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in zone:
            people.setdefault(zone[seat.id], []).append(pid)
    for z, ids in sorted(people.items()):
        if z in limits and len(ids) > limits[z]:
            yield ctx.v("zone.max_passengers", f"cabin zone {z} holds {len(ids)} seated people, more than its "
                                               f"limit of {limits[z]}", ids[-1])


CHECKS = ()
SEAT_CHECKS = (SeatCheck("zone.max_passengers", _max_passengers),)
