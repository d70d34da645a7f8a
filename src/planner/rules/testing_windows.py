"""Health-check windows (docs/health-checks.md, docs/rules.md#test-windows): who needs which check for which
flight, which slots are valid, and the slot classes that let allocation treat check capacity as a small flow
problem.

A slot [start, end) at a site doing check c and serving the person's location is valid for person p on flight f
iff start ≥ anchor(p, f) − window_hours and end ≤ min(anchor − closes_hours, departure − check_in −
turnaround_hours). It is robust when start ≥ anchor − window_hours + the robust margin. The COVID-19 fields of
the protocol are one configuration of such checks (`covid_check`): PCR or antigen per destination, the lab
turnaround, the delay margin as robust margin, at the sites no other check names. Sources for the 2021 rules:
docs/rules.md#test-windows ([S55]-[S60]).

Parameters: `protocol.covid`, `protocol.destinations`, `lab_turnaround_hours`, `delay_margin_hours`,
`protocol.checks`. Reason code: `test.no_valid_slot`. Violation ids: `test_required`, `test_slot`,
`test_flight`, `test_in_past`. Slot and daily provider capacity are `planner.rules.lab_capacity`; the order of
prerequisite checks is `planner.rules.health_checks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from planner.model.caseload import Household, age_years, departure_date
from planner.model.health_checks import HealthCheck
from planner.model.plan import TestBooking
from planner.model.scenario import DestinationRule, Escort, Flight, Person, Scenario, TestingSite
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, booking_key, violation
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


def _anchor(rule: DestinationRule | HealthCheck, flight: Flight, airport: str) -> datetime:
    if rule.anchor == "arrival":
        return stop_arrival(flight, airport) or flight.departure
    return flight.departure


#: The id every check of the COVID-19 configuration carries (one per destination rule; a passenger flies to one
#: destination, so at most one of them applies to them).
COVID = "covid"


def covid_check(airport: str, scenario: Scenario) -> HealthCheck | None:
    """The COVID-19 fields of the protocol for one destination, read as a health check (docs/health-checks.md):
    test, window and anchor from the destination's rule, the lab turnaround, the delay margin as the robust
    margin, its exemptions, and the testing sites no other check names as its providers."""
    protocol = scenario.protocol
    rule = protocol.destinations.get(airport)
    if rule is None or rule.test == "none" or not protocol.covid:
        return None
    return _covid_check(airport, rule.test, rule.window_hours, rule.anchor, rule.exempt_under_years,
                        rule.vaccinated_exempt, protocol.lab_turnaround_hours, protocol.delay_margin_hours)


@lru_cache(maxsize=1024)
def _covid_check(airport: str, test: str, window_hours: int, anchor: str, under: int, vaccinated: bool,
                 turnaround: int, margin: int) -> HealthCheck:
    """One check per distinct rule, built once: a window is asked for every passenger (the caller must not
    change the check it gets)."""
    return HealthCheck.model_construct(
        id=COVID, kind="pcr" if test == "PCR" else "antigen", destinations=[airport], period=None,
        window_hours=window_hours, closes_hours=0, anchor=anchor, turnaround_hours=turnaround,
        robust_margin_hours=margin, exempt_under_years=under, exempt_vaccinated=vaccinated, providers=[],
        prerequisite=None)


def check_exempt(check: HealthCheck, person: Person, on: date) -> bool:
    """Exempt from a check: under its age limit on the departure date, or vaccinated where it exempts them."""
    if check.exempt_under_years and age_years(person.date_of_birth, on) < check.exempt_under_years:
        return True
    return check.exempt_vaccinated and person.vaccinated


def is_exempt(person: Person, flight: Flight, scenario: Scenario) -> bool:
    """No COVID-19 test needed: no rule or a 'none' rule for the destination, under the age limit, or vaccinated
    where the destination exempts the vaccinated (`check_exempt` of `covid_check`, read off the rule directly:
    asked for every member and flight date)."""
    rule = scenario.protocol.destinations.get(person.destination)
    if rule is None or rule.test == "none" or not scenario.protocol.covid:
        return True
    if age_years(person.date_of_birth, departure_date(flight, scenario)) < rule.exempt_under_years:
        return True
    return rule.vaccinated_exempt and person.vaccinated


def general_checks(person: Person, flight: Flight, scenario: Scenario) -> list[HealthCheck]:
    """The protocol's own checks (beyond the COVID-19 configuration) that apply to the person on the flight and
    from which they are not exempt, in the protocol's order."""
    if not scenario.protocol.checks:
        return []
    on = departure_date(flight, scenario)
    return [c for c in scenario.protocol.checks
            if c.applies(person.destination, on) and not check_exempt(c, person, on)]


def window_start(rule: DestinationRule | HealthCheck, flight: Flight, airport: str) -> datetime:
    """The earliest sample start a destination's rule allows: its anchor − `window_hours`."""
    return _anchor(rule, flight, airport) - timedelta(hours=rule.window_hours)


