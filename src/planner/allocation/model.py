"""Allocation stage: which households fly on which flight, with escorts and test capacity.

A one-boolean-per-household-and-flight model does not scale (docs/architecture.md#allocation), so interchangeable
households are aggregated into classes (same weight and the same options on every flight: usage, escorts, test
windows) and the model counts households per class and flight. Test capacity is a flow from test windows into
slot classes with daily lab limits, which is exact: any integral flow can be cut into concrete slots afterwards.
Level 1a (Σ weight flown) is solved first; level 1b (Σ weight × flight day) is then minimised with 1a fixed.

The model is written once as a neutral integer program (`planner.allocation.program`), one function per rule
family below, and handed to an engine: CP-SAT (the default, `planner.allocation.cpsat`), or OR-Tools' MIP back
ends (HiGHS, SCIP, `planner.allocation.linear`); `bench/bench_allocation.py` compares them. The greedy plan is
the first incumbent (hint), and the better of the two plans is kept.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from datetime import date

from planner.allocation.bounds import SEATS
from planner.allocation.cpsat import HandOver, Incumbent, solve_cpsat
from planner.allocation.feasibility import trim_escorts
from planner.allocation.greedy import Allocation
from planner.allocation.household_options import HouseholdInfo, Option
from planner.allocation.linear import solve_mip
from planner.allocation.problem import AllocationProblem, FlightInfo, turnaround_cliques
from planner.allocation.program import AllocationModel, Terms, dense, extract, hint_values
from planner.allocation.windows import WindowSearch
from planner.model.options import SolveOptions
from planner.rules.escorts import ESCORT_ROLES
from planner.rules.testing_windows import SlotClass, TestWindow

OptionKey = tuple[str, tuple[int, ...], int, int, int, tuple[tuple[TestWindow, int], ...]]
#: A flight's household-class counts with their options, and its escort variables.
OnBoard = list[tuple[int, Option]]
Escorts = list[tuple[str, int]]


def _option_key(o: Option) -> OptionKey:
    """What makes two households interchangeable on a flight: everything of the option but its lap pairs."""
    return o[:6]  # (flight_id, usage, passengers, medical, uasc, tests)


def household_classes(problem: AllocationProblem) -> list[list[HouseholdInfo]]:
    """Groups of interchangeable households (same weight and same options), each sorted by id."""
    groups: dict[tuple[int, tuple[OptionKey, ...]], list[HouseholdInfo]] = defaultdict(list)
    for h in problem.households:
        if h.options:
            key = (h.weight, tuple(_option_key(h.options[f]) for f in sorted(h.options)))
            groups[key].append(h)
    ordered = sorted(groups.values(), key=lambda g: min(h.household.id for h in g))
    return [sorted(g, key=lambda h: h.household.id) for g in ordered]


def level1(problem: AllocationProblem, alloc: Allocation) -> tuple[int, int]:
    """(Σ weight flown, Σ weight × flight day) of an allocation."""
    weights = {h.household.id: h.weight for h in problem.households}
    a = sum(weights[h] for h in alloc.flight_of)
    b = sum(weights[h] * problem.flight(f).day for h, f in alloc.flight_of.items())
    return a, b


def class_label(members: list[HouseholdInfo]) -> str:
    """A household class by its first household and how many more share its weight and options."""
    first = members[0].household.id
    return first if len(members) == 1 else f"{first}+{len(members) - 1}"


def window_label(w: TestWindow) -> str:
    """A test window by its sites and sampling span (and where robust slots start, when later)."""
    span = f"{'+'.join(w.sites) or 'no site'} {w.earliest_start:%m-%d %H:%M}..{w.latest_end:%m-%d %H:%M}"
    return span if w.robust_start <= w.earliest_start else f"{span} robust from {w.robust_start:%m-%d %H:%M}"


def slot_class_label(cls: SlotClass) -> str:
    """A slot class by its site and first slot (a slot belongs to one class), and its number of slots."""
    return f"{cls.site_id} {cls.slots[0].start:%Y-%m-%d %H:%M} ({len(cls.slots)} slots)"


def build_model(problem: AllocationProblem) -> AllocationModel:
    """The allocation program of a problem, one rule family at a time; variables and rows are posted in a
    fixed order (the engines' search, and with it a deterministic solve, depends on it)."""
    m = AllocationModel(household_classes(problem))
    labels = [class_label(members) for members in m.classes]
    _household_on_one_flight(m, problem, labels)
    _escort_variables(m, problem)
    _escort_turnaround(m, problem)
    demand: dict[TestWindow, Terms] = defaultdict(list)
    on_flight: dict[str, OnBoard] = defaultdict(list)  # in class order, as the rows list them
    for (c, fid), v in m.x.items():
        on_flight[fid].append((v, m.classes[c][0].options[fid]))
    for f in problem.flights:
        fid = f.flight.id
        on = on_flight[fid]
        esc = [(eid, m.escort[eid, fid]) for eid in f.escort_windows]
        _cabin_limits(m, f, on, esc)
        _escort_ratios(m, problem, f, on, esc)
        _test_demand(demand, f, on, esc)
    per_day = _slot_class_capacity(m, problem, demand)
    _tests_served(m, demand)
    _lab_daily_capacity(m, problem, per_day)
    _replan_kept(m, problem, labels)
    _objectives(m, problem)
    return m


def _household_on_one_flight(m: AllocationModel, problem: AllocationProblem, labels: list[str]) -> None:
    """x[class,flight] for every flight the class may take; a household flies at most once
    (docs/rules.md#plan-integrity), so a class's counts over its flights stay within its size."""
    flights = [f.flight.id for f in problem.flights]
    for c, members in enumerate(m.classes):
        opts = members[0].options
        row: Terms = []
        for fid in flights:
            if fid in opts:
                m.x[c, fid] = m.var(f"x[{labels[c]},{fid}]", len(members))
                row.append((1, m.x[c, fid]))
        if len(row) > 1:
            m.add(f"one flight[{labels[c]}]", row, hi=len(members))


def _escort_variables(m: AllocationModel, problem: AllocationProblem) -> None:
    """escort[id,flight] for every escort who may fly the flight (available, back in time, testable)."""
    for f in problem.flights:
        for eid in f.escort_windows:
            m.escort[eid, f.flight.id] = m.var(f"escort[{eid},{f.flight.id}]", 1)


def _escort_turnaround(m: AllocationModel, problem: AllocationProblem) -> None:
    """No escort flies two flights closer than the turnaround (docs/rules.md#escort-availability-and-turnaround):
    at most one flight of each group of flights that are pairwise too close (`turnaround_cliques`). Posted
    pair by pair, the LP's box near its plan had no whole escort schedule at 7,000 synthetic people (seed
    2021), and the plan began from the greedy one (0.61 % below the bound in 20 s, against 0.07 %)."""
    flights = [f.flight for f in problem.flights]
    for group in turnaround_cliques(flights, problem.escort_conflicts):
        for e in problem.escorts:
            terms = [(1, m.escort[e.id, fid]) for fid in group if (e.id, fid) in m.escort]
            if len(terms) > 1:
                m.add(f"turnaround[{e.id},{'+'.join(group)}]", terms, hi=1)


def _cabin_limits(m: AllocationModel, f: FlightInfo, on: OnBoard, esc: Escorts) -> None:
    """Every cabin limit of the flight holds with its households and escorts (docs/rules.md#capacity-limits)."""
    variables = [v for v, _ in on]
    # one column per limit (a million usages at 50,000 people: transposed once, zeros left out here)
    usages = list(zip(*(o.usage for _, o in on), strict=True)) if on else [() for _ in f.limits]
    for limit, column in zip(f.limits, usages, strict=True):
        terms = [(u, v) for u, v in zip(column, variables, strict=True) if u]
        m.add(f"cabin[{f.flight.id},{limit.name}]", terms + [(limit.escort_usage, v) for _, v in esc], hi=limit.rhs)


def _escort_ratios(m: AllocationModel, problem: AllocationProblem, f: FlightInfo, on: OnBoard, esc: Escorts) -> None:
    """Enough escorts of each role for the people who need them (docs/rules.md#escort-ratios), and no spare
    ones: they would only take seats and tests (never cuts an optimum)."""
    rules = problem.scenario.protocol.escorts
    role = {e.id: e.role for e in problem.escorts}
    for role_name, field_name, ratio_name in ESCORT_ROLES:
        ratio: int = getattr(rules, ratio_name)
        need = [(int(n), v) for v, o in on if (n := getattr(o, field_name))]
        have = [(ratio, v) for e, v in esc if role[e] == role_name]
        m.add(f"escorts needed[{f.flight.id},{role_name}]", need + [(-c, v) for c, v in have], hi=0)
        m.add(f"no spare escorts[{f.flight.id},{role_name}]", have + [(-c, v) for c, v in need], hi=ratio - 1)
    _whole_operational_escorts(m, problem, f, on, [v for e, v in esc if role[e] == "operational"])


def _whole_operational_escorts(m: AllocationModel, problem: AllocationProblem, f: FlightInfo, on: OnBoard,
                               operational: list[int]) -> None:
    """A cut that no integral plan breaks: operational escorts come whole, and each takes a seat. The relaxation
    flies 3.6 escorts with 180 passengers on a 174-seat cabin, where a plan needs 4 and then seats at most 170;
    at 7,000 people those fractions were 11 seats (120 level-1 points) of the gap to the LP's bound, the bound
    the plan was measured against (docs/scale.md, "The bound").

    With r passengers per escort, a seat capacity C and u seats per escort, k escorts carry at most r·k people,
    and k+1 leave C - u·(k+1) seats; for the largest k with r·k ≤ C - u·k, every integral point keeps
    seated ≤ r·k + σ·(escorts - k), σ = C - u·(k+1) - r·k (the line through both corners; below k escorts
    the ratio binds, above k+1 the seats). Seated counts each household's seats, but never more than its
    passengers, whom the ratio counts."""
    seats = next((limit for limit in f.limits if limit.name == SEATS), None)
    if seats is None or seats.escort_usage <= 0:
        return
    slope, rhs = whole_escorts_cut(seats.rhs, problem.scenario.protocol.escorts.operational_per_passengers,
                                   seats.escort_usage)
    at = f.limits.index(seats)
    seated = [(min(o.usage[at], o.passengers), v) for v, o in on]
    m.add(f"whole escorts[{f.flight.id},operational]", seated + [(-slope, v) for v in operational], hi=rhs)


def whole_escorts_cut(capacity: int, ratio: int, usage: int) -> tuple[int, int]:
    """(σ, r·k - σ·k) of `_whole_operational_escorts`' row seated - σ·escorts ≤ r·k - σ·k."""
    k = capacity // (ratio + usage)
    slope = max(0, capacity - usage * (k + 1) - ratio * k)
    return slope, ratio * k - slope * k


def _test_demand(demand: dict[TestWindow, Terms], f: FlightInfo, on: OnBoard, esc: Escorts) -> None:
    """Tests each window needs: its households' tested members and its tested escorts."""
    for v, o in on:
        for w, k in o.tests:
            demand[w].append((k, v))
    for eid, v in esc:
        escort_w = f.escort_windows[eid]
        if escort_w is not None:
            demand[escort_w].append((1, v))


def _slot_class_capacity(m: AllocationModel, problem: AllocationProblem, demand: dict[TestWindow, Terms]
                         ) -> dict[tuple[str, date], Terms]:
    """flow[window,slot class] for the windows a class's slots are valid for; a class tests at most its slots'
    capacity (docs/rules.md#lab-slot-and-daily-capacity). Returns the flows into each site-day."""
    per_day: dict[tuple[str, date], Terms] = defaultdict(list)
    window_labels = {w: window_label(w) for w in demand}
    for k, cls in enumerate(problem.classes):
        in_class: Terms = []
        label = None
        for w in sorted(cls.valid):
            if w in demand:
                label = label or slot_class_label(cls)
                m.flow[w, k] = m.var(f"flow[{window_labels[w]},{label}]", cls.capacity)
                in_class.append((1, m.flow[w, k]))
        if in_class:
            m.add(f"slot class[{label}]", in_class, hi=cls.capacity)
            per_day[(cls.site_id, cls.day)].extend(in_class)
    return per_day


def _tests_served(m: AllocationModel, demand: dict[TestWindow, Terms]) -> None:
    """Every test a window needs is sampled in a slot class valid for it (docs/rules.md#test-windows)."""
    by_window: dict[TestWindow, Terms] = defaultdict(list)
    for (w, _), v in m.flow.items():
        by_window[w].append((1, v))
    for w, terms in demand.items():
        m.add(f"tests[{window_label(w)}]", by_window.get(w, []) + [(-k, v) for k, v in terms], lo=0, hi=0)


def _lab_daily_capacity(m: AllocationModel, problem: AllocationProblem, per_day: dict[tuple[str, date], Terms]
                        ) -> None:
    """A lab processes at most its daily capacity (docs/rules.md#lab-slot-and-daily-capacity)."""
    for key, terms in per_day.items():
        if key in problem.daily:
            m.add(f"lab day[{key[0]},{key[1]:%Y-%m-%d}]", terms, hi=problem.daily[key])


def _replan_kept(m: AllocationModel, problem: AllocationProblem, labels: list[str]) -> None:
    """A re-plan keeps households on their flights, and locked flights take nobody new
    (docs/rules.md#re-plan-stability, docs/rules.md#published-flights-locked)."""
    class_of = {h.household.id: c for c, members in enumerate(m.classes) for h in members}
    kept: dict[tuple[int, str], int] = defaultdict(int)
    for hid, fid in problem.fixed.households.items():
        if hid in class_of and (class_of[hid], fid) in m.x:
            kept[class_of[hid], fid] += 1
    for (c, fid), v in m.x.items():
        n = kept.get((c, fid), 0)
        if fid in problem.fixed.locked:
            m.upper[v] = n
        if n:
            m.add(f"kept[{labels[c]},{fid}]", [(1, v)], lo=n)


def _objectives(m: AllocationModel, problem: AllocationProblem) -> None:
    """Level 1a, Σ weight flown, and level 1b, Σ weight × flight day (docs/rules.md#objective)."""
    day = {f.flight.id: f.day for f in problem.flights}
    for (c, fid), v in m.x.items():
        m.level_a.append((m.classes[c][0].weight, v))
        m.level_b.append((m.classes[c][0].weight * day[fid], v))


def improved_by_windows(problem: AllocationProblem, alloc: Allocation, until: float, options: SolveOptions,
                        first: Collection[str] = ()) -> Allocation:
    """`alloc` re-planned a few flights at a time by SCIP until `until` (monotonic clock) or a stop, on the
    problem's options as they are now (planner.allocation.windows), windows with a flight of `first` first:
    never worse by level 1a. What the pipeline runs after cuts a later stage found (docs/transfers.md); the
    escorts are the program's, trimmed."""
    m = build_model(problem)
    start = dense(m, hint_values(m, problem, alloc))
    best = WindowSearch(m, problem, "scip").improve(start, until, options.stopped, lambda _: None, options.workers,
                                                    first)
    if m.value(m.level_a, best) <= m.value(m.level_a, start):
        return alloc
    better = trim_escorts(problem, extract(m, best, problem))
    better.bound, better.status = alloc.bound, alloc.status
    return better


def solve_allocation(problem: AllocationProblem, options: SolveOptions, hint: Allocation, seconds: float,
                     incumbent: Incumbent | None = None, hand_over: HandOver | None = None) -> Allocation:
    """Solve levels 1a and 1b with the chosen engine (`options.engine`, default CP-SAT) within
    `seconds` (and the solve's deadline); `hand_over`: planner.allocation.cpsat.HandOver."""
    end = time.monotonic() + seconds
    m = build_model(problem)
    left = seconds if options.deterministic else max(0.0, end - time.monotonic())
    if options.engine == "cp-sat":
        return solve_cpsat(m, problem, options, hint, left, incumbent or Incumbent(), hand_over)
    return solve_mip(m, problem, options, hint, left, options.engine.upper())
