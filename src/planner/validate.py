"""The oracle: check a Plan against a Scenario and list every violated hard rule.

Written without solver code: it recomputes every fact from the scenario (ages, gates, test windows from the
DESIGN §3.3 formula, slot schedules, capacities) and looks only at the plan's output. Each rule is a named
unit; `RULES` lists them with the reason a person would read.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from planner.capacity import flight_limits, household_usage, seat_map_of, unusable_seats
from planner.caseload import (
    Household,
    age_months,
    age_years,
    departure_date,
    households,
    is_able_bodied_adult,
    is_medical_case,
    is_special_category,
)
from planner.gates import first_failure, isolation_end
from planner.plan import FlightPlan, Plan
from planner.reasons import REGISTRY
from planner.scenario import Escort, Flight, Person, Scenario
from planner.testing_windows import is_exempt, site_slots
from planner.violations import Violation


@dataclass
class Context:
    """Indexes over the scenario and plan shared by every rule."""

    scenario: Scenario
    plan: Plan
    people: dict[str, Person] = field(default_factory=dict)
    household_of: dict[str, Household] = field(default_factory=dict)
    flights: dict[str, Flight] = field(default_factory=dict)
    escorts: dict[str, Escort] = field(default_factory=dict)
    flight_of: dict[str, str] = field(default_factory=dict)
    bookings: dict[str, list] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario, plan: Plan) -> Context:
        ctx = cls(scenario, plan)
        ctx.people = {p.case_id: p for p in scenario.people}
        ctx.household_of = {p.case_id: h for h in households(scenario) for p in h.members}
        ctx.flights = {f.id: f for f in scenario.flights}
        ctx.escorts = {e.id: e for e in scenario.escorts}
        for fp in plan.flights:
            for pa in fp.passengers:
                ctx.flight_of.setdefault(pa.person_id, fp.flight_id)
        by: dict[str, list] = defaultdict(list)
        for b in plan.tests:
            by[b.person_id or f"escort:{b.escort_id}:{b.flight_id}"].append(b)
        ctx.bookings = dict(by)
        return ctx

    def known_flights(self) -> Iterator[tuple[FlightPlan, Flight]]:
        for fp in self.plan.flights:
            if fp.flight_id in self.flights:
                yield fp, self.flights[fp.flight_id]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[Context], Iterator[Violation]]


def _v(rule: str, message: str, flight_id: str | None = None, person_id: str | None = None) -> Violation:
    return Violation(rule=rule, message=message, flight_id=flight_id, person_id=person_id)


def check_person_once(ctx: Context) -> Iterator[Violation]:
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
    ids = Counter(fp.flight_id for fp in ctx.plan.flights)
    for fid, n in sorted(ids.items()):
        if fid not in ctx.flights:
            yield _v("known_flight", "flight not in the scenario", flight_id=fid)
        elif n > 1:
            yield _v("known_flight", "flight listed more than once", flight_id=fid)


def check_gates(ctx: Context) -> Iterator[Violation]:
    for fp, flight in ctx.known_flights():
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is None:
                continue
            failure = first_failure(p, ctx.household_of[p.case_id], flight, ctx.scenario)
            if failure is not None:
                yield _v("gates", f"{failure.code}: {failure.message}", fp.flight_id, p.case_id)


def check_destination(ctx: Context) -> Iterator[Violation]:
    for fp, flight in ctx.known_flights():
        stops = {s.airport for s in flight.stops}
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is not None and p.destination not in stops:
                yield _v("destination_served", f"flight does not stop at {p.destination}", fp.flight_id, p.case_id)


def check_household_unity(ctx: Context) -> Iterator[Violation]:
    for h in households(ctx.scenario):
        where = {ctx.flight_of.get(p.case_id) for p in h.members}
        if len(where) > 1:
            placed = ", ".join(f"{p.case_id}→{ctx.flight_of.get(p.case_id) or 'unassigned'}" for p in h.members)
            yield _v("household_unity", f"household {h.id} is split: {placed}", person_id=h.members[0].case_id)


def check_lap_infants(ctx: Context) -> Iterator[Violation]:
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
    for fp, flight in ctx.known_flights():
        try:
            sm = seat_map_of(ctx.scenario, flight)
        except Exception:
            yield _v("seat_capacity", f"unknown aircraft {flight.aircraft}", fp.flight_id)
            continue
        unusable = unusable_seats(ctx.scenario, flight)
        stcr = any(ctx.people[pa.person_id].mobility == "STCR" for pa in fp.passengers if pa.person_id in ctx.people)
        # a stretcher case lies in the zone: its own seat is counted as seated, the rest of the zone as blocked
        zone = max(0, len(set(sm.stretcher_zone) - unusable) - 1) if stcr else 0
        used = _seated(fp) + len(fp.escorts) + len(unusable) + zone
        if used > sm.seat_count:
            message = (f"{_seated(fp)} seated + {len(fp.escorts)} escorts + {len(unusable) + zone} blocked"
                       f" = {used} > {sm.seat_count} seats")
            yield _v("seat_capacity", message, fp.flight_id)


def check_cabin_limits(ctx: Context) -> Iterator[Violation]:
    """Before seating, the linear cabin limits (exit rows, mask blocks, aisle seats, stretcher zones)."""
    for fp, flight in ctx.known_flights():
        if any(pa.seat for pa in fp.passengers):
            continue  # seated flights are checked seat by seat
        members: dict[str, Household] = {}
        for pa in fp.passengers:
            if pa.person_id in ctx.household_of:
                h = ctx.household_of[pa.person_id]
                members[h.id] = h
        limits = flight_limits(ctx.scenario, flight)
        totals = [0] * len(limits)
        for h in members.values():
            for j, u in enumerate(household_usage(ctx.scenario, flight, h)):
                totals[j] += u
        for limit, used in zip(limits, totals, strict=True):
            used += limit.escort_usage * len(fp.escorts)
            if limit.name != "seats" and used > limit.rhs:
                yield _v("cabin_limits", f"{limit.name}: {used} > {limit.rhs}", fp.flight_id)


def check_escorts(ctx: Context) -> Iterator[Violation]:
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


def _window(ctx: Context, flight: Flight, airport: str) -> tuple[datetime, datetime] | None:
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


def check_tests(ctx: Context) -> Iterator[Violation]:
    scenario = ctx.scenario
    sites = {s.id: s for s in scenario.testing_sites}
    schedule = {sid: {(s.start, s.end): s.capacity for s in site_slots(site, scenario, include_past=True)}
                for sid, site in sites.items()}
    needed: dict[str, tuple[Flight, list[tuple[datetime, datetime]], set[str], datetime | None]] = {}
    for fp, flight in ctx.known_flights():
        for pa in fp.passengers:
            p = ctx.people.get(pa.person_id)
            if p is None or is_exempt(p, flight, scenario):
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
        who = key.removeprefix("escort:").split(":")[0]
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
            if b.start < earliest or b.end > latest:
                yield _v("test_slot", f"sample {b.start:%Y-%m-%d %H:%M} is outside the window "
                                      f"{earliest:%Y-%m-%d %H:%M}..{latest:%Y-%m-%d %H:%M}", flight.id, who)
        if not_before is not None and b.start < not_before:
            yield _v("test_slot", f"sample before the isolation end {not_before:%Y-%m-%d}", flight.id, who)
    for key in sorted(ctx.bookings):
        if key not in needed:
            who = key.removeprefix("escort:").split(":")[0]
            yield _v("test_required", "test booked for someone not flying or exempt (or for another flight)",
                     person_id=who)


def check_test_capacity(ctx: Context) -> Iterator[Violation]:
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


def check_reasons(ctx: Context) -> Iterator[Violation]:
    for u in ctx.plan.unassigned:
        if not u.reasons:
            yield _v("reasons", "unassigned without a reason", person_id=u.person_id)
        for r in u.reasons:
            if r.code not in REGISTRY:
                yield _v("reasons", f"unknown reason code {r.code}", person_id=u.person_id)


def check_seating(ctx: Context) -> Iterator[Violation]:
    seated_flights = [fp for fp in ctx.plan.flights if any(pa.seat for pa in fp.passengers)]
    if ctx.plan.stages.seating is not None:
        for fp in ctx.plan.flights:
            missing = [pa.person_id for pa in fp.passengers if pa.lap_of is None and not pa.seat]
            missing += [e.escort_id for e in fp.escorts if not e.seat]
            for pid in missing:
                yield _v("seat_assigned", "no seat after seating ran", fp.flight_id, pid)
    if not seated_flights:
        return
    try:
        from planner.seating_rules import seating_violations
    except ModuleNotFoundError:
        return
    yield from seating_violations(ctx.scenario, ctx.plan)


RULES: list[Rule] = [
    Rule("person_once", "every person appears exactly once: on one flight or unassigned", check_person_once),
    Rule("known_flight", "flights in the plan exist in the scenario, once each", check_known_flight),
    Rule("gates", "every passenger passes every planning gate for their flight", check_gates),
    Rule("destination_served", "the flight stops at the passenger's destination", check_destination),
    Rule("household_unity", "a household flies together or not at all", check_household_unity),
    Rule("lap_infants", "lap infants ride with an adult of their household, one each", check_lap_infants),
    Rule("seat_capacity", "seated passengers + escorts + blocked seats ≤ seats", check_capacity),
    Rule("cabin_limits", "exit-row, mask-block, aisle-seat and stretcher limits before seating", check_cabin_limits),
    Rule("escorts", "escort ratios, availability and turnaround; special categories ≤ able-bodied", check_escorts),
    Rule("tests", "each tested passenger and escort has one valid sample slot", check_tests),
    Rule("test_capacity", "slot and daily lab capacity", check_test_capacity),
    Rule("reasons", "everyone left out has reasons from the registry", check_reasons),
    Rule("seating", "every seating rule of DESIGN §3.2", check_seating),
]


def validate(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every violated hard rule of `plan` for `scenario` (empty when the plan is valid)."""
    ctx = Context.build(scenario, plan)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule.check(ctx))
    return out