def latest_end(flight: Flight, scenario: Scenario) -> datetime:
    """The latest sample end: the result is back before check-in closes (departure − check-in − lab turnaround)."""
    return flight.departure - timedelta(minutes=flight.check_in_minutes, hours=scenario.protocol.lab_turnaround_hours)


def check_latest_end(check: HealthCheck, flight: Flight, airport: str) -> datetime:
    """The latest end of a check's sample: `closes_hours` before its anchor, and early enough for the result to
    be in, `turnaround_hours` later, before check-in closes."""
    result_by = flight.departure - timedelta(minutes=flight.check_in_minutes, hours=check.turnaround_hours)
    return min(_anchor(check, flight, airport) - timedelta(hours=check.closes_hours), result_by)


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


def provider_sites(scenario: Scenario) -> set[str]:
    """Sites that are a check's providers: they do that check only, never the COVID-19 configuration's."""
    return {site for c in scenario.protocol.checks for site in c.providers}


def sites_for(location: str | None, site: str | None, scenario: Scenario) -> tuple[str, ...]:
    """Sites a person or escort may be tested at (COVID-19 configuration): their assigned site, else those
    serving their location that are not another check's providers."""
    if site is not None:
        return (site,)
    taken = provider_sites(scenario)
    return tuple(sorted(s.id for s in scenario.testing_sites
                        if (location is None or location in s.serves) and s.id not in taken))


def check_sites(check: HealthCheck, location: str, scenario: Scenario) -> tuple[str, ...]:
    """A check's providers that serve the location (the COVID-19 configuration: `sites_for`)."""
    return tuple(sorted(s.id for s in scenario.testing_sites if s.id in check.providers and location in s.serves))


def _window(anchor_minus_window: datetime, robust: datetime, flight: Flight, sites: tuple[str, ...],
            not_before: datetime | None, scenario: Scenario, latest: datetime | None = None) -> TestWindow:
    latest = latest_end(flight, scenario) if latest is None else latest
    earliest = max(anchor_minus_window, not_before) if not_before else anchor_minus_window
    return TestWindow(sites, earliest, latest, max(robust, earliest))


def person_window(person: Person, household: Household, flight: Flight, scenario: Scenario
                  ) -> TestWindow | None:
    """The COVID-19 test window of a passenger on a flight, or None when exempt: the window of the destination's
    `covid_check`, at the sites the person is tested at (`sites_for`). Its latest end is departure − check-in −
    lab turnaround, as an arrival anchor is never before the departure."""
    if is_exempt(person, flight, scenario):
        return None
    check = covid_check(person.destination, scenario)
    assert check is not None  # not exempt: the destination has a COVID-19 rule
    start = window_start(check, flight, person.destination)
    sites = sites_for(person.location, person.testing_site, scenario)
    return _window(start, start + timedelta(hours=check.robust_margin_hours), flight, sites,
                   not_before(person, household, scenario), scenario,
                   check_latest_end(check, flight, person.destination))


def _prerequisite_split(first: TestWindow, turnaround: int, then: TestWindow, as_of: datetime
                        ) -> tuple[TestWindow, TestWindow]:
    """Windows in which any sample of `first` has its result in before any sample of `then` starts: the span
    from the first bookable moment of `first` (plus its turnaround) to the end of `then` is cut at the full hour
    at or before its middle (docs/health-checks.md#prerequisites)."""
    lo = max(first.earliest_start, as_of) + timedelta(hours=turnaround)
    hi = then.latest_end
    cut = lo + (hi - lo) / 2 if hi > lo else lo
    cut = cut.replace(minute=0, second=0, microsecond=0)
    first_latest = min(first.latest_end, cut - timedelta(hours=turnaround))
    then_earliest = max(then.earliest_start, cut)
    return (replace(first, latest_end=first_latest, robust_start=min(first.robust_start, first_latest)),
            replace(then, earliest_start=then_earliest, robust_start=max(then.robust_start, then_earliest)))


def general_windows(person: Person, household: Household, flight: Flight, scenario: Scenario,
                    checks: list[HealthCheck] | None = None, split: bool = True) -> list[tuple[str, TestWindow]]:
    """(check id, window) of each of the protocol's own checks the passenger needs for the flight; with `split`
    (the planner's windows), a check whose prerequisite is also needed starts only after the prerequisite's
    result is in. The validator reads the unsplit windows and checks the order of the bookings instead."""
    checks = general_checks(person, flight, scenario) if checks is None else checks
    if not checks:
        return []
    after = not_before(person, household, scenario)
    windows: dict[str, TestWindow] = {}
    for c in checks:
        start = window_start(c, flight, person.destination)
        windows[c.id] = _window(start, start + timedelta(hours=c.robust_margin_hours), flight,
                                check_sites(c, person.location, scenario), after, scenario,
                                check_latest_end(c, flight, person.destination))
    by_id = {c.id: c for c in checks}
    for c in checks:
        first = by_id.get(c.prerequisite or "")
        if first is not None and split:
            windows[first.id], windows[c.id] = _prerequisite_split(windows[first.id], first.turnaround_hours,
                                                                   windows[c.id], scenario.as_of)
    return [(c.id, windows[c.id]) for c in checks]


