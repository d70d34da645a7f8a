"""The priority-greedy planner: the baseline of the benchmarks, the solver's first incumbent, and the filler
that tops up a plan with households that still fit.

Households are taken by weight (highest first, then id); each goes on the earliest flight where every rule
holds: seats and cabin limits, escorts (drawn from the pool, turnaround respected, tested too), special
categories, and a test for every tested member in a slot class with room left that day.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field, replace

from planner.allocation.household_options import HouseholdInfo, Option
from planner.allocation.problem import AllocationProblem, FlightInfo
from planner.model.plan import PlanStatus
from planner.rules.escorts import escorts_needed
from planner.rules.testing_windows import TestWindow

TOTAL_FIELDS = ("passengers", "medical", "uasc")  # per-flight totals that decide the escorts needed


@dataclass
class Allocation:
    """Households on flights and escorts on flights; the test flow is recomputed by `slot_booking`."""

    flight_of: dict[str, str] = field(default_factory=dict)  # household id -> flight id
    escorts_on: dict[str, list[str]] = field(default_factory=dict)  # flight id -> escort ids
    status: PlanStatus = "greedy"
    bound: int | None = None

    def copy(self, **changes: object) -> Allocation:
        """A copy whose household and escort maps may change without touching this one."""
        return replace(self, flight_of=dict(self.flight_of),
                       escorts_on={f: list(es) for f, es in self.escorts_on.items()}, **changes)  # type: ignore[arg-type]


def over_with_escorts_on_board(fi: FlightInfo, usage: list[int], option: Option, escorts: int) -> bool:
    """Whether the option breaks a cabin limit of the flight (used so far: `usage`) with only the `escorts` on
    board: escorts only ever join and take room, so the option cannot fit whatever escorts it would bring."""
    return any(limit.escort_usage >= 0 and usage[j] + option.usage[j] + escorts * limit.escort_usage > limit.rhs
               for j, limit in enumerate(fi.limits))


class Residual:
    """Running totals of an allocation, to test whether one more household (and its escorts) fits."""

    def __init__(self, problem: AllocationProblem):
        self.p = problem
        self.usage = {f.flight.id: [0] * len(f.limits) for f in problem.flights}
        self.totals: dict[str, dict[str, int]] = {f.flight.id: defaultdict(int) for f in problem.flights}
        self.escorts_on: dict[str, list[str]] = {f.flight.id: [] for f in problem.flights}
        self.flights_of_escort: dict[str, list[str]] = defaultdict(list)
        # (flight, role) -> how many escorts could still join it at most: escorts only ever join flights here,
        # so once the pool is short for a flight it stays short, and the next household that would need one
        # more is turned away without scanning the pool again (that scan grew as households × flights ×
        # escorts: 26 s at 100,000 people)
        self.free_at_most: dict[tuple[str, str], int] = {}
        # (flight, role) -> the escorts of the role who may fly it, in pool order, and how many at their head
        # are no longer free for it (an escort who joined it or a flight too close to it stays so): the scan
        # starts past them (it had walked over every escort already flying, 59 % of the greedy's 61 s at
        # 100,000 people)
        self.pool: dict[tuple[str, str], list[str]] = {}
        self.taken_head: dict[tuple[str, str], int] = {}
        self.class_left = [c.capacity for c in problem.classes]
        self.day_left = dict(problem.daily)
        self.by_window: dict[TestWindow, list[int]] = defaultdict(list)
        for i, c in enumerate(problem.classes):
            for w in sorted(c.valid):
                self.by_window[w].append(i)
        for w, idxs in self.by_window.items():
            # robust first, then the least contested class, then the latest slot (keeps early slots free)
            idxs.sort(key=lambda i: (w not in problem.classes[i].robust, len(problem.classes[i].valid),
                                     -problem.classes[i].slots[0].start.timestamp()))
        self.escort_role = {e.id: e.role for e in problem.escorts}
        self.rules = problem.scenario.protocol.escorts

    # ---- tests
    def _take_tests(self, demand: list[tuple[TestWindow, int]]) -> list[tuple[int, int]] | None:
        taken: list[tuple[int, int]] = []
        for window, count in demand:
            need = count
            for i in self.by_window.get(window, ()):
                if need == 0:
                    break
                c = self.p.classes[i]
                day_key = (c.site_id, c.day)
                room = min(self.class_left[i], self.day_left.get(day_key, need))
                if room <= 0:
                    continue
                k = min(room, need)
                self.class_left[i] -= k
                if day_key in self.day_left:
                    self.day_left[day_key] -= k
                taken.append((i, k))
                need -= k
            if need:
                self._give_back(taken)
                return None
        return taken

    def _give_back(self, taken: list[tuple[int, int]]) -> None:
        for i, k in taken:
            self.class_left[i] += k
            c = self.p.classes[i]
            if (c.site_id, c.day) in self.day_left:
                self.day_left[(c.site_id, c.day)] += k

    # ---- escorts
    def _escort_free(self, escort_id: str, flight_id: str) -> bool:
        for other in self.flights_of_escort[escort_id]:
            if other == flight_id or tuple(sorted((other, flight_id))) in self.p.escort_conflicts:
                return False
        return True

    def may_fit(self, fi: FlightInfo, option: Option) -> bool:
        """Whether the option fits the flight's cabin with only the escorts already on board: necessary for
        `try_add` (escorts only join, and an escort never frees cabin room), and cheap. Once the early flights
        fill up, most households are tried on flights they cannot fit; this check rejects them before the
        escort search, which made the greedy grow as households x flights x escorts."""
        return not over_with_escorts_on_board(fi, self.usage[fi.flight.id], option, len(self.escorts_on[fi.flight.id]))

    def try_add(self, info: HouseholdInfo, option: Option) -> bool:
        """Add the household on the option's flight if every rule still holds; report whether it did."""
        fid = option.flight_id
        fi = self.p.flight(fid)
        if not self.may_fit(fi, option):
            return False
        totals = dict(self.totals[fid])
        for key in TOTAL_FIELDS:
            totals[key] = totals.get(key, 0) + getattr(option, key)
        new_escorts = self._escorts_to_add(fi, totals)
        if new_escorts is None or not self._cabin_fits(fi, option, len(self.escorts_on[fid]) + len(new_escorts)):
            return False
        merged: dict[TestWindow, int] = defaultdict(int)
        for w, k in option.tests:
            merged[w] += k
        for eid in new_escorts:
            escort_w = fi.escort_windows[eid]
            if escort_w is not None:
                merged[escort_w] += 1
        if self._take_tests(sorted(merged.items())) is None:
            return False
        usage = self.usage[fid]
        for j in range(len(usage)):
            usage[j] += option.usage[j]
        self.totals[fid] = defaultdict(int, totals)
        for eid in new_escorts:
            self.escorts_on[fid].append(eid)
            self.flights_of_escort[eid].append(fid)
        return True

    def _escorts_to_add(self, fi: FlightInfo, totals: dict[str, int]) -> list[str] | None:
        """Escorts who would have to join the flight for these totals (lowest ids of each role first, free of
        turnaround conflicts); None when the pool runs short."""
        fid = fi.flight.id
        have: dict[str, int] = defaultdict(int)
        for e in self.escorts_on[fid]:
            have[self.escort_role[e]] += 1
        missing = {r: n - have[r] for r, n in escorts_needed(self.rules, totals).items() if n > have[r]}
        new_escorts: list[str] = []
        for role, count in sorted(missing.items()):
            if self.free_at_most.get((fid, role), count) < count:
                return None
            wanted = count
            key = (fid, role)
            pool = self.pool.get(key)
            if pool is None:
                pool = self.pool[key] = [e for e in fi.escort_windows if self.escort_role[e] == role]
            head = self.taken_head.get(key, 0)
            while head < len(pool) and not self._escort_free(pool[head], fid):
                head += 1
            self.taken_head[key] = head
            for eid in itertools.islice(pool, head, None):
                if count == 0:
                    break
                if self._escort_free(eid, fid):  # not on this flight, nor on one too close to it
                    new_escorts.append(eid)
                    count -= 1
            if count:
                self.free_at_most[fid, role] = wanted - count
                return None
        return new_escorts

    def _cabin_fits(self, fi: FlightInfo, option: Option, n_escorts: int) -> bool:
        """Whether every cabin limit of the flight holds with the option and this many escorts on board."""
        usage = self.usage[fi.flight.id]
        for j, limit in enumerate(fi.limits):
            if usage[j] + option.usage[j] + n_escorts * limit.escort_usage > limit.rhs:
                return False
        return True


