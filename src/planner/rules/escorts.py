"""Escorts (docs/rules.md#escorts): who needs one, how many of each role a flight needs, when an escort may fly,
and where they sit.

Parameters: `protocol.escorts` (`operational_per_passengers`, `medical_per_cases`, `uasc_per_escort`,
`turnaround_hours`). Reason code: `capacity.escorts`. Violation ids: `escorts` (ratios, availability,
turnaround), `uasc.escort_adjacent` and `medical.escort_adjacent` (seats).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from itertools import pairwise

from planner.model.caseload import WHEELCHAIR_AISLE, Household, age_years
from planner.model.scenario import Escort, EscortRules, Flight, Person
from planner.model.violations import Violation
from planner.rules.base import Context, Occupant, PlanCheck, SeatCheck, SeatContext, next_to, violation

REASON = "capacity.escorts"

#: Escort roles: (role, flight total counting who needs it, EscortRules ratio field) — docs/rules.md#escort-ratios.
ESCORT_ROLES = (("operational", "passengers", "operational_per_passengers"),
                ("medical", "medical", "medical_per_cases"), ("uasc", "uasc", "uasc_per_escort"))


def is_medical_case(person: Person, household: Household, on: date) -> bool:
    """Needs a medical escort: fit with escort, a stretcher case, or a wheelchair user with no household adult."""
    if person.fitness == "fit_with_escort" or person.mobility == "STCR":
        return True
    if person.mobility in WHEELCHAIR_AISLE:
        return not any(age_years(m.date_of_birth, on) >= 18 and m.case_id != person.case_id
                       for m in household.members)
    return False


def escorts_needed(rules: EscortRules, totals: Mapping[str, int]) -> dict[str, int]:
    """Escorts of each role a flight needs: one per started ratio of its passengers (seated and lap infants),
    medical cases and unaccompanied children (`totals` keyed by "passengers", "medical", "uasc")."""
    return {role: math.ceil(totals.get(key, 0) / getattr(rules, ratio)) for role, key, ratio in ESCORT_ROLES}


def can_fly(escort: Escort, on: date) -> bool:
    """An escort flies only on dates inside their availability (always, without one)."""
    return escort.available is None or escort.available.contains(on)


def too_close(first: Flight, second: Flight, hours: int) -> bool:
    """One escort cannot fly both: `second` leaves less than `hours` after `first` last arrives (first leaves
    no later than second)."""
    return second.departure < first.stops[-1].arrival + timedelta(hours=hours)


def _flight_totals(ctx: Context, people: list[Person], flight: Flight) -> dict[str, int]:
    on = ctx.on(flight)
    return {"passengers": len(people),
            "medical": sum(is_medical_case(p, ctx.household_of[p.case_id], on) for p in people),
            "uasc": sum(p.unaccompanied_minor for p in people)}


def check_escorts(ctx: Context) -> Iterator[Violation]:
    """Escort ratios, availability and turnaround (docs/rules.md#escort-ratios)."""
    rules = ctx.scenario.protocol.escorts
    flights_of: dict[str, list[Flight]] = defaultdict(list)
    for fp, flight in ctx.known_flights():
        on = ctx.on(flight)
        roles: Counter[str] = Counter()
        for e in fp.escorts:
            escort = ctx.escorts.get(e.escort_id)
            if escort is None:
                yield violation("escorts", f"unknown escort {e.escort_id}", fp.flight_id)
                continue
            roles[escort.role] += 1
            flights_of[escort.id].append(flight)
            if not can_fly(escort, on):
                yield violation("escorts", f"escort {escort.id} is not available on {on}", fp.flight_id)
        for role, need in escorts_needed(rules, _flight_totals(ctx, ctx.on_board(fp), flight)).items():
            if roles[role] < need:
                yield violation("escorts", f"{roles[role]} {role} escort(s) on board, {need} required", fp.flight_id)
    for eid, fls in sorted(flights_of.items()):
        fls.sort(key=lambda f: f.departure)
        for a, b in pairwise(fls):
            if too_close(a, b, rules.turnaround_hours):
                yield violation("escorts", f"escort {eid} flies {a.id} and {b.id} without {rules.turnaround_hours} h "
                                           "turnaround", b.id)


def _escort_next_to(ctx: SeatContext, occ: Occupant, roles: tuple[str, ...]) -> bool:
    seat = ctx.seat_of[occ.id]
    return any(ctx.facts.occupants[e].role in roles and e in ctx.seat_of and next_to(seat, ctx.seat_of[e])
               for e in occ.escorts)


def _uasc(ctx: SeatContext) -> Iterator[Violation]:
    """An unaccompanied child sits next to an escort who serves them (any role)."""
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if occ.uasc and pid in ctx.seat_of and not _escort_next_to(ctx, occ, ("uasc", "operational", "medical")):
            yield ctx.v("uasc.escort_adjacent", "unaccompanied child not seated next to their escort"
                        + ("" if occ.escorts else " (no escort serves them on this flight)"), pid)


def _medical(ctx: SeatContext) -> Iterator[Violation]:
    """A medical case other than a stretcher case sits next to a medical escort who serves them."""
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if occ.medical and not occ.stretcher and pid in ctx.seat_of and not _escort_next_to(ctx, occ, ("medical",)):
            yield ctx.v("medical.escort_adjacent", "medical case not seated next to a medical escort serving them", pid)


CHECKS = (PlanCheck(("escorts",), check_escorts),)
SEAT_CHECKS = (SeatCheck("uasc.escort_adjacent", _uasc), SeatCheck("medical.escort_adjacent", _medical))
