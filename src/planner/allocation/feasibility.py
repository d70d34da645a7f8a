"""Exact checks of whether one more household fits on a flight of a finished allocation.

Used twice with the same code: to top up a solved allocation with households that still fit, and to
explain, in registry order, why each household left out does not fit on each flight (docs/rules.md#explanations).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from planner.allocation.greedy import TOTAL_FIELDS, Allocation, over_with_escorts_on_board
from planner.allocation.household_options import HouseholdInfo, Option
from planner.allocation.lab_room import LabRoom
from planner.allocation.problem import AllocationProblem, FlightInfo
from planner.allocation.slot_booking import solve_flow, test_demand
from planner.model.plan import Reason
from planner.model.reasons import ORDER, reason
from planner.rules.escorts import escorts_needed
from planner.rules.testing_windows import TestWindow


class PlanState:
    """An allocation with its running totals, able to test and add one household at a time."""

    def __init__(self, problem: AllocationProblem, alloc: Allocation):
        self.p = problem
        self.alloc = alloc
        self.infos = problem.infos
        self.usage = {f.flight.id: [0] * len(f.limits) for f in problem.flights}
        self.totals: dict[str, dict[str, int]] = {f.flight.id: defaultdict(int) for f in problem.flights}
        for hid, fid in alloc.flight_of.items():
            self._count(self.infos[hid].options[fid])
        self.flights_of_escort: dict[str, list[str]] = defaultdict(list)
        for fid, es in alloc.escorts_on.items():
            for eid in es:
                self.flights_of_escort[eid].append(fid)
        self.role = {e.id: e.role for e in problem.escorts}
        self._roles: dict[str, tuple[int, Counter[str]]] = {}  # flight -> (escorts on board, their roles)
        self.lab = LabRoom(problem, test_demand(problem, alloc))
        self._verdicts: dict[tuple[object, ...], tuple[bool, Reason | None, list[str]]] = {}
        self._free: dict[tuple[str, str], list[str]] = {}  # (flight, role) -> escorts free to join it

    def _count(self, option: Option, sign: int = 1) -> None:
        usage = self.usage[option.flight_id]
        for j, u in enumerate(option.usage):
            usage[j] += sign * u
        for key in TOTAL_FIELDS:
            self.totals[option.flight_id][key] += sign * getattr(option, key)

    def _free_escorts(self, fid: str, role: str, count: int) -> list[str]:
        """The first `count` escorts of the role free to join the flight (in the flight's order). The whole list is
        kept per flight and role until an escort joins a flight: asked for every household and flight checked,
        scanning the pool each time grew as households × flights × escorts (22 s at 100,000 people)."""
        free = self._free.get((fid, role))
        if free is None:
            on_board = set(self.alloc.escorts_on.get(fid, []))
            conflicts = self.p.escort_conflicts
            free = self._free[fid, role] = [
                eid for eid in self.p.flight(fid).escort_windows
                if self.role[eid] == role and eid not in on_board
                and all(o != fid and tuple(sorted((o, fid))) not in conflicts for o in self.flights_of_escort[eid])]
        return free[:count]

    def check(self, info: HouseholdInfo, fid: str) -> tuple[Reason | None, list[str]]:
        """The first failing check (registry order) for adding the household to `fid`, and the escorts
        that would have to join; (None, escorts) when it fits."""
        _, failure, new = self._check(info, fid, explain=True)
        return failure, new

    def fits(self, info: HouseholdInfo, fid: str) -> tuple[bool, list[str]]:
        """Whether the household fits on `fid` (as `check`, without building the reason why not), and the
        escorts that would have to join."""
        fits, _, new = self._check(info, fid, explain=False)
        return fits, new

    def _roles_on(self, fid: str, on_board: list[str]) -> Counter[str]:
        """Escorts on board the flight by role (remembered until one joins: escorts only join a state)."""
        known = self._roles.get(fid)
        if known is None or known[0] != len(on_board):
            known = self._roles[fid] = (len(on_board), Counter(self.role[e] for e in on_board))
        return known[1]

    def _joining(self, option: Option, fid: str, on_board: list[str]) -> tuple[list[str], list[str]]:
        """The escorts who would join the flight with the household, and what the pool falls short of."""
        flight_totals = self.totals[fid]
        totals = {"passengers": flight_totals["passengers"] + option.passengers,
                  "medical": flight_totals["medical"] + option.medical,
                  "uasc": flight_totals["uasc"] + option.uasc}
        new: list[str] = []
        short = []
        roles = self._roles_on(fid, on_board)
        for role, needed in escorts_needed(self.p.scenario.protocol.escorts, totals).items():
            need = needed - roles[role]
            if need > 0:
                got = self._free_escorts(fid, role, need)
                new += got
                if len(got) < need:
                    short.append(f"{need - len(got)} more {role} escort(s)")
        return new, short

    def _check(self, info: HouseholdInfo, fid: str, explain: bool) -> tuple[bool, Reason | None, list[str]]:
        """`_verdict`, remembered until the state changes: the checks read of the household only what its option
        on the flight uses, which a few hundred kinds of household share among thousands of left-out ones."""
        option = info.options[fid]
        key = (fid, option.usage, option.passengers, option.medical, option.uasc, option.tests, explain)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = self._verdict(option, fid, explain)
        fits, failure, new = found
        return fits, failure, list(new)

    def _verdict(self, option: Option, fid: str, explain: bool) -> tuple[bool, Reason | None, list[str]]:
        """Whether it fits, the first failing check (built only when `explain`: top-up needs no reason text, and
        asks the lab only when nothing else fails), and the escorts who would join."""
        fi = self.p.flight(fid)
        if fid in self.p.fixed.locked:
            return False, reason("capacity.seats", fid, detail=" (flight locked: published or departed)"), []
        on_board = self.alloc.escorts_on.get(fid, [])
        usage = self.usage[fid]
        if not explain and over_with_escorts_on_board(fi, usage, option, len(on_board)):
            # no escort search (top-up tries every waiting household on every flight, most of them full: 17 s at
            # 100,000 people)
            return False, None, []
        new, short = self._joining(option, fid, on_board)
        n_esc = len(on_board) + len(new)
        # the first failing check in registry order (the earliest listed among equals), its reason built alone
        first_rank: int | None = None
        first = -1
        for j, limit in enumerate(fi.limits):
            if usage[j] + option.usage[j] + n_esc * limit.escort_usage > limit.rhs:
                rank = ORDER[limit.reason]
                if first_rank is None or rank < first_rank:
                    first_rank, first = rank, j
        if short and (first_rank is None or ORDER["capacity.escorts"] < first_rank):
            first_rank, first = ORDER["capacity.escorts"], len(fi.limits)
        lab_first = first_rank is None or (explain and first_rank > ORDER["capacity.lab"])
        if lab_first and self.lab.full(self._extra_demand(option, fid, new)):
            return False, reason("capacity.lab", fid) if explain else None, new
        if first_rank is None:
            return True, None, new
        if not explain:
            return False, None, new
        if first == len(fi.limits):
            return False, reason("capacity.escorts", fid, detail=f" ({', '.join(short)})"), new
        limit = fi.limits[first]
        used = usage[first] + option.usage[first] + n_esc * limit.escort_usage
        return False, reason(limit.reason, fid, detail=f" ({limit.name}: {used} needed, {limit.rhs} available)"), new

    def _extra_demand(self, option: Option, fid: str, new: list[str]) -> dict[TestWindow, int]:
        extra: dict[TestWindow, int] = defaultdict(int)
        for w, k in option.tests:
            extra[w] += k
        for eid in new:
            escort_w = self.p.flight(fid).escort_windows[eid]
            if escort_w is not None:
                extra[escort_w] += 1
        return dict(extra)

    def add(self, info: HouseholdInfo, fid: str, new: list[str]) -> None:
        self._verdicts.clear()
        option = info.options[fid]
        self.alloc.flight_of[info.household.id] = fid
        self._count(option)
        self.lab.grew(self._extra_demand(option, fid, new))
        if new:
            self._free.clear()
        for eid in new:
            self.alloc.escorts_on.setdefault(fid, []).append(eid)
            self.flights_of_escort[eid].append(fid)

    def escorts_joined(self, fid: str, escorts: list[str]) -> None:
        """Escorts now also serving the flight (their turnaround is then counted from it)."""
        self._verdicts.clear()
        self._free.clear()
        for eid in escorts:
            self.flights_of_escort[eid].append(fid)

    def remove(self, household_id: str) -> None:
        self._verdicts.clear()
        fid = self.alloc.flight_of.pop(household_id)
        option = self.infos[household_id].options[fid]
        self._count(option, -1)
        less: dict[TestWindow, int] = defaultdict(int)
        for w, k in option.tests:
            less[w] += k
        self.lab.shrank(less)


def top_up(problem: AllocationProblem, alloc: Allocation,
           skip: Callable[[HouseholdInfo, str], bool] | None = None) -> Allocation:
    """Add, by priority, every left-out household that still fits somewhere (earliest flight first); `skip`
    names (household, flight) pairs not to try."""
    problem.expand(h.household.id for h in problem.households if h.household.id not in alloc.flight_of)
    state = PlanState(problem, alloc)
    order = sorted(problem.households, key=lambda h: (-h.weight, h.household.id))
    flights = [f.flight.id for f in problem.flights]
    for info in order:
        if info.household.id in alloc.flight_of:
            continue
        for fid in flights:
            if fid in info.options and (skip is None or not skip(info, fid)):
                fits, new = state.fits(info, fid)
                if fits:
                    state.add(info, fid, new)
                    break
    return alloc


def trim_escorts(problem: AllocationProblem, alloc: Allocation) -> Allocation:
    """Keep on each flight only the escorts its passengers require (lowest ids first per role; in a re-plan,
    those still serving whom they served first, and any still serving a kept household: its seats hold)."""
    state = PlanState(problem, Allocation(flight_of=dict(alloc.flight_of)))
    rules = problem.scenario.protocol.escorts
    role = {e.id: e.role for e in problem.escorts}
    kept: dict[str, list[str]] = {}
    for fid, escorts in sorted(alloc.escorts_on.items()):
        keep = []
        rank = problem.escort_rank(alloc.flight_of, fid)
        paired = problem.pairings_kept(alloc.flight_of, fid)
        for r, need in escorts_needed(rules, state.totals[fid]).items():
            mine = sorted((e for e in escorts if role[e] == r), key=rank)
            keep += mine[:need] + [e for e in mine[need:] if e in paired]
        if keep:
            kept[fid] = sorted(keep)
    return Allocation(flight_of=dict(alloc.flight_of), escorts_on=kept, status=alloc.status, bound=alloc.bound)


def _over(state: PlanState, f: FlightInfo, escorts: int) -> bool:
    """Whether the flight's cabin limits are exceeded with this many escorts on board."""
    usage = state.usage[f.flight.id]
    return any(usage[j] + escorts * lim.escort_usage > lim.rhs for j, lim in enumerate(f.limits))


def assign_escorts(problem: AllocationProblem, alloc: Allocation,
                   prefer: dict[str, list[str]] | None = None) -> Allocation:
    """Give each flight the escorts its households require, preferring `prefer` (the previous plan's).

    Used when a re-plan starts from kept households. Where the pool cannot cover a flight, or the flight's
    cabin limits are exceeded (e.g. a smaller aircraft), its lowest-weight households are dropped until it
    fits (they are explained with the check that fails).
    """
    prefer = prefer or {}
    weight = {h.household.id: h.weight for h in problem.households}
    state = PlanState(problem, Allocation(flight_of=dict(alloc.flight_of)))
    out = Allocation(flight_of=dict(alloc.flight_of), status=alloc.status, bound=alloc.bound)
    for f in problem.flights:
        fid = f.flight.id
        while True:
            chosen, short = _pick_escorts(problem, state, f, prefer.get(fid, []), out.flight_of)
            on_flight = [h for h, g in out.flight_of.items() if g == fid]
            if not (short or _over(state, f, len(chosen))) or not on_flight:
                # escorts beyond the need who still serve a kept household stay while the cabin has room
                paired = problem.pairings_kept(out.flight_of, fid)
                extra = [e for e in prefer.get(fid, []) if e in paired and e in f.escort_windows and e not in chosen
                         and _back_in_time(problem, state, e, fid)]
                if extra and not _over(state, f, len(chosen) + len(extra)):
                    chosen += extra
                break
            drop = min(on_flight, key=lambda h: (weight[h], h))
            state.remove(drop)
            del out.flight_of[drop]
        if chosen:
            out.escorts_on[fid] = sorted(chosen)
            state.escorts_joined(fid, chosen)
    return out


def _back_in_time(problem: AllocationProblem, state: PlanState, escort_id: str, flight_id: str) -> bool:
    """Whether none of the escort's flights so far is too close to this one (escort turnaround)."""
    return all(tuple(sorted((o, flight_id))) not in problem.escort_conflicts
               for o in state.flights_of_escort[escort_id])


def _pick_escorts(problem: AllocationProblem, state: PlanState, f: FlightInfo, preferred: list[str],
                  flight_of: dict[str, str]) -> tuple[list[str], bool]:
    """The escorts each role needs on the flight, preferred ones first (those who served people still on it
    before the rest), and whether the pool fell short."""
    fid = f.flight.id
    role = state.role
    rank = problem.escort_rank(flight_of, fid)
    chosen: list[str] = []
    short = False
    for r, need in escorts_needed(problem.scenario.protocol.escorts, state.totals[fid]).items():
        pool = sorted((e for e in preferred if e in f.escort_windows and role[e] == r), key=rank)
        pool += [e for e in f.escort_windows if role[e] == r and e not in pool]
        picked = [e for e in pool if _back_in_time(problem, state, e, fid)][:need]
        short = short or len(picked) < need
        chosen += picked
    return chosen, short


def complete(problem: AllocationProblem, alloc: Allocation, prefer: dict[str, list[str]] | None = None) -> Allocation:
    """Make a partial allocation valid and maximal: escorts for every flight, households released (lowest
    weight first, those needing new tests before others) until the lab can test everyone, then a top-up by
    priority. Used for re-plans (from the kept households) and for rounding the LP relaxation.

    The release count is found by a galloping search rather than one household at a time: test demand only
    shrinks as households leave, so "the lab can test everyone" is monotone in the count, and a delayed flight
    that needs dozens of releases costs a handful of escort assignments and flows instead of one each."""
    infos = problem.infos
    start = assign_escorts(problem, Allocation(flight_of=dict(alloc.flight_of)), prefer)

    def fits(a: Allocation) -> bool:
        return solve_flow(problem, test_demand(problem, a)) is not None

    if start.flight_of and not fits(start):
        retest = sorted((h for h, f in start.flight_of.items() if infos[h].options[f].tests),
                        key=lambda h: (infos[h].weight, h))
        rest = sorted((h for h in start.flight_of if h not in set(retest)), key=lambda h: (infos[h].weight, h))
        order = retest + rest
        tried: dict[int, Allocation] = {}

        def without(k: int) -> Allocation:
            if k not in tried:
                gone = set(order[:k])
                kept = {h: f for h, f in start.flight_of.items() if h not in gone}
                tried[k] = assign_escorts(problem, Allocation(flight_of=kept), prefer)
            return tried[k]

        lo, hi = 0, 1  # lo: known not to fit; hi: the next count to try
        while hi < len(order) and not fits(without(hi)):
            lo, hi = hi, min(len(order), 2 * hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if fits(without(mid)) else (mid, hi)
        start = without(hi)
    return trim_escorts(problem, top_up(problem, start))