def person_windows(person: Person, household: Household, flight: Flight, scenario: Scenario, split: bool = True
                   ) -> list[tuple[str, TestWindow]]:
    """(check id, window) of every check the passenger needs for the flight: the COVID-19 configuration's
    first, then the protocol's own checks (`split` as for `general_windows`)."""
    covid = person_window(person, household, flight, scenario)
    out = [(COVID, covid)] if covid is not None else []
    return out + general_windows(person, household, flight, scenario, split=split)


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
    check: str = COVID
    latest_why: str = "departure − check-in − lab turnaround"


def need_key(person_or_escort_key: str, check: str) -> str:
    """Bookings and needs by who and which check: a COVID-19 sample by the booking key alone (as before checks
    were general), any other check's as `<key>#<check id>`."""
    return person_or_escort_key if check == COVID else f"{person_or_escort_key}#{check}"


def bookings_by_check(ctx: Context) -> dict[str, list[TestBooking]]:
    """The plan's bookings by `need_key`: a booking is for the check whose provider its site is (a site no check
    names does the COVID-19 configuration's tests)."""
    check_of = ctx.scenario.protocol.check_of_site()
    if not check_of:
        return ctx.bookings
    out: dict[str, list[TestBooking]] = {}
    for b in ctx.plan.tests:
        out.setdefault(need_key(booking_key(b), check_of.get(b.site_id, COVID)), []).append(b)
    return out


def _general_needs(ctx: Context, p: Person, flight: Flight, needed: dict[str, _Need]) -> None:
    """The samples of the protocol's own checks a passenger needs, in each check's own (unsplit) window."""
    scenario = ctx.scenario
    checks = general_checks(p, flight, scenario)
    after = not_before(p, ctx.household_of[p.case_id], scenario) if checks else None
    for check in checks:
        window = (window_start(check, flight, p.destination), check_latest_end(check, flight, p.destination))
        needed[need_key(p.case_id, check.id)] = _Need(
            p.case_id, flight, (window,), check_sites(check, p.location, scenario), after, check.id,
            f"{check.closes_hours} h before the {check.anchor}, and its result in before check-in")


def _needs(ctx: Context) -> tuple[dict[str, _Need], set[str]]:
    """Samples needed, by `need_key`, and the passengers exempt from the COVID-19 test on their flight."""
    scenario = ctx.scenario
    needed: dict[str, _Need] = {}
    exempt: set[str] = set()
    for fp, flight in ctx.known_flights():
        latest = latest_end(flight, scenario)
        for p in ctx.on_board(fp):
            _general_needs(ctx, p, flight, needed)
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
                   f"({need.latest_why})")
    if need.not_before is not None and b.start < need.not_before:
        yield f"sample before the isolation end {need.not_before:%Y-%m-%d}"


def _unneeded(key: str, exempt: set[str]) -> str:
    """Why a booking nobody needs is wrong, in words."""
    if "#" in key:
        return (f"check {key.split('#')[1]} booked for someone it does not apply to on their flight, who is exempt "
                "from it, or who is not on any flight")
    if key in exempt:
        return "test booked for a passenger who is exempt on their flight"
    if key.startswith("escort:"):
        return "test booked for an escort not on that flight, or not needing a test for it"
    return "test booked for someone not on any flight"


def check_tests(ctx: Context) -> Iterator[Violation]:
    """Each tested passenger and escort has exactly one sample per check they need (the COVID-19 configuration's
    and the protocol's own checks, docs/health-checks.md), at a site doing that check and serving them, on the
    site's slot grid, inside the check's window and after any isolation; nobody else has one."""
    sites = {s.id: s for s in ctx.scenario.testing_sites}
    grid = {sid: {(s.start, s.end) for s in site_slots(site, ctx.scenario, include_past=True)}
            for sid, site in sites.items()}
    needed, exempt = _needs(ctx)
    bookings = bookings_by_check(ctx)
    for key, need in sorted(needed.items()):
        books = bookings.get(key, [])
        if len(books) != 1:
            what = "test bookings" if need.check == COVID else f"bookings for check {need.check}"
            yield violation("test_required", f"{len(books)} {what}, exactly one needed", need.flight.id, need.who)
        elif books[0].site_id not in sites:
            yield violation("test_slot", f"unknown testing site {books[0].site_id}", need.flight.id, need.who)
        else:
            for message in _slot_problems(need, books[0], grid[books[0].site_id]):
                yield violation("test_slot", message, need.flight.id, need.who)
    for key in sorted(set(bookings) - set(needed)):
        yield violation("test_required", _unneeded(key, exempt),
                        person_id=key.split("#")[0].removeprefix("escort:").split(":")[0])


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

