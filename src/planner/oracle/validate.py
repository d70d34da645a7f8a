"""The oracle: check a Plan against a Scenario and list every violated hard rule.

Written without solver code: it recomputes every fact from the scenario (ages, gates, test windows from the
docs/rules.md#test-windows formula, slot schedules, capacities counted from the seat map) and looks only at the plan's
output.
Each rule is a named unit; `RULES` lists them with the reason a person would read.

Shared definitions it relies on. These are rule *definitions* (pure functions of the scenario's data), not
solver code: nothing here imports allocation, greedy, feasibility, problem, capacity (the linear capacity
model), slot_booking or seating (the seating solver), so a solver bug cannot hide itself from the oracle.
- `caseload`: households, ages, and the definitions (docs/rules.md#cabin-rules) of special category,
  able-bodied adult and medical case (one definition the whole project shares, so "special category" means one thing).
- `gates`: the gate predicates (docs/rules.md#gates), each a pure check of one person on one date.
- `reasons`: the closed registry of reason codes and their message templates (docs/rules.md#reason-codes).
- `seatmaps`: the cabin built from the aircraft definition (seats, exits, mask blocks, zones): data, not a model.
- `seating_rules`: the independent seat-by-seat checker of docs/rules.md#cabin-rules, and its `exit_barred`
  definition.
- `testing_windows`: `site_slots` (the slot grid a site's hours generate) and `is_exempt` (who needs a test);
  the window formula itself is written out again below.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from planner.model.caseload import (
    WHEELCHAIR_AISLE,
    Household,
    age_months,
    age_years,
    departure_date,
    households,
    is_able_bodied_adult,
    is_medical_case,
    is_special_category,
)
from planner.model.plan import FlightPlan, Plan, Reason, TestBooking
from planner.model.reasons import REGISTRY
from planner.model.scenario import Escort, Flight, Person, Scenario
from planner.model.violations import Violation
from planner.oracle.seating_checks import exit_barred
from planner.rules.gates import GATES, GateContext, first_failure, isolation_end
from planner.rules.testing_windows import is_exempt, site_slots
from planner.seating.seatmaps import SeatMap, isolation_rows, resolve_aircraft

GATE_CHECKS = {g.code: g for g in GATES}


@dataclass
class Context:
    """Indexes over the scenario and plan shared by every rule.

    `previous` is the plan a re-plan started from (None: unknown). An empty plan means "a first plan:
    nothing may be carried over", which makes the past-booking and departed-flight rules exact.
    """

    scenario: Scenario
    plan: Plan
    previous: Plan | None = None
    people: dict[str, Person] = field(default_factory=dict)
    household_of: dict[str, Household] = field(default_factory=dict)
    flights: dict[str, Flight] = field(default_factory=dict)
    escorts: dict[str, Escort] = field(default_factory=dict)
    flight_of: dict[str, str] = field(default_factory=dict)
    plan_of: dict[str, FlightPlan] = field(default_factory=dict)
    bookings: dict[str, list] = field(default_factory=dict)
    unassigned: dict[str, list[Reason]] = field(default_factory=dict)
    _serving: dict[str, list[Flight]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, scenario: Scenario, plan: Plan, previous: Plan | None = None) -> Context:
        ctx = cls(scenario, plan, previous)
        ctx.people = {p.case_id: p for p in scenario.people}
        ctx.household_of = {p.case_id: h for h in households(scenario) for p in h.members}
        ctx.flights = {f.id: f for f in scenario.flights}
        ctx.escorts = {e.id: e for e in scenario.escorts}
        for fp in plan.flights:
            ctx.plan_of.setdefault(fp.flight_id, fp)
            for pa in fp.passengers:
                ctx.flight_of.setdefault(pa.person_id, fp.flight_id)
        by: dict[str, list] = defaultdict(list)
        for b in plan.tests:
            by[b.person_id or f"escort:{b.escort_id}:{b.flight_id}"].append(b)
        ctx.bookings = dict(by)
        for u in plan.unassigned:
            ctx.unassigned.setdefault(u.person_id, list(u.reasons))
        return ctx

    def known_flights(self) -> Iterator[tuple[FlightPlan, Flight]]:
        for fp in self.plan.flights:
            if fp.flight_id in self.flights:
                yield fp, self.flights[fp.flight_id]

    def departed(self, flight: Flight) -> bool:
        return flight.departure < self.scenario.as_of

    def serving(self, destination: str) -> list[Flight]:
        """Flights not yet departed that stop at `destination`: the ones a reason must be given for."""
        if destination not in self._serving:  # asked once per unassigned person: thousands of times
            self._serving[destination] = sorted(
                (f for f in self.scenario.flights if not self.departed(f)
                 and any(s.airport == destination for s in f.stops)), key=lambda f: (f.departure, f.id))
        return self._serving[destination]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[Context], Iterator[Violation]]


def _v(rule: str, message: str, flight_id: str | None = None, person_id: str | None = None) -> Violation:
    return Violation(rule=rule, message=message, flight_id=flight_id, person_id=person_id)


# ---------------------------------------------------------------- identity


def check_person_once(ctx: Context) -> Iterator[Violation]:
    """Everyone is accounted for once: a person on two flights or missing would be lost or double-booked."""
    seen: Counter[str] = Counter()
    for fp in ctx.plan.flights:
        for pa in fp.passengers:
            seen[pa.person_id] += 1
    for u in ctx.plan.unassigned:
        seen[u.person_id] += 1
    for pid, n in sorted(seen.items()):
        if pid not in ctx.people:
            yield _v("person_once", "unknown person in the plan", person_id=pid)
        elif n > 1:
            yield _v("person_once", f"appears {n} times (on flights and/or unassigned)", person_id=pid)
    for pid in sorted(set(ctx.people) - set(seen)):
        yield _v("person_once", "missing from the plan (neither on a flight nor unassigned)", person_id=pid)


def check_known_flight(ctx: Context) -> Iterator[Violation]:
    """A flight entry must name a scenario flight, once: two entries would double its capacity."""
    ids = Counter(fp.flight_id for fp in ctx.plan.flights)
    for fid, n in sorted(ids.items()):
        if fid not in ctx.flights:
            yield _v("known_flight", "flight not in the scenario", flight_id=fid)
        elif n > 1:
            yield _v("known_flight", "flight listed more than once", flight_id=fid)


def check_departed_flights(ctx: Context) -> Iterator[Violation]:
    """Nobody may be newly planned on a flight that left before `as_of` (docs/rules.md#departed-flights-locked,
    docs/rules.md#re-plan-stability).

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
            yield _v("departed_flight", f"departed {flight.departure:%Y-%m-%d %H:%M} (before as_of "
                                        f"{ctx.scenario.as_of:%Y-%m-%d %H:%M}) but not locked", fp.flight_id)
        if old is None:
            continue
        before = old.get(fp.flight_id)
        people = {pa.person_id for pa in before.passengers} if before else set()
        escorts = {e.escort_id for e in before.escorts} if before else set()
        for pa in fp.passengers:
            if pa.person_id not in people:
                yield _v("departed_flight", "newly planned on a flight that departed before as_of",
                         fp.flight_id, pa.person_id)
        for e in fp.escorts:
            if e.escort_id not in escorts:
                yield _v("departed_flight", f"escort {e.escort_id} newly planned on a flight that departed "
                                            "before as_of", fp.flight_id)


# ---------------------------------------------------------------- who may fly where


def check_gates(ctx: Context) -> Iterator[Violation]:
    """Every passenger passes every planning gate for the date of their flight (docs/rules.md#gates)."""
    for fp, flight in ctx.known_flights():
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is None:
                continue
            failure = first_failure(p, ctx.household_of[p.case_id], flight, ctx.scenario)
            if failure is not None:
                yield _v("gates", f"{failure.code}: {failure.message}", fp.flight_id, p.case_id)


def check_destination(ctx: Context) -> Iterator[Violation]:
    """The flight must stop at the passenger's destination airport."""
    for fp, flight in ctx.known_flights():
        stops = {s.airport for s in flight.stops}
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is not None and p.destination not in stops:
                yield _v("destination_served", f"flight does not stop at {p.destination}", fp.flight_id, p.case_id)


def check_household_unity(ctx: Context) -> Iterator[Violation]:
    """Only officers split a household (by changing household_id): its members share one fate."""
    for h in households(ctx.scenario):
        where = {ctx.flight_of.get(p.case_id) for p in h.members}
        if len(where) > 1:
            placed = ", ".join(f"{p.case_id}→{ctx.flight_of.get(p.case_id) or 'unassigned'}" for p in h.members)
            yield _v("household_unity", f"household {h.id} is split: {placed}", person_id=h.members[0].case_id)


def check_provisional(ctx: Context) -> Iterator[Violation]:
    """`provisional` lists exactly the passengers whose fitness is `pending` (docs/rules.md#fitness-to-travel), so the
    pre-embarkation
    check list is complete. Departed flights are history (copied as they were) and are not rechecked."""
    for fp, flight in ctx.known_flights():
        if ctx.departed(flight):
            continue
        pending = {pa.person_id for pa in fp.passengers
                   if pa.person_id in ctx.people and ctx.people[pa.person_id].fitness == "pending"}
        listed = set(fp.provisional)
        for pid in sorted(pending - listed):
            yield _v("provisional", "fitness pending but not listed as provisional", fp.flight_id, pid)
        for pid in sorted(listed - pending):
            yield _v("provisional", "listed as provisional but not a passenger with fitness pending",
                     fp.flight_id, pid)


# ---------------------------------------------------------------- cabin


def _unusable(sm: SeatMap, scenario: Scenario, flight: Flight) -> set[str]:
    """Operator-blocked seats (type or flight) and the rear isolation rows under COVID-19
    (docs/rules.md#cabin-rules)."""
    ids = {s.id for s in sm.seats}
    rear = set(isolation_rows(sm, scenario.protocol.seating.isolation_rows_rear)) if scenario.protocol.covid else set()
    return {s.id for s in sm.seats if s.blocked or s.row in rear} | (set(flight.blocked_seats) & ids)


def _stretcher_on_board(ctx: Context, fp: FlightPlan) -> bool:
    return any(ctx.people[pa.person_id].mobility == "STCR" for pa in fp.passengers if pa.person_id in ctx.people)


def check_lap_infants(ctx: Context) -> Iterator[Violation]:
    """Lap infants (under the lap age) ride on a household adult of the carrier age, one each
    (docs/rules.md#cabin-rules)."""
    rules = ctx.scenario.protocol.seating
    for fp, flight in ctx.known_flights():
        on = departure_date(flight, ctx.scenario)
        on_board = {pa.person_id: pa for pa in fp.passengers}
        carriers: Counter[str] = Counter()
        for pa in fp.passengers:
            if pa.lap_of is None:
                continue
            infant, adult = ctx.people.get(pa.person_id), ctx.people.get(pa.lap_of)
            if infant is None:
                continue
            if pa.seat is not None:
                yield _v("lap_infants", "a lap infant has a seat", fp.flight_id, pa.person_id)
            if age_months(infant.date_of_birth, on) >= rules.lap_infant_max_months:
                yield _v("lap_infants", f"not under {rules.lap_infant_max_months} months at departure",
                         fp.flight_id, pa.person_id)
            if adult is None or pa.lap_of not in on_board or on_board[pa.lap_of].lap_of is not None:
                yield _v("lap_infants", f"carrier {pa.lap_of} is not a seated passenger of this flight",
                         fp.flight_id, pa.person_id)
                continue
            if adult.household_id != infant.household_id:
                yield _v("lap_infants", f"carrier {adult.case_id} is not of the infant's household",
                         fp.flight_id, pa.person_id)
            if age_years(adult.date_of_birth, on) < rules.lap_carrier_min_age:
                yield _v("lap_infants", f"carrier {adult.case_id} is under {rules.lap_carrier_min_age}",
                         fp.flight_id, pa.person_id)
            carriers[adult.case_id] += 1
        for adult, n in sorted(carriers.items()):
            if n > 1:
                yield _v("lap_infants", f"carries {n} infants (one per adult)", fp.flight_id, adult)


def _seated(fp: FlightPlan) -> int:
    return sum(1 for pa in fp.passengers if pa.lap_of is None)


def check_capacity(ctx: Context) -> Iterator[Violation]:
    """Seated passengers + escorts + blocked seats ≤ the seat map's seats (docs/rules.md#cabin-rules)."""
    for fp, flight in ctx.known_flights():
        try:
            sm = resolve_aircraft(flight.aircraft, ctx.scenario)
        except Exception:
            yield _v("seat_capacity", f"unknown aircraft {flight.aircraft}", fp.flight_id)
            continue
        unusable = _unusable(sm, ctx.scenario, flight)
        # a stretcher case lies in the zone: its own seat is counted as seated, the rest of the zone as blocked
        zone = max(0, len(set(sm.stretcher_zone) - unusable) - 1) if _stretcher_on_board(ctx, fp) else 0
        used = _seated(fp) + len(fp.escorts) + len(unusable) + zone
        if used > sm.seat_count:
            message = (f"{_seated(fp)} seated + {len(fp.escorts)} escorts + {len(unusable) + zone} blocked"
                       f" = {used} > {sm.seat_count} seats")
            yield _v("seat_capacity", message, fp.flight_id)


def check_cabin_limits(ctx: Context) -> Iterator[Violation]:
    """Before seating, the seat kinds the passengers need exist: non-exit seats for those barred from exits,
    mask blocks for lap infants, aisle seats with a movable armrest for WCHC/WCHP, one stretcher zone.

    Counted directly from the seat map and the people on board (seated flights are checked seat by seat)."""
    rules = ctx.scenario.protocol.seating
    for fp, flight in ctx.known_flights():
        if any(pa.seat for pa in fp.passengers):
            continue
        try:
            sm = resolve_aircraft(flight.aircraft, ctx.scenario)
        except Exception:
            continue  # reported by seat_capacity
        on = departure_date(flight, ctx.scenario)
        unusable = _unusable(sm, ctx.scenario, flight)
        stretcher = _stretcher_on_board(ctx, fp)
        zone = set(sm.stretcher_zone) - unusable
        free = [s for s in sm.seats if s.id not in unusable and not (stretcher and s.id in zone)]
        non_exit = [s for s in free if not s.exit]
        carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of}
        seated = [ctx.people[pa.person_id] for pa in fp.passengers if pa.lap_of is None and pa.person_id in ctx.people]
        laps = sum(1 for pa in fp.passengers if pa.lap_of)
        barred = sum(exit_barred(p, ctx.household_of[p.case_id], on, rules, p.case_id in carriers) for p in seated)
        if barred > len(non_exit):
            yield _v("cabin_limits", f"exit rows: {barred} passengers may not sit in an exit seat, "
                                     f"{len(non_exit)} non-exit seats", fp.flight_id)
        ids = {s.id for s in non_exit}
        blocks = sum(1 for blk in sm.mask_blocks if any(sid in ids for sid in blk))
        if laps > blocks * rules.infants_per_mask_block:
            yield _v("cabin_limits", f"mask blocks: {laps} lap infants, {blocks} usable mask blocks × "
                                     f"{rules.infants_per_mask_block} infant(s) each", fp.flight_id)
        wheel = sum(1 for p in seated if p.mobility in WHEELCHAIR_AISLE)
        aisle = sum(1 for s in non_exit if s.aisle and s.armrest)
        if wheel > aisle:
            yield _v("cabin_limits", f"wheelchair seats: {wheel} WCHC/WCHP passengers, {aisle} non-exit aisle "
                                     "seats with a movable armrest", fp.flight_id)
        cases = sum(1 for p in seated if p.mobility == "STCR")
        if cases > (1 if zone else 0):
            yield _v("cabin_limits", f"stretcher zones: {cases} stretcher cases, {1 if zone else 0} usable zone",
                     fp.flight_id)


