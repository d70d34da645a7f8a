"""Plan the vehicle trips of a plan (docs/transfers.md).

Flights are served in departure order, and at each flight the farthest locations first; at a location the
households are packed into trips first-fit by decreasing size, households of one `travel_group` together,
each trip on the vehicle that can reach the location in time with the fewest seats that still take everyone
left (the largest otherwise). A trip arrives at the airport as late as check-in and the vehicle's duty allow;
when no vehicle is left, one already bringing people from there runs again earlier (arriving one drive there
and back before its first run, within the wait). A vehicle starts each day at its base at the start of its
duty and stays at the airport after a trip. A household no trip can take is cut from its flight with reason
`transfer.none`; the pipeline then offers the freed seats to others, as it does for seating cuts.

This is a greedy schedule, not an optimum: it is exact about the hard rules (`planner.rules.transfers`
checks every trip) and simple enough to explain line by line to a transport officer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.model.caseload import Household, households
from planner.model.ground import Vehicle, minutes_between
from planner.model.plan import FlightPlan, Plan, Reason, Transfer
from planner.model.reasons import reason
from planner.model.scenario import Flight, Scenario
from planner.rules.transfers import check_in_opens, duty_day, duty_window, needs_transfer


@dataclass
class _Where:
    """A vehicle's position and the time it is free there, on one local day."""

    day: date
    place: str
    free: datetime


@dataclass
class TransferSchedule:
    """The trips, and the households no trip could take: household id -> (flight id, why in words)."""

    trips: list[Transfer] = field(default_factory=list)
    cut: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class _Planner:
    scenario: Scenario
    table: dict[frozenset[str], int]
    tz: ZoneInfo
    where: dict[tuple[str, date], _Where] = field(default_factory=dict)
    out: TransferSchedule = field(default_factory=TransferSchedule)

    def __post_init__(self) -> None:
        self.by_seats = sorted(self.scenario.vehicles, key=lambda v: (v.seats, v.id))

    def _state(self, vehicle: Vehicle, day: date) -> _Where:
        state = self.where.get((vehicle.id, day))
        if state is None:
            start, _end = duty_window(vehicle, day, self.tz)
            state = self.where[(vehicle.id, day)] = _Where(day, vehicle.base, start)
        return state

    def _slot(self, vehicle: Vehicle, location: str, airport: str, opens: datetime) -> tuple[datetime, datetime] | None:
        """(departure from the location, arrival at the airport) of the latest trip this vehicle can make, or
        None. Tried on the local day the trip would leave."""
        drive = minutes_between(self.table, location, airport)
        if drive is None:
            return None
        earliest = opens - timedelta(minutes=self.scenario.transfer_wait_minutes)
        arrive = opens
        for _ in range(2):  # the day of the latest departure; once more if the duty ends earlier that day
            depart = arrive - timedelta(minutes=drive)
            day = duty_day(vehicle, depart, self.tz)
            state = self._state(vehicle, day)
            _start, end = duty_window(vehicle, day, self.tz)
            if arrive > end:
                arrive = end
                continue
            reach = minutes_between(self.table, state.place, location)
            if reach is None or arrive < earliest:
                return None
            if state.free + timedelta(minutes=reach) <= depart:
                return depart, arrive
            return None
        return None

    def _shuttle(self, vehicle: Vehicle, location: str, airport: str, opens: datetime, before: _Where,
                 first_arrival: datetime) -> tuple[datetime, datetime] | None:
        """An earlier trip of a vehicle already bringing people from `location` to this flight: it arrives one
        drive there and back before the vehicle's first trip here, if the wait allows and the vehicle was free
        (in `before`, its state before these trips) to reach the location in time."""
        drive = minutes_between(self.table, location, airport)
        reach = minutes_between(self.table, before.place, location)
        if drive is None or reach is None:
            return None
        arrive = first_arrival - timedelta(minutes=2 * drive)
        depart = arrive - timedelta(minutes=drive)
        start, _end = duty_window(vehicle, before.day, self.tz)
        if arrive < opens - timedelta(minutes=self.scenario.transfer_wait_minutes) or depart < start \
                or before.free + timedelta(minutes=reach) > depart:
            return None
        return depart, arrive

    def _vehicle_for(self, location: str, airport: str, opens: datetime, people: int,
                     shuttles: dict[str, tuple[_Where, datetime]]) -> tuple[Vehicle, datetime, datetime] | None:
        """The vehicle for the next trip: the fewest seats that take everyone left, else the most; a fresh
        trip (as late as possible) before another run of a vehicle already shuttling for this flight. Vehicles
        are tried in that order and the first that can make the trip is taken: trying every vehicle for every
        trip grew as trips × vehicles (20 s at 100,000 people)."""
        order = [v for v in self.by_seats if v.seats >= people] + \
            [v for v in reversed(self.by_seats) if v.seats < people]
        for v in order:
            if v.id not in shuttles:
                slot = self._slot(v, location, airport, opens)
                if slot is not None:
                    return v, *slot
        for v in order:
            if v.id in shuttles:
                slot = self._shuttle(v, location, airport, opens, *shuttles[v.id])
                if slot is not None:
                    return v, *slot
        return None

    def serve(self, flight: Flight, location: str, waiting: list[Household]) -> None:
        opens = check_in_opens(flight)
        left = sorted(waiting, key=lambda h: (h.members[0].travel_group == "", h.members[0].travel_group,
                                              -h.size, h.id))
        largest = max(v.seats for v in self.scenario.vehicles)
        for h in [h for h in left if h.size > largest]:
            self.out.cut[h.id] = (flight.id, f" (a household of {h.size} is larger than any vehicle)")
            left.remove(h)
        shuttles: dict[str, tuple[_Where, datetime]] = {}  # vehicle -> (its state before, its first arrival)
        while left:
            chosen = self._vehicle_for(location, flight.origin, opens, sum(h.size for h in left), shuttles)
            if chosen is None:
                for h in left:
                    self.out.cut[h.id] = (flight.id, f" (no vehicle can bring them from {location} to "
                                                     f"{flight.origin} before check-in opens at "
                                                     f"{opens.astimezone(self.tz):%d %b %H:%M})")
                return
            vehicle, depart, arrive = chosen
            aboard, free = [], vehicle.seats
            for h in list(left):
                if h.size <= free:
                    aboard.append(h)
                    free -= h.size
                    left.remove(h)
            self.out.trips.append(Transfer(
                vehicle_id=vehicle.id, flight_id=flight.id, location=location, airport=flight.origin,
                depart=depart, arrive=arrive, households=[h.id for h in aboard],
                people=sum(h.size for h in aboard)))
            if vehicle.id in shuttles:
                shuttles[vehicle.id] = (shuttles[vehicle.id][0], arrive)  # an earlier run: the end state stays
            else:
                day = duty_day(vehicle, depart, self.tz)
                shuttles[vehicle.id] = (self._state(vehicle, day), arrive)
                self.where[(vehicle.id, day)] = _Where(day, flight.origin, arrive)


