"""Ground transfers (docs/transfers.md): when the scenario lists vehicles, every household on a flight rides one
vehicle trip from its location to the flight's airport, arriving before check-in opens.

Parameters: the scenario's `vehicles`, `travel_minutes` and `transfer_wait_minutes`; each flight's
`check_in_minutes`. Reason: `transfer.none` (given by `planner.transfers.schedule` when no trip can be
planned). Violation ids: `transfer_capacity` (a trip carries no more people than its vehicle has seats, and
the people it says), `transfer_household` (a household rides one trip, from its own location, to its own
flight), `transfer_missing` (every household on a flight that has not left and is not locked rides a trip),
`transfer_timing` (the trip's driving time, arrival before check-in opens and within the wait, the vehicle's
duty window, and a vehicle's trips one after the other with the drive between them).

The checks recompute everything from the scenario and the plan's own `transfers`; they share only the small
definitions below with the scheduler.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.model.caseload import Household
from planner.model.ground import Vehicle, minutes_between
from planner.model.plan import Transfer
from planner.model.scenario import Flight, Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation


def check_in_opens(flight: Flight) -> datetime:
    """When check-in opens: the latest a transfer may arrive."""
    return flight.departure - timedelta(minutes=flight.check_in_minutes)


def duty_window(vehicle: Vehicle, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The vehicle's duty that starts on a local day: from `duty_from` for `duty_hours` (it may run past
    midnight, as a coach with two drivers does)."""
    start = datetime.combine(day, vehicle.duty_from, tzinfo=tz)
    return start, start + timedelta(hours=vehicle.duty_hours)


def duty_day(vehicle: Vehicle, moment: datetime, tz: ZoneInfo) -> date:
    """The local day whose duty a trip leaving at `moment` belongs to: the last duty started by then."""
    local = moment.astimezone(tz)
    return (local - timedelta(hours=vehicle.duty_from.hour, minutes=vehicle.duty_from.minute)).date()


def needs_transfer(scenario: Scenario, flight: Flight, locked: bool) -> bool:
    """Transfers are planned for flights that have not left and are not locked, when vehicles are listed."""
    return bool(scenario.vehicles) and not locked and flight.departure >= scenario.as_of


def _households_by_id(ctx: Context) -> dict[str, Household]:
    return {h.id: h for h in ctx.household_of.values()}


def check_capacity(ctx: Context) -> Iterator[Violation]:
    """A trip carries at most its vehicle's seats, and exactly the people of its households."""
    vehicles = {v.id: v for v in ctx.scenario.vehicles}
    by_id = _households_by_id(ctx)
    for t in ctx.plan.transfers:
        vehicle = vehicles.get(t.vehicle_id)
        if vehicle is None:
            yield violation("transfer_capacity", f"unknown vehicle {t.vehicle_id}", t.flight_id)
            continue
        aboard = sum(by_id[h].size for h in t.households if h in by_id)
        if aboard != t.people:
            yield violation("transfer_capacity", f"trip of {t.vehicle_id} says {t.people} people, its households "
                                                 f"have {aboard}", t.flight_id)
        if aboard > vehicle.seats:
            yield violation("transfer_capacity", f"{aboard} people on {t.vehicle_id} with {vehicle.seats} seats",
                            t.flight_id)


def check_households(ctx: Context) -> Iterator[Violation]:
    """A household rides one trip, from its members' location, to the flight all its members are on."""
    rides = Counter((h, t.flight_id) for t in ctx.plan.transfers for h in t.households)
    for (hid, fid), n in sorted(rides.items()):
        if n > 1:
            yield violation("transfer_household", f"household {hid} rides {n} trips", fid)
    by_id = _households_by_id(ctx)
    for t in ctx.plan.transfers:
        for hid in t.households:
            if hid not in by_id:
                yield violation("transfer_household", f"unknown household {hid}", t.flight_id)
                continue
            for p in by_id[hid].members:
                if ctx.flight_of.get(p.case_id) != t.flight_id:
                    yield violation("transfer_household", f"rides to {t.flight_id} but is not on it", t.flight_id,
                                    p.case_id)
                if p.location != t.location:
                    yield violation("transfer_household", f"is at {p.location}, the trip leaves {t.location}",
                                    t.flight_id, p.case_id)