def check_escorts(ctx: Context) -> Iterator[Violation]:
    """Escort ratios, availability and turnaround; special categories ≤ able-bodied adults
    (docs/rules.md#cabin-rules)."""
    rules = ctx.scenario.protocol.escorts
    flights_of: dict[str, list[Flight]] = defaultdict(list)
    for fp, flight in ctx.known_flights():
        on = departure_date(flight, ctx.scenario)
        roles: Counter[str] = Counter()
        for e in fp.escorts:
            escort = ctx.escorts.get(e.escort_id)
            if escort is None:
                yield _v("escorts", f"unknown escort {e.escort_id}", fp.flight_id)
                continue
            roles[escort.role] += 1
            flights_of[escort.id].append(flight)
            if escort.available is not None and not escort.available.contains(on):
                yield _v("escorts", f"escort {escort.id} is not available on {on}", fp.flight_id)
        people = [ctx.people[pa.person_id] for pa in fp.passengers if pa.person_id in ctx.people]
        laps = {pa.person_id for pa in fp.passengers if pa.lap_of}
        carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of}
        need_ops = math.ceil(len(people) / rules.operational_per_passengers)
        medical = sum(is_medical_case(p, ctx.household_of[p.case_id], on) for p in people)
        uasc = sum(p.unaccompanied_minor for p in people)
        for role, need in (("operational", need_ops), ("medical", math.ceil(medical / rules.medical_per_cases)),
                           ("uasc", math.ceil(uasc / rules.uasc_per_escort))):
            if roles[role] < need:
                yield _v("escorts", f"{roles[role]} {role} escort(s) on board, {need} required", fp.flight_id)
        special = sum(is_special_category(p, ctx.household_of[p.case_id], on, p.case_id in laps) for p in people)
        able = sum(is_able_bodied_adult(p, ctx.household_of[p.case_id], on, p.case_id in carriers) for p in people)
        if special > able + len(fp.escorts):
            yield _v("special_categories", f"{special} special-category passengers > {able} able-bodied adults + "
                                           f"{len(fp.escorts)} escorts", fp.flight_id)
    gap = timedelta(hours=rules.turnaround_hours)
    for eid, fls in sorted(flights_of.items()):
        fls.sort(key=lambda f: f.departure)
        for a, b in pairwise(fls):
            if b.departure < a.stops[-1].arrival + gap:
                yield _v("escorts", f"escort {eid} flies {a.id} and {b.id} without {rules.turnaround_hours} h "
                                    "turnaround", b.id)


