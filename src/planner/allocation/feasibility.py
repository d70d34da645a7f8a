"""Exact checks of whether one more household fits on a flight of a finished allocation.

Used twice with the same code: to top up a solved allocation with households that still fit, and to
explain, in registry order, why each household left out does not fit on each flight (docs/rules.md#explanations).
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.graph.python import max_flow

from planner.allocation.greedy import TOTAL_FIELDS, Allocation
from planner.allocation.problem import ESCORT_ROLES, AllocationProblem, FlightInfo, HouseholdInfo, Option
from planner.allocation.slot_booking import solve_flow, test_demand
from planner.model.plan import Reason
from planner.model.reasons import ORDER, reason
from planner.rules.testing_windows import SlotClass, TestWindow

Demand = tuple[tuple[TestWindow, int], ...]  # extra tests per window, sorted: a cache key


class LabRoom:
    """Whether extra test demand still fits the lab on top of a plan's test demand: the same question as
    "does `slot_booking.solve_flow` find a flow for the sum", answered without a flow per household.

    Explaining a large plan asks it for every waiting household and flight (docs/rules.md#explanations), yet
    a flight's households test in a handful of windows. The plan's demand d has a flow; adding k tests in one
    window w fits iff k ≤ room(w) = (max flow with w's supply unbounded) − |d|, because augmenting paths from a
    flow meeting d leave every other window's supply as it is. So one max flow per window answers every
    single-window demand; demand spread over several windows (a household with a new escort, mixed windows)
    gets an exact flow, remembered whether it fits or not. The test flow is monotone in its demand: what failed
    still fails after demand grows, and a window's room only shrinks (by at least what was added to it)."""

    def __init__(self, problem: AllocationProblem, demand: dict[TestWindow, int]):
        self.p = problem
        self.demand = demand
        self._feasible: bool | None = None  # whether `demand` itself has a flow
        self._room: dict[TestWindow, int] = {}  # exact, for the current demand
        self._at_most: dict[TestWindow, int] = {}  # upper bounds on the room, kept while demand grows
        self._fits: set[Demand] = set()
        self._full: set[Demand] = set()
        self._net: _Network | None = None

    def full(self, extra: dict[TestWindow, int]) -> bool:
        """Whether `demand + extra` has no test flow."""
        extra = {w: k for w, k in extra.items() if k > 0}
        if not extra:
            return False
        if not self._base_feasible():
            return True
        if any(k > self._at_most.get(w, k) or k > self._room.get(w, k) for w, k in extra.items()):
            return True
        if len(extra) == 1:
            [(w, k)] = extra.items()
            return k > self._room_of(w)
        key = tuple(sorted(extra.items()))
        if key in self._fits or key in self._full:
            return key in self._full
        if any(all(extra.get(w, 0) >= k for w, k in failed) for failed in self._full) or \
                any(k > self._room_of(w) for w, k in extra.items()):
            self._full.add(key)
            return True
        fits = self._network().fits(self.demand, extra)
        (self._fits if fits else self._full).add(key)
        return not fits

    def grew(self, extra: dict[TestWindow, int]) -> None:
        """Add `extra` to the demand (after a check found it fits)."""
        feasible = self._feasible is True and not self.full(extra)
        for w, k in extra.items():
            self.demand[w] = self.demand.get(w, 0) + k
        bounds = {w: min(self._room.get(w, r), r) for w, r in self._at_most.items()}
        bounds.update({w: r for w, r in self._room.items() if w not in bounds})
        self._at_most = {w: r - extra.get(w, 0) for w, r in bounds.items()}
        self._room.clear()
        self._fits.clear()  # _full stays: more demand cannot make it fit
        self._feasible = True if feasible else None
        self._net = None

    def shrank(self, less: dict[TestWindow, int]) -> None:
        """Take `less` off the demand: rooms may grow, so only a flow for the demand itself stays known."""
        for w, k in less.items():
            self.demand[w] -= k
        self._room.clear()
        self._at_most.clear()
        self._fits.clear()
        self._full.clear()
        self._feasible = True if self._feasible else None
        self._net = None

    def _network(self) -> _Network:
        if self._net is None or self._net.classes is not self.p.classes:
            self._net = _Network(self.p, self.demand)
        return self._net

    def _base_feasible(self) -> bool:
        if self._feasible is None:
            self._feasible = self._network().fits(self.demand, {})
        return self._feasible

    def _room_of(self, window: TestWindow) -> int:
        if window not in self._room:
            self._room[window] = self._network().room(self.demand, window)
        return self._room[window]


class _Network:
    """The test flow network of `slot_booking.solve_flow` as a max-flow graph (no costs: only whether demand
    can be met), with supply arcs that can be raised per query; caps that never bind there are unbounded here."""

    def __init__(self, problem: AllocationProblem, demand: dict[TestWindow, int]):
        self.p = problem
        self.classes: list[SlotClass] = problem.classes
        self.flow = max_flow.SimpleMaxFlow()
        capacity = [c.capacity for c in self.classes]
        self.big = sum(capacity) + 1  # more than any flow can carry
        days = sorted({(c.site_id, c.day) for c in self.classes})
        day_node = {d: 2 + 2 * len(self.classes) + i for i, d in enumerate(days)}
        self.next_node = 2 + 2 * len(self.classes) + len(days)
        self.valid_in: dict[TestWindow, list[int]] = defaultdict(list)
        for k, c in enumerate(self.classes):
            self.flow.add_arc_with_capacity(2 + 2 * k, 3 + 2 * k, capacity[k])
            self.flow.add_arc_with_capacity(3 + 2 * k, day_node[(c.site_id, c.day)], capacity[k])
            for w in c.valid:
                self.valid_in[w].append(k)
        for d, node in day_node.items():
            self.flow.add_arc_with_capacity(node, 1, problem.daily.get(d, self.big))
        self.supply: dict[TestWindow, int] = {}  # window -> its arc from the source
        for w in sorted(demand):
            self._window(w, demand[w])

    def _window(self, w: TestWindow, supply: int) -> int:
        if w not in self.supply:
            node = self.next_node
            self.next_node += 1
            self.supply[w] = self.flow.add_arc_with_capacity(0, node, supply)
            for k in self.valid_in.get(w, ()):
                self.flow.add_arc_with_capacity(node, 2 + 2 * k, self.big)
        return self.supply[w]

    def _max(self, demand: dict[TestWindow, int], raised: dict[TestWindow, int]) -> int:
        arcs = {w: self._window(w, demand.get(w, 0)) for w in raised}
        for w, arc in arcs.items():
            self.flow.set_arc_capacity(arc, demand.get(w, 0) + raised[w])
        status = self.flow.solve(0, 1)
        value = self.flow.optimal_flow() if status == self.flow.OPTIMAL else -1
        for w, arc in arcs.items():
            self.flow.set_arc_capacity(arc, demand.get(w, 0))
        return value

    def fits(self, demand: dict[TestWindow, int], extra: dict[TestWindow, int]) -> bool:
        """Whether demand + extra can all be tested."""
        need = sum(demand.values()) + sum(extra.values())
        return need == 0 or self._max(demand, extra) >= need

    def room(self, demand: dict[TestWindow, int], window: TestWindow) -> int:
        """How many more tests `window` can take on top of `demand` (which must have a flow)."""
        return self._max(demand, {window: self.big}) - sum(demand.values())


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
        self.lab = LabRoom(problem, test_demand(problem, alloc))

    def _count(self, option: Option, sign: int = 1) -> None:
        usage = self.usage[option.flight_id]
        for j, u in enumerate(option.usage):
            usage[j] += sign * u
        for key in TOTAL_FIELDS:
            self.totals[option.flight_id][key] += sign * getattr(option, key)

    def _free_escorts(self, fid: str, role: str, count: int) -> list[str]:
        out = []
        on_board = set(self.alloc.escorts_on.get(fid, []))
        for eid in self.p.flight(fid).escort_windows:
            if len(out) == count:
                break
            if self.role[eid] != role or eid in on_board:
                continue
            if all(tuple(sorted((o, fid))) not in self.p.escort_conflicts and o != fid
                   for o in self.flights_of_escort[eid]):
                out.append(eid)
        return out

    def check(self, info: HouseholdInfo, fid: str) -> tuple[Reason | None, list[str]]:
        """The first failing check (registry order) for adding the household to `fid`, and the escorts
        that would have to join; (None, escorts) when it fits."""
        option = info.options[fid]
        fi = self.p.flight(fid)
        if fid in self.p.fixed.locked:
            return reason("capacity.seats", fid, detail=" (flight locked: published or departed)"), []
        totals = {k: self.totals[fid][k] + getattr(option, k) for k in TOTAL_FIELDS}
        on_board = self.alloc.escorts_on.get(fid, [])
        rules = self.p.scenario.protocol.escorts
        new: list[str] = []
        short = []
        for role, field, ratio in ESCORT_ROLES:
            need = math.ceil(totals[field] / getattr(rules, ratio)) - sum(self.role[e] == role for e in on_board)
            if need > 0:
                got = self._free_escorts(fid, role, need)
                new += got
                if len(got) < need:
                    short.append(f"{need - len(got)} more {role} escort(s)")
        n_esc = len(on_board) + len(new)
        failures: list[Reason] = []
        usage = self.usage[fid]
        for j, limit in enumerate(fi.limits):
            used = usage[j] + option.usage[j] + n_esc * limit.escort_usage
            if used > limit.rhs:
                detail = f" ({limit.name}: {used} needed, {limit.rhs} available)"
                failures.append(reason(limit.reason, fid, detail=detail))
        if short:
            failures.append(reason("capacity.escorts", fid, detail=f" ({', '.join(short)})"))
        first = min(failures, key=lambda r: ORDER[r.code]) if failures else None
        if (first is None or ORDER[first.code] > ORDER["capacity.lab"]) \
                and self.lab.full(self._extra_demand(option, fid, new)):
            return reason("capacity.lab", fid), new
        return first, new

    def _extra_demand(self, option: Option, fid: str, new: list[str]) -> dict[TestWindow, int]:
        extra: dict[TestWindow, int] = defaultdict(int)
        for w, k in option.tests:
            extra[w] += k
        for eid in new:
            w = self.p.flight(fid).escort_windows[eid]
            if w is not None:
                extra[w] += 1
        return dict(extra)

    def add(self, info: HouseholdInfo, fid: str, new: list[str]) -> None:
        option = info.options[fid]
        self.alloc.flight_of[info.household.id] = fid
        self._count(option)
        self.lab.grew(self._extra_demand(option, fid, new))
        for eid in new:
            self.alloc.escorts_on.setdefault(fid, []).append(eid)
            self.flights_of_escort[eid].append(fid)

    def remove(self, household_id: str) -> None:
        fid = self.alloc.flight_of.pop(household_id)
        option = self.infos[household_id].options[fid]
        self._count(option, -1)
        less: dict[TestWindow, int] = defaultdict(int)
        for w, k in option.tests:
            less[w] += k
        self.lab.shrank(less)


def top_up(problem: AllocationProblem, alloc: Allocation) -> Allocation:
    """Add, by priority, every left-out household that still fits somewhere (earliest flight first)."""
    problem.expand(h.household.id for h in problem.households if h.household.id not in alloc.flight_of)
    state = PlanState(problem, alloc)
    order = sorted(problem.households, key=lambda h: (-h.weight, h.household.id))
    flights = [f.flight.id for f in problem.flights]
    for info in order:
        if info.household.id in alloc.flight_of:
            continue
        for fid in flights:
            if fid in info.options:
                failure, new = state.check(info, fid)
                if failure is None:
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
        totals = state.totals[fid]
        keep = []
        rank = problem.escort_rank(alloc.flight_of, fid)
        paired = problem.pairings_kept(alloc.flight_of, fid)
        for r, field, ratio in ESCORT_ROLES:
            need = math.ceil(totals[field] / getattr(rules, ratio))
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
    rules = problem.scenario.protocol.escorts
    role = {e.id: e.role for e in problem.escorts}
    weight = {h.household.id: h.weight for h in problem.households}
    state = PlanState(problem, Allocation(flight_of=dict(alloc.flight_of)))
    out = Allocation(flight_of=dict(alloc.flight_of), status=alloc.status, bound=alloc.bound)
    for f in problem.flights:
        fid = f.flight.id
        while True:
            totals = state.totals[fid]
            chosen: list[str] = []
            short = False
            rank = problem.escort_rank(out.flight_of, fid)
            for r, field, ratio in ESCORT_ROLES:
                need = math.ceil(totals[field] / getattr(rules, ratio))
                pool = sorted((e for e in prefer.get(fid, []) if e in f.escort_windows and role[e] == r), key=rank)
                pool += [e for e in f.escort_windows if role[e] == r and e not in pool]
                picked = [e for e in pool if all(tuple(sorted((o, fid))) not in problem.escort_conflicts
                                                 for o in state.flights_of_escort[e])][:need]
                short = short or len(picked) < need
                chosen += picked
            on_flight = [h for h, g in out.flight_of.items() if g == fid]
            if not (short or _over(state, f, len(chosen))) or not on_flight:
                # escorts beyond the need who still serve a kept household stay while the cabin has room
                paired = problem.pairings_kept(out.flight_of, fid)
                extra = [e for e in prefer.get(fid, []) if e in paired and e in f.escort_windows and e not in chosen
                         and all(tuple(sorted((o, fid))) not in problem.escort_conflicts
                                 for o in state.flights_of_escort[e])]
                if extra and not _over(state, f, len(chosen) + len(extra)):
                    chosen += extra
                break
            drop = min(on_flight, key=lambda h: (weight[h], h))
            state.remove(drop)
            del out.flight_of[drop]
        if chosen:
            out.escorts_on[fid] = sorted(chosen)
            for e in chosen:
                state.flights_of_escort[e].append(fid)
    return out


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
