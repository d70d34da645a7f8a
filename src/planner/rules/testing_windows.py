"""COVID-19 testing windows (docs/rules.md#test-windows): who needs a test for which flight, which slots are valid,
and the
slot classes that let allocation treat test capacity as a small flow problem.

A slot [start, end) at a site serving the person's location is valid for person p on flight f iff
start ≥ anchor(p, f) − window_hours and end + lab_turnaround_hours ≤ departure − check_in. It is robust when
start ≥ anchor + delay_margin_hours − window_hours. Sources for the 2021 rules: docs/rules.md#test-windows
([S55]-[S60]).

Parameters: `protocol.covid`, `protocol.destinations`, `lab_turnaround_hours`, `delay_margin_hours`. Reason code:
`test.no_valid_slot`. Violation ids: `test_required`, `test_slot`, `test_flight`, `test_in_past`. Slot and
daily lab capacity are `planner.rules.lab_capacity`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.model.caseload import Household, age_years, departure_date
from planner.model.plan import TestBooking
from planner.model.scenario import DestinationRule, Escort, Flight, Person, Scenario, TestingSite
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.gates import isolation_end

REASON = "test.no_valid_slot"


@dataclass(frozen=True)
class SlotInstance:
    site_id: str
    start: datetime
    end: datetime
    capacity: int
    day: date  # local date at the site: the lab's daily capacity counts per day


@dataclass(frozen=True, order=True)
class TestWindow:
    """Everything that decides which slots are valid for one passenger on one flight."""

    __test__ = False

    sites: tuple[str, ...]
    earliest_start: datetime
    latest_end: datetime
    robust_start: datetime

    def valid(self, slot: SlotInstance) -> bool:
        return slot.site_id in self.sites and slot.start >= self.earliest_start and slot.end <= self.latest_end

    def robust(self, slot: SlotInstance) -> bool:
        return slot.start >= self.robust_start


def site_timezone(site: TestingSite, scenario: Scenario) -> ZoneInfo:
    return ZoneInfo(site.timezone or scenario.timezone)


def site_slots(site: TestingSite, scenario: Scenario, include_past: bool = False) -> list[SlotInstance]:
    """Bookable slots of a site: explicit ones, or generated from its days and hours, minus closed periods;
    none before `as_of` unless `include_past` (samples already taken stay valid in a re-plan)."""
    tz = site_timezone(site, scenario)
    out: list[SlotInstance] = []
    if site.slots is not None:
        for s in site.slots:
            cap = site.capacity_per_slot if s.capacity is None else s.capacity
            out.append(SlotInstance(site.id, s.start, s.end, cap, s.start.astimezone(tz).date()))
    else:
        day = site.days.from_
        step = timedelta(minutes=site.slot_minutes)
        while day <= site.days.to:
            start = datetime.combine(day, site.open, tz)
            close = datetime.combine(day, site.close, tz)
            while start + step <= close:
                out.append(SlotInstance(site.id, start, start + step, site.capacity_per_slot, day))
                start += step
            day += timedelta(days=1)
    def open_(s: SlotInstance) -> bool:
        return not any(s.start < c.end and c.start < s.end for c in site.closed)

    return sorted((s for s in out if (include_past or s.start >= scenario.as_of) and s.capacity > 0 and open_(s)),
                  key=lambda s: s.start)


def all_slots(scenario: Scenario) -> list[SlotInstance]:
    return [s for site in sorted(scenario.testing_sites, key=lambda x: x.id) for s in site_slots(site, scenario)]


def stop_arrival(flight: Flight, airport: str) -> datetime | None:
    return next((s.arrival for s in flight.stops if s.airport == airport), None)


def _anchor(rule: DestinationRule, flight: Flight, airport: str) -> datetime:
    if rule.anchor == "arrival":
        return stop_arrival(flight, airport) or flight.departure
    return flight.departure


def is_exempt(person: Person, flight: Flight, scenario: Scenario) -> bool:
    """No test needed: no rule or a 'none' rule for the destination, under the age limit, or vaccinated
    where the destination exempts the vaccinated."""
    rule = scenario.protocol.destinations.get(person.destination)
    if rule is None or rule.test == "none" or not scenario.protocol.covid:
        return True
    if age_years(person.date_of_birth, departure_date(flight, scenario)) < rule.exempt_under_years:
        return True
    return rule.vaccinated_exempt and person.vaccinated


def window_start(rule: DestinationRule, flight: Flight, airport: str) -> datetime:
    """The earliest sample start a destination's rule allows: its anchor − `window_hours`."""
    return _anchor(rule, flight, airport) - timedelta(hours=rule.window_hours)


def latest_end(flight: Flight, scenario: Scenario) -> datetime:
    """The latest sample end: the result is back before check-in closes (departure − check-in − lab turnaround)."""
    return flight.departure - timedelta(minutes=flight.check_in_minutes, hours=scenario.protocol.lab_turnaround_hours)


