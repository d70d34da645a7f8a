"""Re-planning with minimal disruption (docs/rules.md#re-plan-stability): what a new plan keeps from the previous one,
and the
difference between two plans per person.

Households an event does not touch keep their flight (hard) and their samples while they stay valid;
flights that departed before `as_of`, and flights the previous plan marks as locked (published), take nobody
new unless unlocked on purpose; freed capacity is filled from the unassigned pool by priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from planner.allocation.household_options import kept_covers
from planner.allocation.problem import Fixed
from planner.model.caseload import households
from planner.model.plan import FlightPlan, Plan, TestBooking
from planner.model.scenario import Scenario
from planner.rules.gates import serves
from planner.rules.household import household_failure
from planner.rules.testing_windows import SlotInstance, TestWindow, person_windows, provider_sites, site_slots


@dataclass(frozen=True)
class Carried:
    """What solve takes over from a previous plan."""

    fixed: Fixed
    escorts: dict[str, list[str]]  # flight id -> escorts the previous plan had (preferred again)
    departed: list[FlightPlan]  # flights gone before as_of, copied as they were
    departed_households: frozenset[str]
    seats: dict[str, FlightPlan]  # flight id -> previous flight plan (to keep seats where nothing changed)


def carry_over(scenario: Scenario, previous: Plan, unlock: set[str] | str | None = None) -> Carried:
    """Work out the fixed part of a re-plan from the previous plan and the (event-updated) scenario."""
    flights = {f.id: f for f in scenario.flights}
    by_id = {h.id: h for h in households(scenario)}
    household_of = {p.case_id: p.household_id for p in scenario.people}
    bookings = _samples_by_person(previous)
    providers = provider_sites(scenario)
    slots = {(s.site_id, s.start, s.end) for site in scenario.testing_sites
             for s in site_slots(site, scenario, include_past=True)}
    unlock_all = unlock == "all"
    unlocked = set() if unlock is None or unlock_all else set(unlock)
    fixed = Fixed()
    departed: list[FlightPlan] = []
    departed_households: set[str] = set()
    for fp in previous.flights:
        flight = flights.get(fp.flight_id)
        if flight is None:
            continue  # cancelled: its households are free again
        if flight.departure < scenario.as_of:
            departed.append(fp)
            for e in fp.escorts:
                fixed.escorts_departed.setdefault(e.escort_id, []).append(fp.flight_id)
            departed_households |= {household_of[pa.person_id] for pa in fp.passengers if pa.person_id in household_of}
            continue
        if fp.locked and not unlock_all and fp.flight_id not in unlocked:
            fixed.locked.add(fp.flight_id)
        fixed.serves[fp.flight_id] = {e.escort_id: list(e.serves) for e in fp.escorts if e.serves}
        on_board = {pa.person_id for pa in fp.passengers}
        for hid in sorted({household_of[p] for p in on_board if p in household_of}):
            hh = by_id[hid]
            if not set(hh.member_ids) <= on_board:
                continue  # the household changed (a new member registered): plan it afresh
            if not serves(flight, hh.destination) or household_failure(hh, flight, scenario):
                continue  # an event made it ineligible for this flight
            fixed.households[hid] = fp.flight_id
            for p in hh.members:
                kept = _still_valid(bookings.get(p.case_id, []), person_windows(p, hh, flight, scenario), slots,
                                    providers)
                if kept:
                    fixed.bookings[p.case_id] = kept
    escorts = {fp.flight_id: [e.escort_id for e in fp.escorts] for fp in previous.flights}
    return Carried(fixed, escorts, departed, frozenset(departed_households),
                   {fp.flight_id: fp for fp in previous.flights})


def _samples_by_person(plan: Plan) -> dict[str, list[TestBooking]]:
    out: dict[str, list[TestBooking]] = {}
    for b in plan.tests:
        if b.person_id:
            out.setdefault(b.person_id, []).append(b)
    return out


def _still_valid(booked: list[TestBooking], windows: list[tuple[str, TestWindow]],
                 slots: set[tuple[str, datetime, datetime]], providers: set[str]) -> list[TestBooking]:
    """For each health check the passenger needs on the flight, the first earlier sample that is that check's,
    in a slot that still exists and inside the check's window: kept, so it is not booked again."""
    kept: list[TestBooking] = []
    for check, w in windows:
        for b in booked:
            if b not in kept and kept_covers(b, check, w, providers) and (b.site_id, b.start, b.end) in slots \
                    and w.valid(SlotInstance(b.site_id, b.start, b.end, 0, b.start.date())):
                kept.append(b)
                break
    return kept