def greedy_allocation(problem: AllocationProblem) -> Allocation:
    """Priority greedy from an empty plan (re-plans start from their kept households instead, see solve)."""
    return _in_order(problem, sorted(problem.households, key=lambda h: (-h.weight, h.household.id)))


def seat_density_allocation(problem: AllocationProblem) -> Allocation:
    """The greedy by weight per seat, highest first: where the seats are what runs out, the weight a plan flies
    is the weight per seat of those it takes. Not a plan of priority order (a single may go before a family of
    more weight), but a start for the solver that the priority greedy is not: topped up, it flew 1.1 % more
    weight at 20,000 people and 2.2 % more at 50,000, where the solver has seconds for a few flights at a time
    only (docs/scale.md)."""
    return _in_order(problem, sorted(problem.households,
                                     key=lambda h: (-h.weight / max(1, h.household.size), h.household.id)))


def _in_order(problem: AllocationProblem, order: list[HouseholdInfo]) -> Allocation:
    """Each household, in `order`, on the first flight (in departure order) it still fits."""
    state = Residual(problem)
    alloc = Allocation(status="greedy")
    flight_order = [f.flight.id for f in problem.flights]
    for info in order:
        for fid in flight_order:
            option = info.options.get(fid)
            if option is not None and state.try_add(info, option):
                alloc.flight_of[info.household.id] = fid
                break
    alloc.escorts_on = {fid: sorted(es) for fid, es in state.escorts_on.items() if es}
    return alloc
