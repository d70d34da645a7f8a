"""Time and re-planning (docs/rules.md#departed-flights-locked, docs/rules.md#re-plan-stability).

A flight that departed before `as_of` is locked and takes nobody new; in a re-plan, a household kept on its
flight keeps its seats. Reason code: `capacity.seats` ("flight locked"). Violation ids: `departed_flight`,
`seats_kept`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from planner.model.caseload import Household
from planner.model.plan import FlightPlan, Passenger
from planner.model.scenario import Flight
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.exits import exit_barred
from planner.rules.seats import unusable_seats
from planner.seating.seatmaps import Seat, resolve_aircraft

REASON = "capacity.seats"


def check_departed_flights(ctx: Context) -> Iterator[Violation]:
    """Nobody may be newly planned on a flight that left before `as_of`.

    A re-plan copies departed flights from the previous plan unchanged and marks them locked, so a departed
    flight is acceptable only when locked. With `previous` known, every passenger and escort of a departed
    flight must also have been on that flight in the previous plan. Limit: without `previous` the validator
    cannot tell a carried-over departed flight from one edited after departure and marked locked.
    """
    old = {fp.flight_id: fp for fp in ctx.previous.flights} if ctx.previous is not None else None
    for fp, flight in ctx.known_flights():
        if not ctx.departed(flight):
            continue
        if not fp.locked:
            yield violation("departed_flight", f"departed {flight.departure:%Y-%m-%d %H:%M} (before as_of "
                                               f"{ctx.scenario.as_of:%Y-%m-%d %H:%M}) but not locked", fp.flight_id)
        if old is None:
            continue
        before = old.get(fp.flight_id)
        people = {pa.person_id for pa in before.passengers} if before else set()
        escorts = {e.escort_id for e in before.escorts} if before else set()
        for pa in fp.passengers:
            if pa.person_id not in people:
                yield violation("departed_flight", "newly planned on a flight that departed before as_of",
                                fp.flight_id, pa.person_id)
        for e in fp.escorts:
            if e.escort_id not in escorts:
                yield violation("departed_flight", f"escort {e.escort_id} newly planned on a flight that departed "
                                                   "before as_of", fp.flight_id)


def _served(fp: FlightPlan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for e in fp.escorts:
        for pid in e.serves:
            out[pid].add(e.escort_id)
    return out


@dataclass
class _Pair:
    """One flight in the previous and the current plan, indexed once."""

    was: dict[str, Passenger]
    now: dict[str, Passenger]
    served_then: dict[str, set[str]]
    served_now: dict[str, set[str]]
    carriers: set[str]
    usable: dict[str, Seat]
    on: date


def _released(ctx: Context, hh: Household, pair: _Pair) -> bool:
    """Whether a household's seats may change: it was not kept (joined, left or moved), its pairings changed
    (a lap infant carried differently, another escort serving a member), or an old seat can no longer be given
    to them (gone, blocked, or an exit seat they may no longer take)."""
    members = hh.member_ids
    if not all(m in pair.was and m in pair.now for m in members):
        return True
    if any(pair.was[m].lap_of != pair.now[m].lap_of or pair.served_then[m] != pair.served_now[m] for m in members):
        return True
    rules = ctx.scenario.protocol.seating
    for p in hh.members:
        seat = pair.was[p.case_id].seat
        if seat and (seat not in pair.usable or (
                pair.usable[seat].exit and exit_barred(p, hh, pair.on, rules, p.case_id in pair.carriers))):
            return True
    return False


def _moved(ctx: Context, then: FlightPlan, now: FlightPlan, flight: Flight) -> Iterator[Violation]:
    try:
        sm = resolve_aircraft(flight.aircraft, ctx.scenario)
    except Exception:
        return  # reported by seat_capacity
    unusable = unusable_seats(sm, ctx.scenario, flight)
    pair = _Pair({pa.person_id: pa for pa in then.passengers}, {pa.person_id: pa for pa in now.passengers},
                 _served(then), _served(now), {pa.lap_of for pa in now.passengers if pa.lap_of is not None},
                 {s.id: s for s in sm.seats if s.id not in unusable}, ctx.on(flight))
    done: set[str] = set()
    for pid in sorted(pair.now):
        hh = ctx.household_of.get(pid)
        if hh is None or hh.id in done:
            continue
        done.add(hh.id)
        if _released(ctx, hh, pair):
            continue
        for m in hh.member_ids:
            a, b = pair.was[m].seat, pair.now[m].seat
            if a is not None and b is not None and a != b:
                yield violation("seats_kept", f"kept on the flight but moved from seat {a} to {b} (a re-plan "
                                              "seats newcomers around kept passengers)", now.flight_id, m)


def check_seats_kept(ctx: Context) -> Iterator[Violation]:
    """In a re-plan, a household kept on its flight keeps its seats: newcomers are seated around kept passengers,
    never the other way round. Needs `previous`; a flight unlocked on purpose (locked then, not now) may
    re-seat everyone."""
    if ctx.previous is None:
        return
    old = {fp.flight_id: fp for fp in ctx.previous.flights}
    for fp, flight in ctx.known_flights():
        before = old.get(fp.flight_id)
        if before is None or (before.locked and not fp.locked and not ctx.departed(flight)):
            continue
        yield from _moved(ctx, before, fp, flight)


CHECKS = (PlanCheck(("departed_flight",), check_departed_flights), PlanCheck(("seats_kept",), check_seats_kept))
SEAT_CHECKS = ()
