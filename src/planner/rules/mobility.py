"""Reduced mobility (docs/rules.md#wheelchair-aisle-seats, docs/rules.md#stretcher-zone).

A WCHC or WCHP passenger sits on an aisle seat with a movable armrest, with an escort who serves them or an adult
of their household in the seat next to them. A stretcher case (STCR) lies in the seat map's stretcher zone, one
case per zone; on a flight carrying one, the zone's other seats stay empty, and a medical escort who serves the
case sits next to the zone. Reason code: `seating.no_fit` (limits `wheelchair_aisle_seats`, `stretcher_zones`).
Violation ids: `mobility.aisle`, `mobility.companion`, `stretcher.zone`, `stretcher.zone_occupied`,
`stretcher.escort`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from planner.model.caseload import WHEELCHAIR_AISLE
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, SeatCheck, SeatContext, across_aisle, next_to, violation
from planner.rules.seats import free_seats, unusable_seats, usable_zone
from planner.seating.seatmaps import Seat, SeatMap

REASON = "seating.no_fit"


def wheelchair_seat(seat: Seat) -> bool:
    """A seat a WCHC/WCHP passenger may take: on the aisle, with a movable armrest."""
    return seat.aisle and seat.armrest


def wheelchair_seats(seats: Collection[Seat], zone: Collection[str]) -> int:
    """Non-exit wheelchair seats outside the stretcher zone: the allocation's `wheelchair_aisle_seats` limit."""
    return sum(1 for s in seats if not s.exit and wheelchair_seat(s) and s.id not in zone)


def stretcher_adjacent(seat: Seat, zone: set[str], seat_map: SeatMap) -> bool:
    """A seat outside the stretcher zone touching it: next to, across the aisle, or directly ahead/behind."""
    if seat.id in zone:
        return False
    for z in zone:
        other = seat_map.by_id().get(z)
        if other is None:
            continue
        if next_to(seat, other) or (seat.row_index == other.row_index and across_aisle(seat, other, seat_map.layout)):
            return True
        if abs(seat.row_index - other.row_index) == 1 and seat.column == other.column:
            return True
    return False


def check_mobility_counts(ctx: Context) -> Iterator[Violation]:
    """Before seating: enough wheelchair seats, and a usable stretcher zone for at most one stretcher case."""
    for fp, flight, sm, free in free_seats(ctx):
        laps = {pa.person_id for pa in fp.passengers if pa.lap_of}
        seated = [p for p in ctx.on_board(fp) if p.case_id not in laps]
        wheel = sum(1 for p in seated if p.mobility in WHEELCHAIR_AISLE)
        aisle = wheelchair_seats(free, ())
        if wheel > aisle:
            yield violation("mobility.aisle", f"wheelchair seats: {wheel} WCHC/WCHP passengers, {aisle} non-exit "
                                              "aisle seats with a movable armrest", fp.flight_id)
        cases = sum(1 for p in seated if p.mobility == "STCR")
        zones = 1 if usable_zone(sm, unusable_seats(sm, ctx.scenario, flight)) else 0
        if cases > zones:
            yield violation("stretcher.zone", f"stretcher zones: {cases} stretcher cases, {zones} usable zone",
                            fp.flight_id)


def _aisle(ctx: SeatContext) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        occ = ctx.facts.occupants[pid]
        if occ.wheelchair and not wheelchair_seat(seat):
            yield ctx.v("mobility.aisle", f"{occ.mobility} passenger in seat {seat.id}, which is not an aisle seat"
                        + (" with a movable armrest" if seat.aisle else ""), pid)


def _companion(ctx: SeatContext) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        occ = ctx.facts.occupants[pid]
        if not occ.wheelchair:
            continue
        near = [c.id for c in ctx.facts.companions(occ) if c.id in ctx.seat_of]
        if not any(next_to(seat, ctx.seat_of[c]) for c in near):
            yield ctx.v("mobility.companion", f"{occ.mobility} passenger with neither their escort nor a household "
                                              "adult in the seat next to them", pid)


def _stretcher_zone(ctx: SeatContext) -> Iterator[Violation]:
    zone = set(ctx.facts.seat_map.stretcher_zone)
    cases = [pid for pid, _s in sorted(ctx.seat_of.items()) if ctx.facts.occupants[pid].stretcher]
    for pid in cases:
        if not zone:
            yield ctx.v("stretcher.zone", f"stretcher case but {ctx.facts.seat_map.type} has no stretcher zone", pid)
        elif ctx.seat_of[pid].id not in zone:
            yield ctx.v("stretcher.zone", f"stretcher case in seat {ctx.seat_of[pid].id}, outside the stretcher zone",
                        pid)
    in_zone = [pid for pid in cases if ctx.seat_of[pid].id in zone]
    for pid in in_zone[1:]:
        yield ctx.v("stretcher.zone", "a second stretcher case in the same zone (one case per zone)", pid)


def _zone_occupied(ctx: SeatContext) -> Iterator[Violation]:
    if not ctx.facts.carries_stretcher:
        return
    zone = set(ctx.facts.seat_map.stretcher_zone)
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in zone and not ctx.facts.occupants[pid].stretcher:
            yield ctx.v("stretcher.zone_occupied",
                        f"seat {seat.id} is in the stretcher zone, blocked on a flight carrying a stretcher case", pid)


def _stretcher_escort(ctx: SeatContext) -> Iterator[Violation]:
    zone = set(ctx.facts.seat_map.stretcher_zone)
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if not occ.stretcher or pid not in ctx.seat_of:
            continue
        medics = [e for e in occ.escorts if ctx.facts.occupants[e].role == "medical" and e in ctx.seat_of]
        if not any(stretcher_adjacent(ctx.seat_of[e], zone, ctx.facts.seat_map) for e in medics):
            yield ctx.v("stretcher.escort", "no medical escort serving this stretcher case sits next to the zone"
                        + ("" if medics else " (none serves them on this flight)"), pid)


CHECKS = (PlanCheck(("mobility.aisle", "stretcher.zone"), check_mobility_counts),)
SEAT_CHECKS = (SeatCheck("mobility.aisle", _aisle), SeatCheck("mobility.companion", _companion),
               SeatCheck("stretcher.zone", _stretcher_zone), SeatCheck("stretcher.zone_occupied", _zone_occupied),
               SeatCheck("stretcher.escort", _stretcher_escort))
