"""COVID-19 testing windows (docs/rules.md#test-windows): who needs a test for which flight, which slots are valid,
and the
slot classes that let allocation treat test capacity as a small flow problem.

A slot [start, end) at a site serving the person's location is valid for person p on flight f iff
start ≥ anchor(p, f) − window_hours and end + lab_turnaround_hours ≤ departure − check_in. It is robust when
start ≥ anchor + delay_margin_hours − window_hours. Sources for the 2021 rules: docs/rules.md#test-windows
([S55]-[S60]).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.model.caseload import Household, age_years, departure_date
from planner.model.scenario import DestinationRule, Escort, Flight, Person, Scenario, TestingSite
from planner.rules.gates import isolation_end


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


def _sites_for(location: str | None, site: str | None, scenario: Scenario) -> tuple[str, ...]:
    """Sites a person or escort may be tested at: their assigned site, else those serving their location."""
    if site is not None:
        return (site,)
    return tuple(sorted(s.id for s in scenario.testing_sites if location is None or location in s.serves))


def _window(anchor_minus_window: datetime, robust: datetime, flight: Flight, sites: tuple[str, ...],
            not_before: datetime | None, scenario: Scenario) -> TestWindow:
    latest = flight.departure - timedelta(minutes=flight.check_in_minutes,
                                          hours=scenario.protocol.lab_turnaround_hours)
    earliest = max(anchor_minus_window, not_before) if not_before else anchor_minus_window
    return TestWindow(sites, earliest, latest, max(robust, earliest))


def person_window(person: Person, household: Household, flight: Flight, scenario: Scenario
                  ) -> TestWindow | None:
    """The test window of a passenger on a flight, or None when exempt."""
    if is_exempt(person, flight, scenario):
        return None
    rule = scenario.protocol.destinations[person.destination]
    anchor = _anchor(rule, flight, person.destination)
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    start = anchor - timedelta(hours=rule.window_hours)
    iso = isolation_end(person, household, scenario)
    not_before = datetime.combine(iso, datetime.min.time(), ZoneInfo(scenario.timezone)) if iso else None
    sites = _sites_for(person.location, person.testing_site, scenario)
    return _window(start, start + margin, flight, sites, not_before, scenario)


def escort_window(escort: Escort, flight: Flight, scenario: Scenario) -> TestWindow | None:
    """Escorts reach every stop, so their sample must satisfy every stop's rule (docs/rules.md#test-windows)."""
    rules = [(scenario.protocol.destinations.get(s.airport), s.airport) for s in flight.stops]
    rules = [(r, a) for r, a in rules if r is not None and r.test != "none"
             and not (r.vaccinated_exempt and escort.vaccinated)]
    if not rules or not scenario.protocol.covid:
        return None
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    start = max(_anchor(r, flight, a) - timedelta(hours=r.window_hours) for r, a in rules)
    sites = _sites_for(escort.location, escort.testing_site, scenario)
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
    groups: dict[tuple, SlotClass] = {}
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


def daily_capacities(scenario: Scenario) -> dict[tuple[str, date], int]:
    """Lab processing capacity per (site, local day), where the site sets one."""
    out: dict[tuple[str, date], int] = {}
    for site in scenario.testing_sites:
        if site.daily_capacity is None:
            continue
        day = site.days.from_
        while day <= site.days.to:
            out[(site.id, day)] = site.daily_capacity
            day += timedelta(days=1)
    return out


def tests_by_site_day(bookings: list[tuple[str, date]]) -> dict[tuple[str, date], int]:
    counts: dict[tuple[str, date], int] = defaultdict(int)
    for key in bookings:
        counts[key] += 1
    return dict(counts)
