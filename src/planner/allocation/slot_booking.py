"""Test slots stage: turn an allocation into a concrete sample slot for every tested passenger and escort.

First a min-cost flow (OR-Tools) sends each test window's demand into slot classes, respecting slot and daily
lab capacity and preferring robust slots (docs/rules.md#lab-slot-and-daily-capacity,
docs/rules.md#level-4-comfort-and-operations level 4). Then each class's share is cut into
concrete slots, keeping household members in one slot where capacity allows and spreading load over slots.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date
from fractions import Fraction

from ortools.graph.python import min_cost_flow

from planner.allocation.greedy import Allocation
from planner.allocation.household_options import kept_covers
from planner.allocation.problem import AllocationProblem
from planner.model.plan import TestBooking
from planner.oracle.objective import NON_ROBUST_COST
from planner.rules import lab_peaks
from planner.rules.testing_windows import (
    COVID,
    SlotInstance,
    TestWindow,
    escort_window,
    general_windows,
    person_window,
    provider_sites,
)

Flow = dict[tuple[TestWindow, int], int]


def test_demand(problem: AllocationProblem, alloc: Allocation) -> dict[TestWindow, int]:
    demand: dict[TestWindow, int] = defaultdict(int)
    infos = problem.infos
    for hid, fid in alloc.flight_of.items():
        for window, count in infos[hid].options[fid].tests:
            demand[window] += count
    for fid, escorts in alloc.escorts_on.items():
        windows = problem.flight(fid).escort_windows
        for eid in escorts:
            w = windows.get(eid)
            if w is not None:
                demand[w] += 1
    return dict(demand)


def solve_flow(problem: AllocationProblem, demand: dict[TestWindow, int]) -> Flow | None:
    """Min-cost assignment of test demand to slot classes; None when the demand cannot all be met."""
    found = _min_cost_flow(problem, demand)
    return None if found is None else found[0]


def _min_cost_flow(problem: AllocationProblem, demand: dict[TestWindow, int],
                   day_caps: dict[tuple[str, date], int] | None = None) -> tuple[Flow, int] | None:
    """The min-cost flow and its cost, with each site-day's arc capped by `day_caps` where given (and always by
    the daily lab capacity); None when the demand cannot all be met."""
    total = sum(demand.values())
    if total == 0:
        return {}, 0
    classes = problem.classes
    windows = sorted(demand)
    w_node = {w: 2 + i for i, w in enumerate(windows)}
    base = 2 + len(windows)
    days = sorted({(c.site_id, c.day) for c in classes})
    d_node = {d: base + 2 * len(classes) + i for i, d in enumerate(days)}
    source, sink = 0, 1
    mcf = min_cost_flow.SimpleMinCostFlow()
    arcs: list[tuple[TestWindow, int, int]] = []
    for w in windows:
        mcf.add_arc_with_capacity_and_unit_cost(source, w_node[w], demand[w], 0)
    for k, c in enumerate(classes):
        cin, cout = base + 2 * k, base + 2 * k + 1
        mcf.add_arc_with_capacity_and_unit_cost(cin, cout, c.capacity, 0)
        mcf.add_arc_with_capacity_and_unit_cost(cout, d_node[(c.site_id, c.day)], c.capacity, 0)
        for w in sorted(c.valid):
            if w in w_node:
                cost = 0 if w in c.robust else NON_ROBUST_COST
                arc = mcf.add_arc_with_capacity_and_unit_cost(w_node[w], cin, demand[w], cost)
                arcs.append((w, k, arc))
    for d, node in d_node.items():
        cap = problem.daily.get(d, total)
        if day_caps is not None and d in day_caps:
            cap = max(0, min(cap, day_caps[d]))
        mcf.add_arc_with_capacity_and_unit_cost(node, sink, cap, 0)
    mcf.set_node_supply(source, total)
    mcf.set_node_supply(sink, -total)
    status = mcf.solve_max_flow_with_min_cost()
    if status != mcf.OPTIMAL or mcf.maximum_flow() < total:
        return None
    return {(w, k): mcf.flow(arc) for w, k, arc in arcs if mcf.flow(arc) > 0}, mcf.optimal_cost()


def smooth_flow(problem: AllocationProblem, demand: dict[TestWindow, int], flow: Flow) -> Flow:
    """The flow with the least maximum daily load share among those as good as `flow` (the same level-4 cost):
    the model term of `planner.rules.lab_peaks`. Every share a site-day can reach is n / its day capacity, so a
    binary search over those values, one capped min-cost flow each, finds the least exactly."""
    scenario = problem.scenario
    sites = {s.id: s for s in scenario.testing_sites}
    caps = {d: lab_peaks.day_capacity(sites[d[0]]) for d in {(c.site_id, c.day) for c in problem.classes}}
    caps = {d: cap for d, cap in caps.items() if cap > 0}
    kept = lab_peaks.day_loads(scenario, problem.fixed.kept_bookings())
    cost = sum(n * (0 if w in problem.classes[k].robust else NON_ROBUST_COST) for (w, k), n in flow.items())
    loads: Counter[tuple[str, date]] = Counter()
    for (_, k), n in flow.items():
        loads[(problem.classes[k].site_id, problem.classes[k].day)] += n
    now = max((Fraction(loads[d] + kept[d], cap) for d, cap in caps.items()), default=Fraction(0))
    shares = sorted({Fraction(n, cap) for d, cap in caps.items() for n in range(kept[d], cap + 1)
                     if Fraction(n, cap) <= now})
    best, lo, hi = flow, 0, len(shares) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        share = shares[mid]
        found = _min_cost_flow(problem, demand, {d: math.floor(share * cap) - kept[d] for d, cap in caps.items()})
        if found is not None and found[1] == cost:
            best, hi = found[0], mid
        else:
            lo = mid + 1
    return best


#: People waiting for one test window, grouped: (group key, [(person or escort id, is escort, flight id)]).
Waiting = dict[TestWindow, list[tuple[str, list[tuple[str, bool, str]]]]]


def book_slots(problem: AllocationProblem, alloc: Allocation, flow: Flow) -> list[TestBooking]:
    """Concrete bookings for every tested passenger and escort of the allocation; with the protocol's lab peak
    objective, the flow is first smoothed (`smooth_flow`, docs/health-checks.md#lab-peaks)."""
    if flow and lab_peaks.wanted(problem.scenario):
        flow = smooth_flow(problem, test_demand(problem, alloc), flow)
    groups = _waiting(problem, alloc)
    share: dict[TestWindow, list[list[int]]] = defaultdict(list)  # window -> [[class, amount]]
    for (w, k), amount in sorted(flow.items(), key=lambda x: (x[0][0], problem.classes[x[0][1]].slots[0].start)):
        share[w].append([k, amount])
    slot_left: dict[SlotInstance, int] = {}
    bookings: list[TestBooking] = []
    for w in sorted(groups):
        parts = share.get(w, [])
        # biggest households first so they find a class with room for all of them
        for _, ids in sorted(groups[w], key=lambda g: (-len(g[1]), g[0])):
            remaining = list(ids)
            while remaining:
                part = next((p for p in parts if p[1] >= len(remaining)), None) or next(p for p in parts if p[1] > 0)
                take = min(part[1], len(remaining))
                chunk, remaining = remaining[:take], remaining[take:]
                part[1] -= take
                bookings += _into_slots(problem, part[0], chunk, slot_left)
    return sorted(bookings, key=lambda b: (b.site_id, b.start, b.person_id or "", b.escort_id or ""))


def _waiting(problem: AllocationProblem, alloc: Allocation) -> Waiting:
    """Who needs a sample in each window: household members together (one group per household and window),
    each escort alone; members whose sample a re-plan keeps are left out. A passenger needing several checks
    (docs/health-checks.md) waits in one window per check."""
    scenario = problem.scenario
    flights = {f.flight.id: f.flight for f in problem.flights}
    infos = problem.infos
    providers = provider_sites(scenario)
    groups: Waiting = defaultdict(list)
    for hid, fid in sorted(alloc.flight_of.items()):
        hh = infos[hid].household
        members: dict[TestWindow, list[tuple[str, bool, str]]] = defaultdict(list)
        kept_here = problem.fixed.households.get(hid) == fid
        for p in hh.members:
            covid = person_window(p, hh, flights[fid], scenario)
            windows = [(COVID, covid)] if covid is not None else []
            windows += general_windows(p, hh, flights[fid], scenario)
            kept = problem.fixed.bookings.get(p.case_id, []) if kept_here else []
            for check, w in windows:
                if any(kept_covers(b, check, w, providers) for b in kept):
                    continue  # a re-plan keeps this sample
                members[w].append((p.case_id, False, fid))
        for w, ids in members.items():
            groups[w].append((hid, ids))
    escorts = {e.id: e for e in problem.escorts}
    for fid, on_board in sorted(alloc.escorts_on.items()):
        for eid in on_board:
            ew = escort_window(escorts[eid], flights[fid], scenario)
            if ew is not None:
                groups[ew].append((f"escort:{eid}:{fid}", [(eid, True, fid)]))
    return groups


def _into_slots(problem: AllocationProblem, k: int, chunk: list[tuple[str, bool, str]],
                slot_left: dict[SlotInstance, int]) -> list[TestBooking]:
    cls = problem.classes[k]
    for s in cls.slots:
        slot_left.setdefault(s, s.capacity)
    out = []
    while chunk:
        fits = [s for s in cls.slots if slot_left[s] >= len(chunk)]
        slot = max(fits or cls.slots, key=lambda s: (slot_left[s], -s.start.timestamp()))
        take = min(slot_left[slot], len(chunk))
        for pid, is_escort, fid in chunk[:take]:
            out.append(TestBooking(person_id=None if is_escort else pid, escort_id=pid if is_escort else None,
                                   flight_id=fid, site_id=slot.site_id, start=slot.start, end=slot.end))
        slot_left[slot] -= take
        chunk = chunk[take:]
    return out
