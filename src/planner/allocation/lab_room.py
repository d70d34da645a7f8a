"""Whether extra test demand still fits the lab on top of a plan's: the lab check of top-ups and explanations
(planner.allocation.feasibility), answered without a test flow per household and flight.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.graph.python import max_flow

from planner.allocation.problem import AllocationProblem
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
