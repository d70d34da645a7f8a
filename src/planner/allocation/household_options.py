"""Options of one household on each flight it may take: what it would use there (cabin, escorts, tests), or
the member reasons why it may not (gates, held back, no valid test slot).

Built once per household and flight for the whole solve, so the work is shared as far as the rules allow: gates
depend on a flight only through its date, cabin usage only through the members' ages and the cabin, and a test
window only through a handful of facts (docs/rules.md#test-windows).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from planner.model.caseload import Household, age_months, age_years, departure_date
from planner.model.plan import Reason, TestBooking
from planner.model.reasons import reason
from planner.model.scenario import Flight, Person, Scenario
from planner.rules.capacity import household_usage
from planner.rules.escorts import is_medical_case
from planner.rules.gates import failure_signature, isolation_end
from planner.rules.household import household_failure
from planner.rules.lap_infants import lap_pairs
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
#: What a household's cabin usage depends on: (members' ages in years and months, aircraft, blocked seats).
UsageKey = tuple[tuple[tuple[int, int], ...], str, tuple[str, ...]]


@dataclass(frozen=True)
class Option:
    """What household h would use on flight f."""

    flight_id: str
    usage: tuple[int, ...]  # per capacity limit of the flight
    passengers: int  # seated + lap infants (operational escort ratio)
    medical: int
    uasc: int
    tests: tuple[tuple[TestWindow, int], ...]  # windows of its tested members, with counts
    laps: tuple[tuple[str, str], ...]  # (infant, carrier)


@dataclass
class HouseholdInfo:
    household: Household
    weight: int
    options: dict[str, Option]  # by flight id, only flights it may take
    blocked: dict[str, dict[str, Reason]]  # flight id -> member reasons (gates, held back, no slot)


@dataclass
class _HouseholdMemo:
    """What one household's options share across its flights (keyed by the facts each really depends on)."""

    isolated: dict[str, date | None]  # person id -> isolation end
    gates_on: dict[date, dict[str, Reason]] = field(default_factory=dict)
    gates_by_signature: dict[tuple[tuple[str, str, str], ...], dict[str, Reason]] = field(default_factory=dict)
    usages: dict[UsageKey, tuple[int, ...]] = field(default_factory=dict)
    laps_on: dict[date, dict[str, str]] = field(default_factory=dict)
    ages_on: dict[date, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    exempt_on: dict[date, tuple[bool, ...]] = field(default_factory=dict)  # per member, as in hh.members
    medical_on: dict[date, int] = field(default_factory=dict)


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
        self._providers = provider_sites(scenario)
        self._dates: dict[str, date] = {}  # flight id -> local departure date (asked once per household-flight)

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
        """Options (or the member reasons why not) of one household on the given flights."""
        hh = info.household
        memo = _HouseholdMemo({p.case_id: isolation_end(p, hh, self.scenario) for p in hh.members})
        for f in serving:
            on = self.departure(f)
            failed = self._gate_failures(memo, hh, f, on)
            if failed:
                info.blocked[f.id] = failed
                continue
            tests, missing = self._tests(memo, hh, f, on)
            if missing:
                info.blocked[f.id] = _held_back(hh, f.id, missing)
                continue
            self.windows.update(tests)
            info.options[f.id] = self._option(memo, hh, f, on, tests)

    def _gate_failures(self, memo: _HouseholdMemo, hh: Household, f: Flight, on: date) -> dict[str, Reason]:
        """Member reasons the household fails a gate on this flight (docs/rules.md#gates); gates depend on the
        flight only through its date, and mostly not on the date at all (the failure signature)."""
        if on not in memo.gates_on:
            sig = failure_signature(hh, on, self.scenario)
            if sig not in memo.gates_by_signature:
                memo.gates_by_signature[sig] = household_failure(hh, f, self.scenario) if sig else {}
            memo.gates_on[on] = memo.gates_by_signature[sig]
        # one Reason per member and flight; built without pydantic's copy machinery
        # (a quarter of the gate time at 20,000 people): the fields are the validated ones, the flight id a str
        return {pid: Reason.model_construct(code=r.code, message=r.message, flights=[f.id])
                for pid, r in memo.gates_on[on].items()}

    def _tests(self, memo: _HouseholdMemo, hh: Household, f: Flight, on: date
               ) -> tuple[Counter[TestWindow], dict[str, Reason]]:
        """Test windows of the members who need a new sample for this flight, and the members whose window has
        no valid slot at all (exemption depends on the flight only through its date: asked once per date)."""
        tests: Counter[TestWindow] = Counter()
        missing: dict[str, Reason] = {}
        kept_here = self.kept_households.get(hh.id) == f.id
        if on not in memo.exempt_on:
            memo.exempt_on[on] = tuple(is_exempt(p, f, self.scenario) for p in hh.members)
        for p, exempt in zip(hh.members, memo.exempt_on[on], strict=True):
            covid = self.window_of(p, hh, f, memo.isolated[p.case_id], exempt)
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
        return tests, missing

    def _option(self, memo: _HouseholdMemo, hh: Household, f: Flight, on: date,
                tests: Counter[TestWindow]) -> Option:
        """The option of a household that passes every gate and can be tested; cabin usage depends on the date
        only through the members' ages, and on the flight through its cabin, so it is computed once per
        household and cabin rather than once per departure date."""
        if on not in memo.laps_on:
            memo.laps_on[on] = lap_pairs(hh, on, self.scenario)
        if on not in memo.ages_on:
            memo.ages_on[on] = tuple((age_years(p.date_of_birth, on), age_months(p.date_of_birth, on))
                                     for p in hh.members)
        usage_key = (memo.ages_on[on], f.aircraft, tuple(f.blocked_seats))
        if usage_key not in memo.usages:
            memo.usages[usage_key] = household_usage(self.scenario, f, hh)
        if on not in memo.medical_on:
            memo.medical_on[on] = sum(is_medical_case(p, hh, on) for p in hh.members)
        return Option(
            flight_id=f.id,
            usage=memo.usages[usage_key],
            passengers=hh.size,
            medical=memo.medical_on[on],
            uasc=sum(p.unaccompanied_minor for p in hh.members),
            tests=tuple(sorted(tests.items())),
            laps=tuple(sorted(memo.laps_on[on].items())),
        )


def kept_covers(kept: TestBooking, check: str, window: TestWindow, providers: set[str]) -> bool:
    """Whether a re-plan's kept sample is the one this check needs: a COVID-19 sample at a site no check names,
    another check's sample at one of that window's providers."""
    if check == COVID:
        return kept.site_id not in providers
    return kept.site_id in window.sites


def _held_back(hh: Household, flight_id: str, missing: dict[str, Reason]) -> dict[str, Reason]:
    """Members without a valid slot keep their reason; the rest of the household is held back by the first."""
    first = min(missing)
    for p in hh.members:
        missing.setdefault(p.case_id, reason("household.held_back", flight_id, member=first,
                                             member_code="test.no_valid_slot"))
    return missing