# ---------------------------------------------------------------- tests


def _window(ctx: Context, flight: Flight, airport: str) -> tuple[datetime, datetime] | None:
    """docs/rules.md#test-windows, written out: [anchor − window_hours, departure − check-in − lab turnaround]."""
    rule = ctx.scenario.protocol.destinations.get(airport)
    if rule is None or rule.test == "none":
        return None
    anchor = flight.departure
    if rule.anchor == "arrival":
        anchor = next((s.arrival for s in flight.stops if s.airport == airport), flight.departure)
    turnaround = ctx.scenario.protocol.lab_turnaround_hours
    latest = flight.departure - timedelta(minutes=flight.check_in_minutes, hours=turnaround)
    return anchor - timedelta(hours=rule.window_hours), latest


def _allowed(sites: dict, location: str | None, assigned: str | None) -> set[str]:
    if assigned is not None:
        return {assigned}
    return {sid for sid, s in sites.items() if location is None or location in s.serves}


def _who(key: str) -> str:
    return key.removeprefix("escort:").split(":")[0]


def check_tests(ctx: Context) -> Iterator[Violation]:
    """Each tested passenger and escort has exactly one sample, at a site serving them, on the site's slot grid,
    inside the destination's window and after any isolation (docs/rules.md#test-windows)."""
    scenario = ctx.scenario
    sites = {s.id: s for s in scenario.testing_sites}
    schedule = {sid: {(s.start, s.end): s.capacity for s in site_slots(site, scenario, include_past=True)}
                for sid, site in sites.items()}
    needed: dict[str, tuple[Flight, list[tuple[datetime, datetime]], set[str], datetime | None]] = {}
    exempt: set[str] = set()
    for fp, flight in ctx.known_flights():
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is None:
                continue
            if is_exempt(p, flight, scenario):
                exempt.add(p.case_id)
                continue
            window = _window(ctx, flight, p.destination)
            iso = isolation_end(p, ctx.household_of[p.case_id], scenario)
            not_before = datetime.combine(iso, datetime.min.time(), ZoneInfo(scenario.timezone)) if iso else None
            needed[p.case_id] = (flight, [window] if window else [], _allowed(sites, p.location, p.testing_site),
                                 not_before)
        for e in fp.escorts:
            escort = ctx.escorts.get(e.escort_id)
            if escort is None:
                continue
            windows = [w for s in flight.stops
                       if (w := _window(ctx, flight, s.airport)) is not None
                       and not (scenario.protocol.destinations[s.airport].vaccinated_exempt and escort.vaccinated)]
            if windows and scenario.protocol.covid:
                needed[f"escort:{escort.id}:{flight.id}"] = (flight, windows,
                                                 _allowed(sites, escort.location, escort.testing_site), None)
    for key, (flight, windows, allowed, not_before) in sorted(needed.items()):
        who = _who(key)
        books = ctx.bookings.get(key, [])
        if len(books) != 1:
            yield _v("test_required", f"{len(books)} test bookings, exactly one needed", flight.id, who)
            continue
        b = books[0]
        site = sites.get(b.site_id)
        if site is None:
            yield _v("test_slot", f"unknown testing site {b.site_id}", flight.id, who)
            continue
        if site.id not in allowed:
            yield _v("test_slot", f"site {site.id} is not one this person may be tested at", flight.id, who)
        if (b.start, b.end) not in schedule[site.id]:
            yield _v("test_slot", f"{b.start:%Y-%m-%d %H:%M} is not a bookable slot of {site.id}", flight.id, who)
        for earliest, latest in windows:
            if b.start < earliest:
                yield _v("test_slot", f"sample {b.start:%Y-%m-%d %H:%M} is before the window opens "
                                      f"{earliest:%Y-%m-%d %H:%M}", flight.id, who)
            if b.end > latest:
                yield _v("test_slot", f"sample ends {b.end:%Y-%m-%d %H:%M}, after the latest end "
                                      f"{latest:%Y-%m-%d %H:%M} (departure − check-in − lab turnaround)",
                         flight.id, who)
        if not_before is not None and b.start < not_before:
            yield _v("test_slot", f"sample before the isolation end {not_before:%Y-%m-%d}", flight.id, who)
    for key in sorted(ctx.bookings):
        if key in needed:
            continue
        who = _who(key)
        if key in exempt:
            why = "test booked for a passenger who is exempt on their flight"
        elif key.startswith("escort:"):
            why = "test booked for an escort not on that flight, or not needing a test for it"
        else:
            why = "test booked for someone not on any flight"
        yield _v("test_required", why, person_id=who)