def lock_flights(plan: Plan) -> Plan:
    """The plan with every flight marked locked, as it is once published (docs/rules.md#re-plan-stability): a re-plan
    from it keeps
    each flight's remaining passengers on their flight and seat and adds nobody unless the flight is unlocked."""
    return plan.model_copy(update={"flights": [fp.model_copy(update={"locked": True}) for fp in plan.flights]})


def departed_only(scenario: Scenario, previous: Plan) -> Plan | None:
    """What a full re-optimisation keeps of the previous plan: only the flights that departed before `as_of`
    (always locked, docs/rules.md#departed-flights-locked), with their tests; None when no flight has departed (a
    solve from scratch)."""
    departures = {f.id: f.departure for f in scenario.flights}
    gone = [fp for fp in previous.flights
            if fp.flight_id in departures and departures[fp.flight_id] < scenario.as_of]
    if not gone:
        return None
    people = {pa.person_id for fp in gone for pa in fp.passengers}
    escorts = {e.escort_id for fp in gone for e in fp.escorts}
    tests = [b for b in previous.tests if b.person_id in people or b.escort_id in escorts]
    return previous.model_copy(update={"flights": gone, "tests": tests, "unassigned": []})


def kept_bookings(carried: Carried, flight_of: dict[str, str], household_of: dict[str, str]) -> list[TestBooking]:
    """Kept bookings of people whose household is still on the flight it was kept on."""
    fixed = carried.fixed
    return [b for pid, kept in fixed.bookings.items() for b in kept
            if flight_of.get(household_of[pid]) is not None
            and flight_of.get(household_of[pid]) == fixed.households.get(household_of[pid])]


@dataclass(frozen=True)
class Change:
    """How one person's plan changed, with the reason a person would read."""

    person_id: str
    kind: str  # added | dropped | moved_flight | moved_seat | retest
    before: str | None
    after: str | None
    reason: str


def diff_plans(old: Plan, new: Plan) -> list[Change]:
    """Per-person differences between two plans of the same operation."""
    def where(plan: Plan) -> dict[str, tuple[str, str | None]]:
        return {pa.person_id: (fp.flight_id, pa.seat or (f"lap of {pa.lap_of}" if pa.lap_of else None))
                for fp in plan.flights for pa in fp.passengers}

    before, after = where(old), where(new)
    reasons = {u.person_id: u.reasons for u in new.unassigned}
    old_tests, new_tests = _samples_by_person(old), _samples_by_person(new)
    out: list[Change] = []
    for pid in sorted(set(before) | set(after)):
        b, a = before.get(pid), after.get(pid)
        if b and not a:
            first = reasons.get(pid, [])
            why = f"{first[0].code}: {first[0].message}" if first else "no longer planned"
            out.append(Change(pid, "dropped", b[0], None, why))
        elif a and not b:
            out.append(Change(pid, "added", None, a[0], "fits the capacity freed or added"))
        elif a and b and a[0] != b[0]:
            out.append(Change(pid, "moved_flight", b[0], a[0], "previous flight changed or no longer possible"))
        elif a and b and a[1] != b[1] and b[1] is not None and a[1] is not None:
            out.append(Change(pid, "moved_seat", b[1], a[1], "seating re-ran on a changed flight"))
        if a:
            for was, now in _rebooked(old_tests.get(pid, []), new_tests.get(pid, [])):
                out.append(Change(pid, "retest", was.start.isoformat(), now.start.isoformat(),
                                  "the earlier sample is no longer valid for the flight (new slot booked)"))
    return out


def _rebooked(old: list[TestBooking], new: list[TestBooking]) -> list[tuple[TestBooking, TestBooking]]:
    """A person's samples booked anew, each with the earlier one it replaces: one per health check, so pairs
    at the same site first (a check's provider), then the rest in time order."""
    def key(b: TestBooking) -> tuple[str, datetime]:
        return b.site_id, b.start

    kept = {key(b) for b in old} & {key(b) for b in new}
    gone = sorted((b for b in old if key(b) not in kept), key=key)
    added = sorted((b for b in new if key(b) not in kept), key=key)
    pairs = []
    for b in list(added):
        was = next((g for g in gone if g.site_id == b.site_id), None)
        if was is not None:
            pairs.append((was, b))
            gone.remove(was)
            added.remove(b)
    return pairs + list(zip(sorted(gone, key=lambda b: b.start), sorted(added, key=lambda b: b.start), strict=False))