def not_before(person: Person, household: Household, scenario: Scenario) -> datetime | None:
    """A new sample is taken no earlier than midnight of the isolation end (scenario timezone)."""
    iso = isolation_end(person, household, scenario)
    return datetime.combine(iso, datetime.min.time(), ZoneInfo(scenario.timezone)) if iso else None


def escort_rules(escort: Escort, flight: Flight, scenario: Scenario) -> list[tuple[DestinationRule, str]]:
    """The stop rules an escort's sample must satisfy: every tested stop, less those exempting the vaccinated."""
    if not scenario.protocol.covid:
        return []
    rules = [(scenario.protocol.destinations.get(s.airport), s.airport) for s in flight.stops]
    return [(r, a) for r, a in rules if r is not None and r.test != "none"
            and not (r.vaccinated_exempt and escort.vaccinated)]


def sites_for(location: str | None, site: str | None, scenario: Scenario) -> tuple[str, ...]:
    """Sites a person or escort may be tested at: their assigned site, else those serving their location."""
    if site is not None:
        return (site,)
    return tuple(sorted(s.id for s in scenario.testing_sites if location is None or location in s.serves))


def _window(anchor_minus_window: datetime, robust: datetime, flight: Flight, sites: tuple[str, ...],
            not_before: datetime | None, scenario: Scenario) -> TestWindow:
    latest = latest_end(flight, scenario)
    earliest = max(anchor_minus_window, not_before) if not_before else anchor_minus_window
    return TestWindow(sites, earliest, latest, max(robust, earliest))


def person_window(person: Person, household: Household, flight: Flight, scenario: Scenario
                  ) -> TestWindow | None:
    """The test window of a passenger on a flight, or None when exempt."""
    if is_exempt(person, flight, scenario):
        return None
    rule = scenario.protocol.destinations[person.destination]
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    start = window_start(rule, flight, person.destination)
    sites = sites_for(person.location, person.testing_site, scenario)
    return _window(start, start + margin, flight, sites, not_before(person, household, scenario), scenario)


def escort_window(escort: Escort, flight: Flight, scenario: Scenario) -> TestWindow | None:
    """Escorts reach every stop, so their sample must satisfy every stop's rule (docs/rules.md#test-windows)."""
    rules = escort_rules(escort, flight, scenario)
    if not rules:
        return None
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    start = max(window_start(r, flight, a) for r, a in rules)
    sites = sites_for(escort.location, escort.testing_site, scenario)
    return _window(start, start + margin, flight, sites, None, scenario)


@dataclass
class SlotClass:
    """Slots of one site-day that are valid for exactly the same windows (and robust for the same ones)."""

    site_id: str
    day: date
    slots: list[SlotInstance]
    valid: frozenset[TestWindow]
    robust: frozenset[TestWindow]

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots)


def slot_classes(windows: set[TestWindow], slots: list[SlotInstance]) -> list[SlotClass]:
    """Group slots by site-day and validity signature; slots valid for no window are dropped."""
    groups: dict[tuple[str, date, tuple[TestWindow, ...], tuple[TestWindow, ...]], SlotClass] = {}
    ordered = sorted(windows)
    for slot in slots:
        valid = frozenset(w for w in ordered if w.valid(slot))
        if not valid:
            continue
        robust = frozenset(w for w in valid if w.robust(slot))
        key = (slot.site_id, slot.day, tuple(sorted(valid)), tuple(sorted(robust)))
        cls = groups.get(key)
        if cls is None:
            groups[key] = SlotClass(slot.site_id, slot.day, [slot], valid, robust)
        else:
            cls.slots.append(slot)
    return sorted(groups.values(), key=lambda c: (c.site_id, c.day, c.slots[0].start))


# ---------------------------------------------------------------- checks


@dataclass(frozen=True)
class _Need:
    """One sample the plan needs: for whom, on which flight, inside which windows, at which sites."""

    who: str
    flight: Flight
    windows: tuple[tuple[datetime, datetime], ...]
    sites: tuple[str, ...]
    not_before: datetime | None


def _needs(ctx: Context) -> tuple[dict[str, _Need], set[str]]:
    """Samples needed, by booking key, and the passengers exempt on their flight."""
    scenario = ctx.scenario
    needed: dict[str, _Need] = {}
    exempt: set[str] = set()
    for fp, flight in ctx.known_flights():
        latest = latest_end(flight, scenario)
        for p in ctx.on_board(fp):
            if is_exempt(p, flight, scenario):
                exempt.add(p.case_id)
                continue
            rule = scenario.protocol.destinations[p.destination]
            needed[p.case_id] = _Need(p.case_id, flight, ((window_start(rule, flight, p.destination), latest),),
                                      sites_for(p.location, p.testing_site, scenario),
                                      not_before(p, ctx.household_of[p.case_id], scenario))
        for e in fp.escorts:
            escort = ctx.escorts.get(e.escort_id)
            rules = escort_rules(escort, flight, scenario) if escort is not None else []
            if escort is not None and rules:
                needed[f"escort:{escort.id}:{flight.id}"] = _Need(
                    escort.id, flight, tuple((window_start(r, flight, a), latest) for r, a in rules),
                    sites_for(escort.location, escort.testing_site, scenario), None)
    return needed, exempt