def check_test_flight(ctx: Context) -> Iterator[Violation]:
    """A passenger's booking names the flight they are on: a sample for another flight's window proves nothing."""
    for b in ctx.plan.tests:
        if b.person_id is None or b.person_id not in ctx.flight_of:
            continue
        if b.flight_id != ctx.flight_of[b.person_id]:
            yield _v("test_flight", f"booking is for flight {b.flight_id}, the person is on "
                                    f"{ctx.flight_of[b.person_id]}", ctx.flight_of[b.person_id], b.person_id)


def _same_booking(a: TestBooking, b: TestBooking) -> bool:
    return (a.person_id, a.escort_id, a.site_id, a.start, a.end) == (b.person_id, b.escort_id, b.site_id, b.start,
                                                                       b.end)


def check_past_bookings(ctx: Context) -> Iterator[Violation]:
    """Slots before `as_of` cannot be booked (docs/rules.md#test-windows); a sample already taken may be carried over.

    With `previous` known, a booking starting before `as_of` must be the one the previous plan had for the same
    person (or escort), at the same site and time: re-plans keep such bookings (`replan.kept_bookings`) and copy
    those of departed flights. Without `previous` the plan cannot tell a carried-over sample from a new one, so
    only bookings of locked flights are known to be carried over and the others are accepted; pass
    `previous` (an empty plan for a first plan) to make the rule exact.
    """
    as_of = ctx.scenario.as_of
    old = list(ctx.previous.tests) if ctx.previous is not None else None
    for b in sorted(ctx.plan.tests, key=lambda b: (b.start, b.person_id or "", b.escort_id or "")):
        if b.start >= as_of:
            continue
        fid = ctx.flight_of.get(b.person_id) if b.person_id else b.flight_id
        who = b.person_id or b.escort_id
        if old is None:
            continue  # not decidable without the previous plan (see the docstring)
        if not any(_same_booking(b, o) for o in old):
            yield _v("test_in_past", f"sample slot {b.start:%Y-%m-%d %H:%M} is before as_of "
                                     f"{as_of:%Y-%m-%d %H:%M} and was not booked in the previous plan", fid, who)


