"""The allocation problem, precomputed once: which household may take which flight, what it would use there,
which escorts can fly when, and the test windows that compete for slots.

Both allocation engines (the CP-SAT model and the priority-greedy baseline) read this, so they keep exactly
the same rules; explanations and the validator recompute facts independently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from planner.allocation.household_options import HouseholdInfo, OptionBuilder
from planner.model.caseload import departure_date, household_weight, households
from planner.model.plan import Reason, TestBooking
from planner.model.reasons import reason
from planner.model.scenario import Escort, Flight, Scenario, local_date
from planner.rules.capacity import CapacityLimit, flight_limits
from planner.rules.escorts import can_fly, too_close
from planner.rules.gates import serves
from planner.rules.lab_capacity import daily_capacities
from planner.rules.testing_windows import SlotClass, SlotInstance, TestWindow, all_slots, escort_window, slot_classes


@dataclass
class FlightInfo:
    flight: Flight
    day: int  # days after as_of (local), for level 1b
    limits: list[CapacityLimit]
    escort_windows: dict[str, TestWindow | None]  # escort id -> window, for escorts who may fly it


@dataclass
class Fixed:
    """What a re-plan keeps from the previous plan (docs/rules.md#re-plan-stability): households on their flights
    (hard), test
    bookings still valid for them, and flights that take no additions (published or departed)."""

    households: dict[str, str] = field(default_factory=dict)  # household id -> flight id
    # person id -> kept bookings, one per health check still covered (docs/health-checks.md)
    bookings: dict[str, list[TestBooking]] = field(default_factory=dict)
    locked: set[str] = field(default_factory=set)
    escorts_departed: dict[str, list[str]] = field(default_factory=dict)  # escort id -> departed flight ids
    serves: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # flight -> escort -> people served

    def kept_bookings(self) -> list[TestBooking]:
        """Every kept booking, person by person."""
        return [b for kept in self.bookings.values() for b in kept]


@dataclass
class AllocationProblem:
    scenario: Scenario
    flights: list[FlightInfo]
    households: list[HouseholdInfo]
    escorts: list[Escort]
    escort_conflicts: set[tuple[str, str]]  # flight pairs no single escort can both fly
    classes: list[SlotClass]
    daily: dict[tuple[str, date], int]
    no_destination: dict[str, Reason] = field(default_factory=dict)  # household id -> reason
    fixed: Fixed = field(default_factory=Fixed)

    # a re-plan builds a kept household's option for its kept flight only (most households are kept, and their
    # other flights matter only once they are released); `expand` fills in the rest on demand
    pending: dict[str, list[Flight]] = field(default_factory=dict)  # household id -> flights not yet built
    fill: Callable[[HouseholdInfo, list[Flight]], None] | None = None
    windows: set[TestWindow] = field(default_factory=set)  # every window the slot classes were built for
    slots: list[SlotInstance] = field(default_factory=list)

    def flight(self, flight_id: str) -> FlightInfo:
        return self._by_id[flight_id]

    def __post_init__(self) -> None:
        self._by_id = {f.flight.id: f for f in self.flights}
        self._info = {h.household.id: h for h in self.households}
        self._household_of: dict[str, str] | None = None

    def escort_rank(self, flight_of: dict[str, str], flight_id: str) -> Callable[[str], tuple[int, str]]:
        """Sort key for a flight's escorts: in a re-plan, those who served people still on the flight first (so
        the pairing, and with it the kept seats, holds), then by id."""
        served = self.fixed.serves.get(flight_id, {})
        if not served:
            return lambda e: (0, e)
        hh = self._households_of()
        return lambda e: (-sum(1 for p in served.get(e, ()) if flight_of.get(hh.get(p, "")) == flight_id), e)

    def pairings_kept(self, flight_of: dict[str, str], flight_id: str) -> set[str]:
        """Escorts who served, in the previous plan, someone of a household kept on this flight. Kept households
        keep their seats (hard, docs/rules.md#re-plan-stability), and a seat beside one's escort holds only with that
        escort, so
        these stay on the flight even when fewer cases would need fewer escorts."""
        served = self.fixed.serves.get(flight_id, {})
        if not served:
            return set()
        hh = self._households_of()
        kept = self.fixed.households
        return {e for e, people in served.items()
                if any(kept.get(hh.get(p, "")) == flight_id == flight_of.get(hh.get(p, "")) for p in people)}

    def _households_of(self) -> dict[str, str]:
        if self._household_of is None:
            self._household_of = {p.case_id: p.household_id for p in self.scenario.people}
        return self._household_of

    @property
    def pairs(self) -> int:
        """(household, flight serving it) pairs built or waiting to be: what building the problem costs
        (time_budget.measured_pace)."""
        return sum(len(h.options) + len(h.blocked) + len(self.pending.get(h.household.id, ()))
                   for h in self.households)

    @property
    def infos(self) -> dict[str, HouseholdInfo]:
        """Households by id (built once: the stages looked them up by rebuilding this per call)."""
        return self._info

    def expand(self, household_ids: Iterable[str]) -> None:
        """Build the options and reasons a kept household skipped, before it may move or must be explained.

        Options already built (and any an engine removed since, e.g. a seating cut) stay as they are. New test
        windows regroup the slot classes, so the test flow sees every window it may be asked to serve."""
        todo = [h for h in household_ids if h in self.pending]
        if not todo or self.fill is None:
            return
        known = len(self.windows)
        order = {f.flight.id: i for i, f in enumerate(self.flights)}
        for hid in sorted(todo):
            info = self._info[hid]
            self.fill(info, self.pending.pop(hid))
            info.options = dict(sorted(info.options.items(), key=lambda kv: order[kv[0]]))
            info.blocked = dict(sorted(info.blocked.items(), key=lambda kv: order[kv[0]]))
        if len(self.windows) != known:
            self.classes = slot_classes(self.windows, self.slots)


def escort_conflicts(flights: list[Flight], hours: int) -> set[tuple[str, str]]:
    """Pairs of flights too close for one escort: the next departure must come `hours` after the last
    arrival of the previous flight (docs/rules.md#escort-availability-and-turnaround escort turnaround)."""
    out: set[tuple[str, str]] = set()
    for a in flights:
        for b in flights:
            if a.id >= b.id:
                continue
            first, second = (a, b) if a.departure <= b.departure else (b, a)
            if too_close(first, second, hours):
                out.add((a.id, b.id))
    return out


def active_flights(scenario: Scenario) -> list[Flight]:
    """Flights not yet departed at `as_of`, in departure order (departed flights are locked)."""
    return sorted((f for f in scenario.flights if f.departure >= scenario.as_of), key=lambda f: (f.departure, f.id))


def _reserve(slots: list[SlotInstance], daily: dict[tuple[str, date], int], kept: list[TestBooking]
             ) -> list[SlotInstance]:
    """Slots and daily lab capacity left once the kept bookings are counted."""
    taken: Counter[tuple[str, datetime]] = Counter((b.site_id, b.start) for b in kept)
    out = []
    for s in slots:
        n = taken.get((s.site_id, s.start), 0)
        if n:
            s = replace(s, capacity=max(0, s.capacity - n))
            if (s.site_id, s.day) in daily:
                daily[(s.site_id, s.day)] = max(0, daily[(s.site_id, s.day)] - n)
        if s.capacity > 0:
            out.append(s)
    return out


def build_problem(scenario: Scenario, excluded: frozenset[str] = frozenset(), fixed: Fixed | None = None
                  ) -> AllocationProblem:
    """Precompute options per household and flight; `excluded` households are not planned (variant filter);
    `fixed` carries what a re-plan keeps. A stop request during the build ends the command from the signal
    handler (docs/cli.md, "Stopping"), so the build itself does not poll."""
    fixed = fixed or Fixed()
    flights = active_flights(scenario)
    daily = daily_capacities(scenario)
    slots: list[SlotInstance] = _reserve(all_slots(scenario), daily, fixed.kept_bookings())
    builder = OptionBuilder(scenario, slots, fixed.households, fixed.bookings)
    flight_infos = _flight_infos(scenario, flights, fixed, builder)
    infos, no_dest, pending = _household_infos(scenario, flights, excluded, fixed, builder)
    return AllocationProblem(
        scenario=scenario,
        flights=flight_infos,
        households=infos,
        escorts=sorted(scenario.escorts, key=lambda e: e.id),
        escort_conflicts=escort_conflicts(flights, scenario.protocol.escorts.turnaround_hours),
        classes=slot_classes(builder.windows, slots),
        daily=daily,
        no_destination=no_dest,
        fixed=fixed,
        pending=pending,
        fill=builder.fill,
        windows=builder.windows,
        slots=slots,
    )


def _flight_infos(scenario: Scenario, flights: list[Flight], fixed: Fixed, builder: OptionBuilder
                  ) -> list[FlightInfo]:
    """Each active flight with its day (level 1b), cabin limits and the escorts who may fly it."""
    today = local_date(scenario.as_of, scenario.timezone)
    return [FlightInfo(f, (departure_date(f, scenario) - today).days, flight_limits(scenario, f),
                       _escort_windows(scenario, f, fixed, builder))
            for f in flights]


def turnaround_cliques(flights: list[Flight], conflicts: set[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The largest groups of flights of which one escort can fly at most one, in departure order: a flight
    and every earlier one it conflicts with (`conflicts`: `escort_conflicts`' pairs). A flight's span, from
    departure to its last arrival plus the turnaround, is an interval, and two flights conflict when their spans
    overlap; so every conflicting pair lies in the group of the later one's departure, and each group conflicts
    pairwise. As rows, the groups are what the pairs cannot say: of three flights within a day, the LP could fly
    an escort half on each (docs/scale.md, "The bound")."""
    ordered = sorted(flights, key=lambda f: (f.departure, f.id))
    groups = [frozenset(f.id for f in ordered[:j + 1] if f is g or (min(f.id, g.id), max(f.id, g.id)) in conflicts)
              for j, g in enumerate(ordered)]
    largest = [g for g in groups if len(g) > 1 and not any(g < other for other in groups)]
    return sorted({tuple(sorted(g)) for g in largest})


def _escort_windows(scenario: Scenario, f: Flight, fixed: Fixed, builder: OptionBuilder
                    ) -> dict[str, TestWindow | None]:
    """Escorts who may fly `f`, with their test window (None: exempt): available that day, back from any
    departed flight in time (docs/rules.md#escort-availability-and-turnaround), and testable if tested."""
    by_id = {g.id: g for g in scenario.flights}
    hours = scenario.protocol.escorts.turnaround_hours
    out: dict[str, TestWindow | None] = {}
    for e in sorted(scenario.escorts, key=lambda e: e.id):
        if not can_fly(e, departure_date(f, scenario)):
            continue
        gone = [by_id[d] for d in fixed.escorts_departed.get(e.id, []) if d in by_id]
        if any(escort_conflicts([d, f], hours) for d in gone):
            continue  # still on the way back from a flight that already left
        w = escort_window(e, f, scenario)
        if w is not None and not builder.has_slot(w):
            continue
        out[e.id] = w
        if w is not None:
            builder.windows.add(w)
    return out


def _household_infos(scenario: Scenario, flights: list[Flight], excluded: frozenset[str], fixed: Fixed,
                     builder: OptionBuilder) -> tuple[list[HouseholdInfo], dict[str, Reason], dict[str, list[Flight]]]:
    """Every household with its options on the flights serving its destination; a kept household only on
    its kept flight for now (its other flights wait in `pending` until it is released, AllocationProblem.expand)."""
    infos: list[HouseholdInfo] = []
    no_dest: dict[str, Reason] = {}
    pending: dict[str, list[Flight]] = {}
    serving_by: dict[str, list[Flight]] = {}
    for hh in households(scenario):
        info = HouseholdInfo(hh, household_weight(hh, scenario), {}, {})
        infos.append(info)
        if hh.id in excluded:
            continue
        if hh.destination not in serving_by:
            serving_by[hh.destination] = [f for f in flights if serves(f, hh.destination)]
        serving = serving_by[hh.destination]
        if not serving:
            no_dest[hh.id] = reason("flight.no_destination", destination=hh.destination)
        kept = fixed.households.get(hh.id)
        if kept is not None and any(f.id == kept for f in serving):
            builder.fill(info, [f for f in serving if f.id == kept])
            pending[hh.id] = [f for f in serving if f.id != kept]
        else:
            builder.fill(info, serving)
    return infos, no_dest, pending
