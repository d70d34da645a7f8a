"""Household unity (docs/rules.md#household-unity): a household flies together on one flight or not at all.

If any member fails a gate for a flight (or has no valid test slot for it), every member stays off that flight:
failing members get their own reason, the others `household.held_back` naming the first failing member (lowest
case id) and their code. Violation ids: `household_unity`, `held_back`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from planner.model.caseload import Household, households
from planner.model.plan import Reason
from planner.model.reasons import REGISTRY, reason
from planner.model.scenario import Flight, Person, Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.gates import GATE_CHECKS, first_failure, gate_fails

REASON = "household.held_back"


def household_failure(household: Household, flight: Flight | None, scenario: Scenario) -> dict[str, Reason]:
    """Reasons per member when the household cannot pass the gates for `flight`; empty when it can."""
    own = {p.case_id: r for p in household.members
           if (r := first_failure(p, household, flight, scenario)) is not None}
    if not own:
        return {}
    first_id = min(own)
    out = dict(own)
    for p in household.members:
        if p.case_id not in own:
            out[p.case_id] = reason(REASON, flight.id if flight else None, member=first_id,
                                    member_code=own[first_id].code)
    return out


def _held_back_pattern() -> re.Pattern[str]:
    """The registry's held-back message with its member and code as groups (the Reason has no other field)."""
    text = re.escape(REGISTRY[REASON].template).replace(re.escape("{member}"), r"(?P<member>\S+)")
    return re.compile("^" + text.replace(re.escape("{member_code}"), r"(?P<code>[a-z_.]+)") + "$")


HELD_BACK = _held_back_pattern()


def check_household_unity(ctx: Context) -> Iterator[Violation]:
    """Only officers split a household (by changing household_id): its members share one fate."""
    for h in households(ctx.scenario):
        where = {ctx.flight_of.get(p.case_id) for p in h.members}
        if len(where) > 1:
            placed = ", ".join(f"{p.case_id}→{ctx.flight_of.get(p.case_id) or 'unassigned'}" for p in h.members)
            yield violation("household_unity", f"household {h.id} is split: {placed}", person_id=h.members[0].case_id)


def _named_member_fails(ctx: Context, fid: str | None, member: Person, code: str) -> str | None:
    """Why the member a held-back reason names does not really keep the household off flight `fid` (None: they
    do)."""
    if code in GATE_CHECKS:
        fails, on = gate_fails(ctx, member, code, fid)
        return None if fails else f"names {member.case_id} for {code}, but they pass that gate on {on}"
    if code == "test.no_valid_slot":
        own = ctx.unassigned.get(member.case_id, [])
        serving = [f.id for f in ctx.serving(member.destination)]
        if any(o.code == code and fid in (o.flight_ids(serving) or ()) for o in own):
            return None
        return f"names {member.case_id} for {code}, but their own reasons do not say so for this flight"
    return f"names {member.case_id} for {code}, which is not a personal failure"


def check_held_back(ctx: Context) -> Iterator[Violation]:
    """`household.held_back` names another member of the same household who really cannot travel: one failing
    the named gate on that flight's date, or one whose own reasons say no valid test slot for that flight."""
    parsed: dict[str, re.Match[str] | None] = {}  # a household's reason is one message for all its flights
    for u in ctx.plan.unassigned:
        p = ctx.people.get(u.person_id)
        if p is None:
            continue
        for r_flight, r in u.flight_reasons([f.id for f in ctx.serving(p.destination)]):
            if r.code != REASON:
                continue
            if r.message not in parsed:
                parsed[r.message] = HELD_BACK.match(r.message)
            m = parsed[r.message]
            if m is None:
                yield violation("held_back", "held back without naming a member and their reason", r_flight,
                                p.case_id)
                continue
            member = ctx.people.get(m["member"])
            if member is None or member.household_id != p.household_id or member.case_id == p.case_id:
                yield violation("held_back", f"names {m['member']}, who is not another member of household "
                                             f"{p.household_id}", r_flight, p.case_id)
                continue
            why = _named_member_fails(ctx, r_flight, member, m["code"])
            if why is not None:
                yield violation("held_back", why, r_flight, p.case_id)


CHECKS = (PlanCheck(("household_unity",), check_household_unity), PlanCheck(("held_back",), check_held_back))
SEAT_CHECKS = ()