def check_test_capacity(ctx: Context) -> Iterator[Violation]:
    """Each slot's sampling capacity and each site's daily lab capacity (docs/rules.md#test-windows)."""
    scenario = ctx.scenario
    sites = {s.id: s for s in scenario.testing_sites}
    per_slot: Counter[tuple] = Counter()
    per_day: Counter[tuple] = Counter()
    for b in ctx.plan.tests:
        site = sites.get(b.site_id)
        if site is None:
            continue
        per_slot[(b.site_id, b.start, b.end)] += 1
        per_day[(b.site_id, b.start.astimezone(ZoneInfo(site.timezone or scenario.timezone)).date())] += 1
    caps = {(sid, s.start, s.end): s.capacity for sid, site in sites.items()
            for s in site_slots(site, scenario, include_past=True)}
    for key, n in sorted(per_slot.items()):
        if key in caps and n > caps[key]:
            yield _v("test_capacity", f"slot {key[0]} {key[1]:%Y-%m-%d %H:%M} has {n} samples, capacity {caps[key]}")
    for (sid, day), n in sorted(per_day.items()):
        cap = sites[sid].daily_capacity
        if cap is not None and n > cap:
            yield _v("test_capacity", f"site {sid} processes {n} samples on {day}, daily capacity {cap}")