def plan_transfers(scenario: Scenario, plan: Plan) -> TransferSchedule:
    """The trips for every household on a flight that needs transfers, and the households none can take."""
    if not scenario.vehicles:
        return TransferSchedule()
    planner = _Planner(scenario, scenario.travel_table(), ZoneInfo(scenario.timezone))
    flights = {f.id: f for f in scenario.flights}
    household_of = {p.case_id: h for h in households(scenario) for p in h.members}
    todo: list[tuple[Flight, FlightPlan]] = sorted(
        ((flights[fp.flight_id], fp) for fp in plan.flights if fp.flight_id in flights
         and needs_transfer(scenario, flights[fp.flight_id], fp.locked)), key=lambda x: (x[0].departure, x[0].id))
    for flight, fp in todo:
        at: dict[str, dict[str, Household]] = defaultdict(dict)
        for pa in fp.passengers:
            h = household_of.get(pa.person_id)
            if h is None:
                continue
            places = {m.location for m in h.members}
            if len(places) > 1:
                planner.out.cut[h.id] = (flight.id, " (members are at different locations: "
                                                    f"{', '.join(sorted(places))})")
                continue
            at[h.members[0].location][h.id] = h
        far_first = sorted(at, key=lambda loc: (-(minutes_between(planner.table, loc, flight.origin) or 0), loc))
        for location in far_first:
            planner.serve(flight, location, list(at[location].values()))
    return planner.out


def without_cut(plan: Plan, schedule: TransferSchedule, scenario: Scenario) -> Plan:
    """The plan with its trips, and without the households no trip could take (their seats, samples and the
    escorts' duty for them freed)."""
    gone = {p.case_id for h in households(scenario) if h.id in schedule.cut for p in h.members}
    flights = []
    for fp in plan.flights:
        if not gone.intersection(pa.person_id for pa in fp.passengers):
            flights.append(fp)
            continue
        flights.append(fp.model_copy(update={
            "passengers": [pa for pa in fp.passengers if pa.person_id not in gone],
            "escorts": [e.model_copy(update={"serves": [s for s in e.serves if s not in gone]}) for e in fp.escorts],
            "provisional": [p for p in fp.provisional if p not in gone]}))
    return plan.model_copy(update={"flights": flights, "transfers": schedule.trips,
                                   "tests": [b for b in plan.tests if b.person_id not in gone]})


def transfer_stage(scenario: Scenario, plan: Plan) -> tuple[Plan, dict[str, Reason]]:
    """The pipeline's transfer stage: the plan with its trips and without the households no trip could take,
    and the reason (`transfer.none`, for that flight) for each of those households."""
    if not scenario.vehicles:
        return plan, {}
    schedule = plan_transfers(scenario, plan)
    return without_cut(plan, schedule, scenario), cut_reasons(schedule)


def cut_reasons(schedule: TransferSchedule) -> dict[str, Reason]:
    """household -> why no trip could take it (`transfer.none`, for its flight)."""
    return {hid: reason("transfer.none", fid, detail=words) for hid, (fid, words) in schedule.cut.items()}
