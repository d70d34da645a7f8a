"""Options of one household on each flight it may take: what it would use there (cabin, escorts, tests), or
the member reasons why it may not (gates, held back, no valid test slot).

Built once per household and flight for the whole solve, so the work is shared as far as the rules allow: gates
depend on a flight only through its date, cabin usage only through the members' ages and the cabin, and a test
window only through a handful of facts (docs/rules.md#test-windows).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from planner.model.caseload import Household, age_months, age_years, departure_date
from planner.model.documents import document_ready_on
from planner.model.plan import Reason, TestBooking
from planner.model.reasons import reason
from planner.model.scenario import Flight, Person, Scenario
from planner.rules.capacity import household_usage
from planner.rules.escorts import is_medical_case
from planner.rules.gates import failure_signature, isolation_end
from planner.rules.household import household_failure
from planner.rules.lap_infants import lap_pairs
from planner.rules.payload import aircraft_of, payload_limit, standard_masses
from planner.rules.testing_windows import (
    COVID,
    SlotInstance,
    TestWindow,
    check_exempt,
    general_windows,
    is_exempt,
    person_window,
    provider_sites,
)

#: What a passenger's test window depends on: (flight, destination, exempt, isolation end, location, site).
WindowKey = tuple[str, str, bool, date | None, str, str | None]
#: What a passenger's windows of the protocol's own checks depend on: (flight, destination, the checks they need,
#: isolation end, location).
GeneralKey = tuple[str, str, tuple[str, ...], date | None, str]
#: Members' ages on a date, in years and in months (months counted only up to the lap-infant limit, the only
#: rule that reads them), as in hh.members: all the date-dependent rules of an option read of a member's age.
Ages = tuple[tuple[int, int], ...]
#: What of a flight a household's cabin usage reads (`cabin_of`): the cabin itself, or only the standard masses
#: of its payload limit.
CabinKey = tuple[str, ...]
#: What the members' test windows read of them: each member's (destination, exempt, isolation end, location,
#: testing site), sorted.
Profile = tuple[tuple[str, bool, date | None, str, str | None], ...]
#: What a household's test demand on a flight depends on when no sample is kept and the protocol has no checks of
#: its own: (flight, its profile's number in `OptionBuilder._profile_ids`: hashed once, not once per flight).
TestsKey = tuple[str, int]


class Option(NamedTuple):
    """What household h would use on flight f (one per household and flight it may take, 1.6 million at 50,000
    people: without a per-instance dict, and a tuple, which is built in a quarter of a frozen dataclass's time)."""

    flight_id: str
    usage: tuple[int, ...]  # per capacity limit of the flight
    passengers: int  # seated + lap infants (operational escort ratio)
    medical: int
    uasc: int
    tests: tuple[tuple[TestWindow, int], ...]  # windows of its tested members, with counts
    laps: tuple[tuple[str, str], ...]  # (infant, carrier)


@dataclass(frozen=True, slots=True, eq=False)
class Blocked:
    """The member reasons a household may not take a flight (gates, held back, no slot), one object shared by
    every flight they read the same on: gates depend on a flight only through its date, and mostly not on that
    (the failure signature), so a household blocked on 60 flights holds one set of reasons, not 60 (a Reason per
    member and flight was the larger part of the problem build at 50,000 people). `reasons` name the first flight
    they were found for; `on` says them for any one flight."""

    reasons: dict[str, Reason]  # person id -> reason (its code and words; `on` gives the flight)

    def on(self, flight_id: str) -> dict[str, Reason]:
        """The member reasons as said for one flight (built when asked: few readers need them per flight)."""
        return {pid: Reason.model_construct(code=r.code, message=r.message, flights=[flight_id])
                for pid, r in self.reasons.items()}


@dataclass
class HouseholdInfo:
    household: Household
    weight: int
    options: dict[str, Option]  # by flight id, only flights it may take
    blocked: dict[str, Blocked]  # flight id -> member reasons; flights with the same reasons share one object


@dataclass(slots=True)
class _AgesFacts:
    """What a household's options read of its members' ages (the only thing of the date they read once the
    gates pass): found once per household and ages, looked up per flight."""

    ages: Ages
    profile: int  # number of the test profile (TestsKey)
    laps: tuple[tuple[str, str], ...]  # (infant, carrier)
    medical: int
    usages: dict[CabinKey, tuple[int, ...]] = field(default_factory=dict)  # cabin usage by what it reads of a flight


@dataclass
class _HouseholdMemo:
    """What one household's options share across its flights (keyed by the facts each really depends on)."""

    isolated: dict[str, date | None]  # person id -> isolation end
    # dates on which some member's gate outcome may change (docs/rules.md#gates): between two of them every
    # gate compares the same way, so a household that passes on one date passes on all of that span
    gate_breaks: list[date] = field(default_factory=list)
    passes: set[int] = field(default_factory=set)  # spans (index into gate_breaks) on which every member passes
    gates_on: dict[date, Blocked] = field(default_factory=dict)
    gates_by_signature: dict[tuple[tuple[str, str, str], ...], Blocked] = field(default_factory=dict)
    ages_on: dict[date, Ages] = field(default_factory=dict)
    # by ages rather than by date: a household's ages change on a birthday, its flights' dates far more often
    facts_by_ages: dict[Ages, _AgesFacts] = field(default_factory=dict)
    exempt_by_ages: dict[Ages, tuple[bool, ...]] = field(default_factory=dict)  # per member, as in hh.members
    profile_by_ages: dict[Ages, int] = field(default_factory=dict)  # test profile number (TestsKey)
    uasc: int = 0
    stretchers: bool = False  # a stretcher case's extra seats depend on the cabin's layout


class OptionBuilder:
    """Fills `HouseholdInfo.options` and `.blocked`, and collects every test window an option needs (the slot
    classes are built for exactly these). `kept_bookings`: people whose kept sample a re-plan keeps on their
    kept flight, so they need no new test there."""

    def __init__(self, scenario: Scenario, slots: list[SlotInstance], kept_households: Mapping[str, str],
                 kept_bookings: Mapping[str, list[TestBooking]]):
        self.scenario = scenario
        self.slots = slots
        self.kept_households = kept_households
        self.kept_bookings = kept_bookings
        self.windows: set[TestWindow] = set()
        self._slot_found: dict[TestWindow, bool] = {}
        self._windows_of: dict[WindowKey, TestWindow | None] = {}
        self._general_of: dict[GeneralKey, list[tuple[str, TestWindow]]] = {}
        self._tests_of: dict[TestsKey, tuple[tuple[TestWindow, int], ...]] = {}
        self._profile_ids: dict[Profile, int] = {}
        self._cabins: dict[tuple[str, bool], CabinKey] = {}
        self._providers = provider_sites(scenario)
        self._dates: dict[str, date] = {}  # flight id -> local departure date (asked once per household-flight)

    def cabin_of(self, f: Flight, stretchers: bool) -> CabinKey:
        """What `household_usage` reads of the flight beyond its date (docs/rules.md#capacity-limits): the cabin
        (aircraft and blocked seats) for a stretcher case's extra seats or under distancing, otherwise only the
        standard masses of a payload limit. Flights of different aircraft then share a household's usage."""
        key = (f.id, stretchers)
        found = self._cabins.get(key)
        if found is None:
            if stretchers or self.scenario.protocol.seating.distancing:
                found = ("cabin", f.aircraft, *f.blocked_seats)
            elif payload_limit(self.scenario, f) is None:
                found = ("no payload",)
            else:
                found = ("payload", standard_masses(self.scenario, aircraft_of(self.scenario, f)).model_dump_json())
            self._cabins[key] = found
        return found

    def departure(self, f: Flight) -> date:
        """`departure_date`, once per flight rather than once per household and flight."""
        on = self._dates.get(f.id)
        if on is None:
            on = self._dates[f.id] = departure_date(f, self.scenario)
        return on

    def has_slot(self, window: TestWindow) -> bool:
        """Whether any bookable slot is valid for the window (remembered: windows repeat across households)."""
        if window not in self._slot_found:
            self._slot_found[window] = any(window.valid(s) for s in self.slots)
        return self._slot_found[window]

    def window_of(self, p: Person, hh: Household, f: Flight, isolated: date | None,
                  exempt: bool | None = None) -> TestWindow | None:
        """`person_window`, shared by everyone it reads the same of (destination, exemption, isolation end,
        location, testing site): a flight's passengers test in a handful of windows, not one each. `exempt`:
        `is_exempt` of the person on this flight, when the caller knows it already."""
        if exempt is None:
            exempt = is_exempt(p, f, self.scenario)
        key = (f.id, p.destination, exempt, isolated, p.location, p.testing_site)
        if key not in self._windows_of:
            self._windows_of[key] = person_window(p, hh, f, self.scenario)
        return self._windows_of[key]

    def general_windows_of(self, p: Person, hh: Household, f: Flight, isolated: date | None, on: date
                           ) -> list[tuple[str, TestWindow]]:
        """`general_windows`, shared by everyone who needs the same checks from the same place and isolation end
        (docs/health-checks.md); empty at once when the protocol has no checks of its own."""
        if not self.scenario.protocol.checks:
            return []
        checks = [c for c in self.scenario.protocol.checks
                  if c.applies(p.destination, on) and not check_exempt(c, p, on)]
        if not checks:
            return []
        key = (f.id, p.destination, tuple(c.id for c in checks), isolated, p.location)
        if key not in self._general_of:
            self._general_of[key] = general_windows(p, hh, f, self.scenario, checks)
        return self._general_of[key]

    def fill(self, info: HouseholdInfo, serving: list[Flight]) -> None:
        """Options (or the member reasons why not) of one household on the given flights.

        What depends on the date (gates, ages and all that reads them) is asked once per departure date; per
        flight remain the test demand (shared between households, `_tests`) and the cabin usage (per ages and
        cabin), looked up rather than recomputed."""
        hh = info.household
        memo = _HouseholdMemo({p.case_id: isolation_end(p, hh, self.scenario) for p in hh.members})
        memo.gate_breaks = self._gate_breaks(hh, memo.isolated)
        memo.uasc = sum(p.unaccompanied_minor for p in hh.members)
        memo.stretchers = any(p.mobility == "STCR" for p in hh.members)
        shareable = not self.scenario.protocol.checks
        kept = self.kept_households.get(hh.id)
        size = hh.size
        facts_on: dict[date, _AgesFacts | None] = {}  # date -> what the options read, None when a gate fails
        for f in serving:
            fid = f.id
            on = self._dates.get(fid) or self.departure(f)
            if on in facts_on:
                facts = facts_on[on]
            else:
                failed = self._gate_failures(memo, hh, f, on)
                facts = facts_on[on] = None if failed is not None else self._facts(memo, hh, f, on)
            if facts is None:
                info.blocked[fid] = memo.gates_on[on]
                continue
            tests = self._tests_of.get((fid, facts.profile)) if shareable and kept != fid else None
            if tests is None:
                tests, missing = self._tests(memo, hh, f, facts.ages)
                if missing:
                    info.blocked[fid] = _held_back(hh, fid, missing)
                    continue
            # cabin usage depends on the flight only through what it reads of its cabin (`cabin_of`)
            cabin = self._cabins.get((fid, memo.stretchers)) or self.cabin_of(f, memo.stretchers)
            usage = facts.usages.get(cabin)
            if usage is None:
                usage = facts.usages[cabin] = household_usage(self.scenario, f, hh)
            info.options[fid] = Option(fid, usage, size, facts.medical, memo.uasc, tests, facts.laps)

    def _gate_breaks(self, hh: Household, isolated: Mapping[str, date | None]) -> list[date]:
        """The dates on which a member's gate outcome may change (docs/rules.md#gates): the day after a document
        expires, the day a pending document is in hand, the day isolation ends. Every other gate reads no date."""
        breaks: set[date] = set()
        for p in hh.members:
            if p.document_expiry is not None and p.document_expiry < date.max:
                breaks.add(p.document_expiry + timedelta(days=1))
            ready = document_ready_on(p, self.scenario.protocol, self.scenario.as_of.date()) \
                if p.document_status in ("requested", "issued") else None
            if ready is not None:
                breaks.add(ready)
            end = isolated[p.case_id]
            if end is not None:
                breaks.add(end)
        return sorted(breaks)

    def _ages(self, memo: _HouseholdMemo, hh: Household, on: date) -> Ages:
        """Members' ages on `on` (months capped at the lap-infant limit: no rule reads them beyond it)."""
        ages = memo.ages_on.get(on)
        if ages is None:
            cap = self.scenario.protocol.seating.lap_infant_max_months
            ages = memo.ages_on[on] = tuple((age_years(p.date_of_birth, on), min(cap, age_months(p.date_of_birth, on)))
                                            for p in hh.members)
        return ages

    def _gate_failures(self, memo: _HouseholdMemo, hh: Household, f: Flight, on: date) -> Blocked | None:
        """Member reasons the household fails a gate on this flight's date (docs/rules.md#gates), or None; gates
        depend on the flight only through its date, and mostly not on the date at all (the failure signature): a
        household that passes on one date passes on every date of the same span between gate breaks, and dates
        of one signature share one `Blocked` (also left in `memo.gates_on`)."""
        span = bisect_right(memo.gate_breaks, on)
        if span in memo.passes:
            return None
        if on not in memo.gates_on:
            sig = failure_signature(hh, on, self.scenario)
            if not sig:
                memo.passes.add(span)
                return None
            if sig not in memo.gates_by_signature:
                memo.gates_by_signature[sig] = Blocked(household_failure(hh, f, self.scenario))
            memo.gates_on[on] = memo.gates_by_signature[sig]
        found = memo.gates_on[on]
        return found if found.reasons else None

    def _facts(self, memo: _HouseholdMemo, hh: Household, f: Flight, on: date) -> _AgesFacts:
        """What the options on date `on` read of the members (a gate-passing date): lap pairs, medical cases and
        test exemption depend on the date only through the members' ages, so they are found once per ages."""
        ages = self._ages(memo, hh, on)
        facts = memo.facts_by_ages.get(ages)
        if facts is None:
            facts = memo.facts_by_ages[ages] = _AgesFacts(
                ages, self._profile(memo, hh, f, ages), tuple(sorted(lap_pairs(hh, on, self.scenario).items())),
                sum(is_medical_case(p, hh, on) for p in hh.members))
        return facts

    def _profile(self, memo: _HouseholdMemo, hh: Household, f: Flight, ages: Ages) -> int:
        """The number of what the members' test windows read of them (TestsKey); exemption depends on the flight
        only through the members' ages. Households reading the same share the number."""
        number = memo.profile_by_ages.get(ages)
        if number is None:
            exempt = memo.exempt_by_ages[ages] = tuple(is_exempt(p, f, self.scenario) for p in hh.members)
            profile = tuple(sorted((p.destination, e, memo.isolated[p.case_id], p.location, p.testing_site)
                                   for p, e in zip(hh.members, exempt, strict=True)))
            number = memo.profile_by_ages[ages] = self._profile_ids.setdefault(profile, len(self._profile_ids))
        return number

    def _tests(self, memo: _HouseholdMemo, hh: Household, f: Flight, ages: Ages
               ) -> tuple[tuple[tuple[TestWindow, int], ...], dict[str, Reason]]:
        """Test windows of the members who need a new sample for this flight (with counts), and the members whose
        window has no valid slot at all.

        Households whose members read the same (destination, exemption, isolation end, location, site) share
        the result on a flight (`fill` looks it up), when none keeps a sample there and the protocol has no
        checks of its own."""
        profile = self._profile(memo, hh, f, ages)
        exempt = memo.exempt_by_ages[ages]
        kept_here = self.kept_households.get(hh.id) == f.id
        key: TestsKey | None = None
        if not kept_here and not self.scenario.protocol.checks:
            key = (f.id, profile)
            shared = self._tests_of.get(key)
            if shared is not None:
                return shared, {}
        tests: Counter[TestWindow] = Counter()
        missing: dict[str, Reason] = {}
        on = self.departure(f)
        for p, e in zip(hh.members, exempt, strict=True):
            covid = self.window_of(p, hh, f, memo.isolated[p.case_id], e)
            windows = [(COVID, covid)] if covid is not None else []
            windows += self.general_windows_of(p, hh, f, memo.isolated[p.case_id], on)
            kept = self.kept_bookings.get(p.case_id, []) if kept_here else []
            for check, w in windows:
                if any(kept_covers(b, check, w, self._providers) for b in kept):
                    continue
                if not self.has_slot(w) and p.case_id not in missing:
                    where = ", ".join(w.sites) or "no site"
                    span = f"{w.earliest_start:%Y-%m-%d %H:%M}..{w.latest_end:%Y-%m-%d %H:%M}"
                    what = "" if check == COVID else f"check {check}: "
                    missing[p.case_id] = reason("test.no_valid_slot", f.id,
                                                detail=f" ({what}needs a sample {span} at {where})")
                tests[w] += 1
        result = tuple(sorted(tests.items()))
        if not missing:  # the slot classes are built for exactly the windows of some option
            self.windows.update(tests)
            if key is not None:
                self._tests_of[key] = result
        return result, missing


def kept_covers(kept: TestBooking, check: str, window: TestWindow, providers: set[str]) -> bool:
    """Whether a re-plan's kept sample is the one this check needs: a COVID-19 sample at a site no check names,
    another check's sample at one of that window's providers."""
    if check == COVID:
        return kept.site_id not in providers
    return kept.site_id in window.sites


def _held_back(hh: Household, flight_id: str, missing: dict[str, Reason]) -> Blocked:
    """Members without a valid slot keep their reason; the rest of the household is held back by the first."""
    first = min(missing)
    for p in hh.members:
        missing.setdefault(p.case_id, reason("household.held_back", flight_id, member=first,
                                             member_code="test.no_valid_slot"))
    return Blocked(missing)