# ---------------------------------------------------------------- reasons (docs/rules.md#explanations)


def _held_back_pattern() -> re.Pattern[str]:
    """The registry's held-back message with its member and code as groups (the Reason has no other field)."""
    template = REGISTRY["household.held_back"].template
    text = re.escape(template).replace(re.escape("{member}"), r"(?P<member>\S+)")
    return re.compile("^" + text.replace(re.escape("{member_code}"), r"(?P<code>[a-z_.]+)") + "$")


HELD_BACK = _held_back_pattern()


def _gate_fails(ctx: Context, person: Person, code: str, flight_id: str | None) -> tuple[bool, date]:
    """Whether `person` fails gate `code` on the flight's local departure date (as_of's date without a flight,
    as `gates.first_failure` takes it)."""
    flight = ctx.flights.get(flight_id) if flight_id else None
    on = departure_date(flight, ctx.scenario) if flight is not None else ctx.scenario.as_of.date()
    gate = GATE_CHECKS[code]
    return gate.check(person, GateContext(ctx.scenario, ctx.household_of[person.case_id], on)) is not None, on


def check_reasons(ctx: Context) -> Iterator[Violation]:
    """Everyone left out has reasons, each from the closed registry and naming a real flight."""
    for u in ctx.plan.unassigned:
        if not u.reasons:
            yield _v("reasons", "unassigned without a reason", person_id=u.person_id)
        for r in u.reasons:
            if r.code not in REGISTRY:
                yield _v("reasons", f"unknown reason code {r.code}", person_id=u.person_id)
            if r.flight_id is not None and r.flight_id not in ctx.flights:
                yield _v("reasons", f"reason {r.code} names unknown flight {r.flight_id}", person_id=u.person_id)


