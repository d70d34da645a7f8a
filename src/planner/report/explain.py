"""Reasons for everyone left out of a plan (docs/rules.md#explanations).

For each flight serving the household's destination, in departure order, the first failing check in
registry order, evaluated on the final allocation by the same exact checks for every household; so the
same plan always gets the same explanations. When no flight serves the destination, the gates are still
evaluated (at `as_of`), so that a missing consent is not hidden behind `flight.no_destination`. A reason is
never invented: when no check fails for a flight, no reason is given for it and the validator reports the
gap (capacity freed after the allocation was final is a solver defect, not something to explain away).

Each person's reasons are then said once each, with the flights they apply to ("all" when that is every flight
serving the destination): a reason repeated per flight made a 50,000-person plan file grow as people × flights.
"""

from __future__ import annotations

from planner.allocation.feasibility import PlanState
from planner.allocation.greedy import Allocation
from planner.allocation.household_options import Blocked, HouseholdInfo
from planner.allocation.problem import AllocationProblem
from planner.model.plan import Reason, Unassigned, group_reasons
from planner.model.reasons import ORDER, reason
from planner.rules.gates import serves
from planner.rules.household import household_failure


def explain(problem: AllocationProblem, alloc: Allocation, cut: dict[str, dict[str, Reason]] | None = None,
            excluded: dict[str, str] | None = None, departed: frozenset[str] = frozenset(),
            pin_conflicts: dict[str, Reason] | None = None, closed: set[str] | None = None) -> list[Unassigned]:
    """Unassigned entries, with reasons, for every person whose household is not on a flight.

    `cut` maps household id to the flights a later stage cut it from (seating could not place it, no transfer
    could bring it) with that stage's reason; `excluded` maps household id
    to the variant filter that removed it from the caseload; `closed` are the flights whose last seating round
    still could not seat the newcomers given their free seats (the rounds ended there, docs/architecture.md#seating).
    """
    cut = cut or {}
    excluded = excluded or {}
    problem.expand(h.household.id for h in problem.households if h.household.id not in alloc.flight_of)
    state = PlanState(problem, Allocation(flight_of=dict(alloc.flight_of),
                                          escorts_on={k: list(v) for k, v in alloc.escorts_on.items()}))
    out: list[Unassigned] = []
    grouped: dict[tuple[int, ...], tuple[list[Reason], list[Reason]]] = {}
    serving: dict[str, list[str]] = {}  # the flights a reason is owed for (planner.rules.explanations)
    for info in problem.households:
        hh = info.household
        if hh.id in alloc.flight_of or hh.id in departed:
            continue
        dest = hh.destination
        if dest not in serving:
            serving[dest] = [f.flight.id for f in problem.flights if serves(f.flight, dest)]
        conflict = (pin_conflicts or {}).get(hh.id)
        per_member: dict[str, list[Reason]] = {p.case_id: [conflict] if conflict else [] for p in hh.members}
        if hh.id in excluded:
            for reasons in per_member.values():
                reasons.append(reason("variant.excluded", detail=f" ({excluded[hh.id]})"))
        elif hh.id in problem.no_destination:
            gates = household_failure(hh, None, problem.scenario)  # flight-independent: evaluated at as_of
            for pid, reasons in per_member.items():
                reasons.append(problem.no_destination[hh.id])
                if pid in gates:
                    reasons.append(gates[pid])
        else:
            _flight_reasons(state, info, serving[dest], cut.get(hh.id, {}), closed or set(), per_member)
        out += _grouped(per_member, serving[dest], grouped)
    return sorted(out, key=lambda u: u.person_id)


def _grouped(per_member: dict[str, list[Reason]], serving: list[str],
             done: dict[tuple[int, ...], tuple[list[Reason], list[Reason]]]) -> list[Unassigned]:
    """Each member's reasons said once with their flights; people given the very same reasons (the flight checks
    are the household's, and households alike share their verdicts) share the grouped ones, as they shared the
    per-flight ones, instead of grouping again. `done` keeps the reasons it is keyed by alive (ids stay theirs)."""
    out = []
    for pid, reasons in per_member.items():
        key = (id(serving), *map(id, reasons))
        if key not in done:
            done[key] = (reasons, group_reasons(reasons, serving))
        out.append(Unassigned.model_construct(person_id=pid, reasons=list(done[key][1])))
    return out


def _flight_reasons(state: PlanState, info: HouseholdInfo, serving: list[str], cut_on: dict[str, Reason],
                    closed: set[str], per_member: dict[str, list[Reason]]) -> None:
    """For each flight serving the household's destination (`serving`, in departure order), the reason it is not
    on it: a gate a member fails (per member), else the first check of the final plan that fails (for everyone).

    Consecutive flights blocked by the same member reasons (`Blocked`, shared by flights alike) give each member one
    reason naming them all: `group_reasons` merges it exactly as it merges one reason per flight, in the same
    order, without a Reason per member and flight."""
    run: Blocked | None = None
    run_flights: list[str] = []
    for fid in serving:
        blocked = info.blocked.get(fid)
        if blocked is not None and blocked is run:
            run_flights.append(fid)
            continue
        _said_for(run, run_flights, per_member)
        run, run_flights = blocked, [fid]
        if blocked is not None:
            continue
        found = _reason_on(state, info, fid, cut_on, closed)
        if found is not None:
            for reasons in per_member.values():
                reasons.append(found)
    _said_for(run, run_flights, per_member)


def _said_for(blocked: Blocked | None, flights: list[str], per_member: dict[str, list[Reason]]) -> None:
    """Each member's reason of `blocked`, naming the flights (consecutive in departure order) it holds on."""
    if blocked is None:
        return
    for pid, r in blocked.reasons.items():
        per_member[pid].append(Reason.model_construct(code=r.code, message=r.message, flights=list(flights)))


def _reason_on(state: PlanState, info: HouseholdInfo, fid: str, cut_on: dict[str, Reason], closed: set[str]
               ) -> Reason | None:
    """Why the household is not on flight `fid` of the final plan, or None when no true reason exists."""
    if fid in cut_on:
        return cut_on[fid]
    if fid not in info.options:
        return None  # held by a conflicting pin: its reason is already given
    found, _ = state.check(info, fid)
    if found is None and fid in closed:
        return reason("seating.no_fit", fid, detail=" (its free seats could not be given to newcomers in the "
                      "last seating round; seated passengers keep their seats)")
    return found  # None: fits the final plan, no true reason exists (see the module docstring)


def primary_code(reasons: list[Reason]) -> str:
    """The earliest code in registry order: the headline reason for summaries."""
    return min((r.code for r in reasons), key=lambda c: ORDER[c]) if reasons else "unknown"