def check_missing(ctx: Context) -> Iterator[Violation]:
    """Every household on a flight that needs transfers rides a trip to it."""
    if not ctx.scenario.vehicles:
        return
    riding = {(h, t.flight_id) for t in ctx.plan.transfers for h in t.households}
    for fp, flight in ctx.known_flights():
        if not needs_transfer(ctx.scenario, flight, fp.locked):
            continue
        for hid in sorted({ctx.household_of[p.case_id].id for p in ctx.on_board(fp)}):
            if (hid, fp.flight_id) not in riding:
                yield violation("transfer_missing", f"household {hid} has no transfer to the airport", fp.flight_id)


def _timing_of_trip(ctx: Context, t: Transfer, table: dict[frozenset[str], int]) -> Iterator[Violation]:
    flight = ctx.flights.get(t.flight_id)
    if flight is None:
        yield violation("transfer_timing", f"trip to unknown flight {t.flight_id}")
        return
    if t.airport != flight.origin:
        yield violation("transfer_timing", f"trip goes to {t.airport}, the flight leaves {flight.origin}", t.flight_id)
    drive = minutes_between(table, t.location, t.airport)
    if drive is None or t.arrive - t.depart < timedelta(minutes=drive):
        yield violation("transfer_timing", f"{t.vehicle_id} from {t.location} to {t.airport} in "
                                           f"{(t.arrive - t.depart).total_seconds() / 60:.0f} min, the drive is "
                                           f"{drive if drive is not None else 'unknown'}", t.flight_id)
    opens = check_in_opens(flight)
    if t.arrive > opens:
        yield violation("transfer_timing", f"{t.vehicle_id} arrives {t.arrive:%H:%M}, after check-in opens at "
                                           f"{opens:%H:%M}", t.flight_id)
    if t.arrive < opens - timedelta(minutes=ctx.scenario.transfer_wait_minutes):
        yield violation("transfer_timing", f"{t.vehicle_id} arrives more than {ctx.scenario.transfer_wait_minutes} "
                                           "min before check-in opens", t.flight_id)


def check_timing(ctx: Context) -> Iterator[Violation]:
    """Each trip is drivable and on time; a vehicle's trips of a day fit its duty, one after the other."""
    table = ctx.scenario.travel_table()
    tz = ZoneInfo(ctx.scenario.timezone)
    vehicles = {v.id: v for v in ctx.scenario.vehicles}
    by_vehicle_day: dict[tuple[str, date], list[Transfer]] = defaultdict(list)
    for t in ctx.plan.transfers:
        yield from _timing_of_trip(ctx, t, table)
        vehicle = vehicles.get(t.vehicle_id)
        if vehicle is not None:
            by_vehicle_day[(t.vehicle_id, duty_day(vehicle, t.depart, tz))].append(t)
    for (vid, day), trips in sorted(by_vehicle_day.items()):
        vehicle = vehicles[vid]
        start, end = duty_window(vehicle, day, tz)
        position, free = vehicle.base, start
        for t in sorted(trips, key=lambda t: t.depart):
            reach = minutes_between(table, position, t.location)
            if reach is None or free + timedelta(minutes=reach) > t.depart:
                yield violation("transfer_timing", f"{vid} cannot be at {t.location} by {t.depart:%H:%M} "
                                                   f"(free at {position} from {free:%H:%M})", t.flight_id)
            if t.arrive > end:
                yield violation("transfer_timing", f"{vid} arrives {t.arrive:%H:%M}, after its duty ends at "
                                                   f"{end:%H:%M}", t.flight_id)
            position, free = t.airport, max(free, t.arrive)


CHECKS = (PlanCheck(("transfer_capacity",), check_capacity), PlanCheck(("transfer_household",), check_households),
          PlanCheck(("transfer_missing",), check_missing), PlanCheck(("transfer_timing",), check_timing))
SEAT_CHECKS = ()