def check_reason_per_flight(ctx: Context) -> Iterator[Violation]:
    """A reason for every flight serving the destination, with that flight's id (docs/rules.md#explanations), or, when
    none
    serves it, `flight.no_destination` or a flight-independent gate. A variant exclusion covers every flight;
    a pin conflict covers the flights the pin took the household off."""
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        codes = {r.code for r in u.reasons}
        if p is None or not u.reasons or "variant.excluded" in codes:
            continue
        serving = ctx.serving(p.destination)
        if not serving:
            if not any(r.code == "flight.no_destination" or (r.code in GATE_CHECKS and r.flight_id is None)
                       for r in u.reasons):
                yield _v("reason_per_flight", f"no flight serves {p.destination}, but neither "
                                              "flight.no_destination nor a gate is given", person_id=p.case_id)
            continue
        if "pin.conflict" in codes:
            continue
        covered = {r.flight_id for r in u.reasons}
        for f in serving:
            if f.id not in covered:
                yield _v("reason_per_flight", f"no reason given for flight {f.id}, which serves {p.destination}",
                         f.id, p.case_id)


def check_reasons_true(ctx: Context) -> Iterator[Violation]:
    """Reasons the scenario alone decides must be true: a gate the person fails on that flight's date, and
    `flight.no_destination` only when no flight serves the destination."""
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        if p is None:
            continue
        for r in u.reasons:
            if r.code == "flight.no_destination" and ctx.serving(p.destination):
                yield _v("reason_true", f"flight.no_destination, but {ctx.serving(p.destination)[0].id} serves "
                                        f"{p.destination}", person_id=p.case_id)
            if r.code not in GATE_CHECKS or (r.flight_id is not None and r.flight_id not in ctx.flights):
                continue
            fails, on = _gate_fails(ctx, p, r.code, r.flight_id)
            if not fails:
                yield _v("reason_true", f"{r.code} given, but the person passes that gate on {on}",
                         r.flight_id, p.case_id)


def check_held_back(ctx: Context) -> Iterator[Violation]:
    """`household.held_back` names another member of the same household who really cannot travel: one failing
    the named gate on that flight's date, or one whose own reasons say no valid test slot for that flight."""
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        if p is None:
            continue
        for r in u.reasons:
            if r.code != "household.held_back":
                continue
            m = HELD_BACK.match(r.message)
            if m is None:
                yield _v("held_back", "held back without naming a member and their reason", r.flight_id, p.case_id)
                continue
            member, code = ctx.people.get(m["member"]), m["code"]
            if member is None or member.household_id != p.household_id or member.case_id == p.case_id:
                yield _v("held_back", f"names {m['member']}, who is not another member of household "
                                      f"{p.household_id}", r.flight_id, p.case_id)
                continue
            if code in GATE_CHECKS:
                fails, on = _gate_fails(ctx, member, code, r.flight_id)
                if not fails:
                    yield _v("held_back", f"names {member.case_id} for {code}, but they pass that gate on {on}",
                             r.flight_id, p.case_id)
            elif code == "test.no_valid_slot":
                own = ctx.unassigned.get(member.case_id, [])
                if not any(o.code == code and o.flight_id == r.flight_id for o in own):
                    yield _v("held_back", f"names {member.case_id} for {code}, but their own reasons do not say so "
                                          "for this flight", r.flight_id, p.case_id)
            else:
                yield _v("held_back", f"names {member.case_id} for {code}, which is not a personal failure",
                         r.flight_id, p.case_id)


# ---------------------------------------------------------------- seats


def check_seating(ctx: Context) -> Iterator[Violation]:
    """Every seating rule of docs/rules.md#cabin-rules, by the independent seat-by-seat checker."""
    seated_flights = [fp for fp in ctx.plan.flights if any(pa.seat for pa in fp.passengers)]
    if ctx.plan.stages.seating is not None:
        for fp in ctx.plan.flights:
            missing = [pa.person_id for pa in fp.passengers if pa.lap_of is None and not pa.seat]
            missing += [e.escort_id for e in fp.escorts if not e.seat]
            for pid in missing:
                yield _v("seat_assigned", "no seat after seating ran", fp.flight_id, pid)
    if not seated_flights:
        return
    from planner.oracle.seating_checks import seating_violations

    yield from seating_violations(ctx.scenario, ctx.plan)