def _slot_problems(need: _Need, b: TestBooking, grid: set[tuple[datetime, datetime]]) -> Iterator[str]:
    if b.site_id not in need.sites:
        yield f"site {b.site_id} is not one this person may be tested at"
    if (b.start, b.end) not in grid:
        yield f"{b.start:%Y-%m-%d %H:%M} is not a bookable slot of {b.site_id}"
    for earliest, latest in need.windows:
        if b.start < earliest:
            yield f"sample {b.start:%Y-%m-%d %H:%M} is before the window opens {earliest:%Y-%m-%d %H:%M}"
        if b.end > latest:
            yield (f"sample ends {b.end:%Y-%m-%d %H:%M}, after the latest end {latest:%Y-%m-%d %H:%M} "
                   "(departure − check-in − lab turnaround)")
    if need.not_before is not None and b.start < need.not_before:
        yield f"sample before the isolation end {need.not_before:%Y-%m-%d}"


def check_tests(ctx: Context) -> Iterator[Violation]:
    """Each tested passenger and escort has exactly one sample, at a site serving them, on the site's slot grid,
    inside the destination's window and after any isolation; nobody else has one."""
    sites = {s.id: s for s in ctx.scenario.testing_sites}
    grid = {sid: {(s.start, s.end) for s in site_slots(site, ctx.scenario, include_past=True)}
            for sid, site in sites.items()}
    needed, exempt = _needs(ctx)
    for key, need in sorted(needed.items()):
        books = ctx.bookings.get(key, [])
        if len(books) != 1:
            yield violation("test_required", f"{len(books)} test bookings, exactly one needed", need.flight.id,
                            need.who)
        elif books[0].site_id not in sites:
            yield violation("test_slot", f"unknown testing site {books[0].site_id}", need.flight.id, need.who)
        else:
            for message in _slot_problems(need, books[0], grid[books[0].site_id]):
                yield violation("test_slot", message, need.flight.id, need.who)
    for key in sorted(set(ctx.bookings) - set(needed)):
        if key in exempt:
            why = "test booked for a passenger who is exempt on their flight"
        elif key.startswith("escort:"):
            why = "test booked for an escort not on that flight, or not needing a test for it"
        else:
            why = "test booked for someone not on any flight"
        yield violation("test_required", why, person_id=key.removeprefix("escort:").split(":")[0])


def check_test_flight(ctx: Context) -> Iterator[Violation]:
    """A passenger's booking names the flight they are on: a sample for another flight's window proves nothing."""
    for b in ctx.plan.tests:
        if b.person_id is None or b.person_id not in ctx.flight_of:
            continue
        if b.flight_id != ctx.flight_of[b.person_id]:
            yield violation("test_flight", f"booking is for flight {b.flight_id}, the person is on "
                                           f"{ctx.flight_of[b.person_id]}", ctx.flight_of[b.person_id], b.person_id)


def _same_booking(a: TestBooking, b: TestBooking) -> bool:
    return (a.person_id, a.escort_id, a.site_id, a.start, a.end) == (b.person_id, b.escort_id, b.site_id, b.start,
                                                                       b.end)


def check_past_bookings(ctx: Context) -> Iterator[Violation]:
    """Slots before `as_of` cannot be booked; a sample already taken may be carried over.

    With `previous` known, a booking starting before `as_of` must be the one the previous plan had for the same
    person (or escort), at the same site and time. Without `previous` a carried-over sample cannot be told from
    a new one, and it is accepted; pass `previous` (an empty plan for a first plan) to make the rule exact.
    """
    if ctx.previous is None:
        return
    as_of = ctx.scenario.as_of
    old = list(ctx.previous.tests)
    for b in sorted(ctx.plan.tests, key=lambda b: (b.start, b.person_id or "", b.escort_id or "")):
        if b.start >= as_of or any(_same_booking(b, o) for o in old):
            continue
        fid = ctx.flight_of.get(b.person_id) if b.person_id else b.flight_id
        yield violation("test_in_past", f"sample slot {b.start:%Y-%m-%d %H:%M} is before as_of "
                                        f"{as_of:%Y-%m-%d %H:%M} and was not booked in the previous plan", fid,
                        b.person_id or b.escort_id)


CHECKS = (PlanCheck(("test_required", "test_slot"), check_tests), PlanCheck(("test_flight",), check_test_flight),
          PlanCheck(("test_in_past",), check_past_bookings))
SEAT_CHECKS = ()