def check_seats_kept(ctx: Context) -> Iterator[Violation]:
    """In a re-plan, a household kept on its flight keeps its seats (docs/rules.md#re-plan-stability): newcomers are
    seated around
    kept passengers, never the other way round.

    Needs `previous`. A household is kept when all its members are on the same flight in both plans. A seat may
    change only where keeping it is impossible or was released on purpose: the flight was unlocked (locked in
    `previous`, not now), the old seat is no longer a usable seat of the flight's cabin (another aircraft,
    a newly blocked seat or isolation row), a member may no longer sit in that exit seat, or the household's
    pairings changed (a lap infant carried differently, or another escort serving a member)."""
    if ctx.previous is None:
        return
    old = {fp.flight_id: fp for fp in ctx.previous.flights}
    rules = ctx.scenario.protocol.seating
    for fp, flight in ctx.known_flights():
        before = old.get(fp.flight_id)
        if before is None or (before.locked and not fp.locked and not ctx.departed(flight)):
            continue
        try:
            sm = resolve_aircraft(flight.aircraft, ctx.scenario)
        except Exception:
            continue  # reported by seat_capacity
        seats = {s.id: s for s in sm.seats}
        usable = set(seats) - _unusable(sm, ctx.scenario, flight)
        then = {pa.person_id: pa for pa in before.passengers}
        now = {pa.person_id: pa for pa in fp.passengers}
        served_then: dict[str, set[str]] = defaultdict(set)
        served_now: dict[str, set[str]] = defaultdict(set)
        for e in before.escorts:
            for pid in e.serves:
                served_then[pid].add(e.escort_id)
        for e in fp.escorts:
            for pid in e.serves:
                served_now[pid].add(e.escort_id)
        carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of}
        on = departure_date(flight, ctx.scenario)
        done: set[str] = set()
        for pid in sorted(now):
            hh = ctx.household_of.get(pid)
            if hh is None or hh.id in done:
                continue
            done.add(hh.id)
            members = [p.case_id for p in hh.members]
            if not all(m in then and m in now for m in members):
                continue  # not kept: joined, left or moved flight
            if any(then[m].lap_of != now[m].lap_of or served_then[m] != served_now[m] for m in members):
                continue  # its pairings changed: seats may follow the new escort or carrier
            if any(then[m].seat and (then[m].seat not in usable or (
                    seats[then[m].seat].exit and exit_barred(ctx.people[m], hh, on, rules, m in carriers)))
                   for m in members):
                continue  # an old seat can no longer be given to them
            for m in members:
                a, b = then[m].seat, now[m].seat
                if a is not None and b is not None and a != b:
                    yield _v("seats_kept", f"kept on the flight but moved from seat {a} to {b} (a re-plan "
                                           "seats newcomers around kept passengers)", fp.flight_id, m)


RULES: list[Rule] = [
    Rule("person_once", "every person appears exactly once: on one flight or unassigned", check_person_once),
    Rule("known_flight", "flights in the plan exist in the scenario, once each", check_known_flight),
    Rule("departed_flights", "nobody newly planned on a flight departed before as_of; departed flights locked",
         check_departed_flights),
    Rule("gates", "every passenger passes every planning gate for their flight", check_gates),
    Rule("destination_served", "the flight stops at the passenger's destination", check_destination),
    Rule("household_unity", "a household flies together or not at all", check_household_unity),
    Rule("provisional", "provisional lists exactly the passengers with fitness pending", check_provisional),
    Rule("lap_infants", "lap infants ride with an adult of their household, one each", check_lap_infants),
    Rule("seat_capacity", "seated passengers + escorts + blocked seats ≤ seats", check_capacity),
    Rule("cabin_limits", "exit-row, mask-block, aisle-seat and stretcher limits before seating", check_cabin_limits),
    Rule("escorts", "escort ratios, availability and turnaround; special categories ≤ able-bodied", check_escorts),
    Rule("tests", "each tested passenger and escort has one valid sample slot", check_tests),
    Rule("test_flight", "a passenger's booking is for the flight they are on", check_test_flight),
    Rule("past_bookings", "no new booking of a slot before as_of", check_past_bookings),
    Rule("test_capacity", "slot and daily lab capacity", check_test_capacity),
    Rule("reasons", "everyone left out has reasons from the registry", check_reasons),
    Rule("reason_per_flight", "a reason for every flight serving the destination", check_reason_per_flight),
    Rule("reasons_true", "gate and destination reasons are true for the person", check_reasons_true),
    Rule("held_back", "household.held_back names a member who really cannot travel", check_held_back),
    Rule("seating", "every seating rule of docs/rules.md#cabin-rules", check_seating),
    Rule("seats_kept", "in a re-plan, households kept on their flight keep their seats", check_seats_kept),
]


def validate(scenario: Scenario, plan: Plan, previous: Plan | None = None) -> list[Violation]:
    """Every violated hard rule of `plan` for `scenario` (empty when the plan is valid).

    `previous`: the plan a re-plan started from, or an empty plan for a first plan; it lets the validator tell
    carried-over bookings and departed flights from new ones (None: not known, those checks are partial)."""
    ctx = Context.build(scenario, plan, previous)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule.check(ctx))
    return out
