"""Allocation stage: which households fly on which flight, with escorts and test capacity.

A one-boolean-per-household-and-flight model does not scale (docs/architecture.md#allocation), so interchangeable
households are
aggregated into classes (same weight and the same options on every flight: usage, escorts, test windows) and
the model counts households per class and flight. Test capacity is a flow from test windows into slot
classes with daily lab limits, which is exact: any integral flow can be cut into concrete slots afterwards.
Level 1a (Σ weight flown) is solved first; level 1b (Σ weight × flight day) is then minimised with 1a fixed.

The model is written once as a neutral integer program (`AllocationModel`) and handed to an engine: CP-SAT
(the default), or OR-Tools' MIP back ends (HiGHS, SCIP) through `pywraplp`; `bench/bench_allocation.py`
compares them. The greedy plan is the first incumbent (hint), and the better of the two plans is kept.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.allocation.feasibility import top_up, trim_escorts
from planner.allocation.greedy import Allocation
from planner.allocation.problem import ESCORT_ROLES, AllocationProblem, HouseholdInfo, Option
from planner.allocation.slot_booking import solve_flow, test_demand
from planner.model.options import Progress, SolveOptions
from planner.rules.testing_windows import TestWindow


def _option_key(o: Option) -> tuple:
    return (o.flight_id, o.usage, o.passengers, o.medical, o.uasc, o.tests)


def household_classes(problem: AllocationProblem) -> list[list[HouseholdInfo]]:
    """Groups of interchangeable households (same weight and same options), each sorted by id."""
    groups: dict[tuple, list[HouseholdInfo]] = defaultdict(list)
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


Terms = list[tuple[int, int]]  # (coefficient, variable index)
DETERMINISTIC_PER_SECOND = 0.3


@dataclass
class AllocationModel:
    """The aggregated integer program, independent of the engine that solves it."""

    classes: list[list[HouseholdInfo]]
    upper: list[int] = field(default_factory=list)  # variable upper bounds (lower bounds are 0)
    names: list[str] = field(default_factory=list)
    rows: list[tuple[Terms, int | None, int | None]] = field(default_factory=list)  # lo ≤ Σ ≤ hi
    x: dict[tuple[int, str], int] = field(default_factory=dict)
    a: dict[tuple[str, str], int] = field(default_factory=dict)
    z: dict[tuple[TestWindow, int], int] = field(default_factory=dict)
    level_a: Terms = field(default_factory=list)
    level_b: Terms = field(default_factory=list)
    at_most_one: list[tuple[int, int]] = field(default_factory=list)

    def var(self, name: str, upper: int) -> int:
        self.names.append(name)
        self.upper.append(upper)
        return len(self.upper) - 1

    def add(self, terms: Terms, lo: int | None = None, hi: int | None = None) -> None:
        terms = [(c, v) for c, v in terms if c]
        if terms:
            self.rows.append((terms, lo, hi))


def build_model(problem: AllocationProblem) -> AllocationModel:
    classes = household_classes(problem)
    m = AllocationModel(classes)
    flights = [f.flight.id for f in problem.flights]
    for c, members in enumerate(classes):
        opts = members[0].options
        row = []
        for fid in flights:
            if fid in opts:
                m.x[c, fid] = m.var(f"x{c}_{fid}", len(members))
                row.append((1, m.x[c, fid]))
        if len(row) > 1:
            m.add(row, hi=len(members))
    for f in problem.flights:
        for eid in f.escort_windows:
            m.a[eid, f.flight.id] = m.var(f"a{eid}_{f.flight.id}", 1)
    for (f1, f2) in sorted(problem.escort_conflicts):
        for e in problem.escorts:
            if (e.id, f1) in m.a and (e.id, f2) in m.a:
                m.at_most_one.append((m.a[e.id, f1], m.a[e.id, f2]))
    role = {e.id: e.role for e in problem.escorts}
    rules = problem.scenario.protocol.escorts
    demand: dict[TestWindow, Terms] = defaultdict(list)
    for f in problem.flights:
        fid = f.flight.id
        on = [(m.x[c, fid], classes[c][0].options[fid]) for c in range(len(classes)) if (c, fid) in m.x]
        esc = [(eid, m.a[eid, fid]) for eid in f.escort_windows]
        for j, limit in enumerate(f.limits):
            m.add([(o.usage[j], v) for v, o in on] + [(limit.escort_usage, v) for _, v in esc], hi=limit.rhs)
        for role_name, field_name, ratio_name in ESCORT_ROLES:
            ratio = getattr(rules, ratio_name)
            need = [(getattr(o, field_name), v) for v, o in on]
            have = [(ratio, v) for e, v in esc if role[e] == role_name]
            m.add(need + [(-c, v) for c, v in have], hi=0)
            # no superfluous escorts: they would only take seats and tests (never cuts an optimum)
            m.add(have + [(-c, v) for c, v in need], hi=ratio - 1)
        for v, o in on:
            for w, k in o.tests:
                demand[w].append((k, v))
        for eid, v in esc:
            w = f.escort_windows[eid]
            if w is not None:
                demand[w].append((1, v))
    per_day: dict[tuple, Terms] = defaultdict(list)
    by_window: dict[TestWindow, Terms] = defaultdict(list)
    for k, cls in enumerate(problem.classes):
        in_class = []
        for w in sorted(cls.valid):
            if w in demand:
                m.z[w, k] = m.var(f"z{k}", cls.capacity)
                by_window[w].append((1, m.z[w, k]))
                in_class.append((1, m.z[w, k]))
        if in_class:
            m.add(in_class, hi=cls.capacity)
            per_day[(cls.site_id, cls.day)].extend(in_class)
    for w, terms in demand.items():
        m.add(by_window.get(w, []) + [(-k, v) for k, v in terms], lo=0, hi=0)
    for key, terms in per_day.items():
        if key in problem.daily:
            m.add(terms, hi=problem.daily[key])
    # a re-plan keeps households on their flights; locked flights take nobody new
    class_of = {h.household.id: c for c, members in enumerate(classes) for h in members}
    kept: dict[tuple[int, str], int] = defaultdict(int)
    for hid, fid in problem.fixed.households.items():
        if hid in class_of and (class_of[hid], fid) in m.x:
            kept[class_of[hid], fid] += 1
    for (c, fid), v in m.x.items():
        n = kept.get((c, fid), 0)
        if fid in problem.fixed.locked:
            m.upper[v] = n
        if n:
            m.add([(1, v)], lo=n)
    day = {f.flight.id: f.day for f in problem.flights}
    for (c, fid), v in m.x.items():
        m.level_a.append((classes[c][0].weight, v))
        m.level_b.append((classes[c][0].weight * day[fid], v))
    return m


def hint_values(m: AllocationModel, problem: AllocationProblem, alloc: Allocation) -> dict[int, int]:
    class_of = {h.household.id: c for c, members in enumerate(m.classes) for h in members}
    values: dict[int, int] = defaultdict(int)
    for hid, fid in alloc.flight_of.items():
        values[m.x[class_of[hid], fid]] += 1
    for fid, es in alloc.escorts_on.items():
        for eid in es:
            values[m.a[eid, fid]] = 1
    for key, n in (solve_flow(problem, test_demand(problem, alloc)) or {}).items():
        if key in m.z:
            values[m.z[key]] = n
    return values


def extract(m: AllocationModel, value: dict[int, int] | list[int], problem: AllocationProblem) -> Allocation:
    """Households per class and flight back to named households; kept households stay where they were."""
    alloc = Allocation()
    order = [f.flight.id for f in problem.flights]
    fixed = problem.fixed.households
    for c, members in enumerate(m.classes):
        count = {fid: round(value[m.x[c, fid]]) for fid in order if (c, fid) in m.x}
        for h in members:
            fid = fixed.get(h.household.id)
            if fid is not None and count.get(fid, 0) > 0:
                alloc.flight_of[h.household.id] = fid
                count[fid] -= 1
        queue = [h for h in members if h.household.id not in alloc.flight_of and h.household.id not in fixed]
        queue += [h for h in members if h.household.id not in alloc.flight_of and h.household.id in fixed]
        for fid in order:
            for _ in range(count.get(fid, 0)):
                alloc.flight_of[queue.pop(0).household.id] = fid
    for (eid, fid), v in sorted(m.a.items()):
        if round(value[v]):
            alloc.escorts_on.setdefault(fid, []).append(eid)
    return alloc


# ------------------------------------------------------------------ CP-SAT engine

@dataclass
class Incumbent:
    """The best level-1a value found so far and the best proven bound (the least of the LP relaxation's and
    CP-SAT's bounds on the full model), so every progress report reads on one scale."""

    value: float | None = None
    bound: float | None = None

    def offer(self, value: float | None = None, bound: float | None = None) -> None:
        if value is not None:
            self.value = value if self.value is None else max(self.value, value)
        if bound is not None:
            self.bound = bound if self.bound is None else min(self.bound, bound)

    def progress(self, stage: str, options: SolveOptions, message: str = "") -> Progress:
        value, bound = self.value, self.bound
        if value is not None and bound is not None:
            bound = max(bound, value)
        gap = (bound - value) / bound if value is not None and bound else None
        return Progress(stage, value, bound, gap, options.elapsed(), message)


class Watch(cp_model.CpSolverSolutionCallback):
    """Reports progress at most once a second, in level-1a terms.

    `kind`: "1a" (a model maximising level 1a; with `proves`, its bound is a bound of the whole problem, not
    only of a neighbourhood), or "other" (level 1b or fleet sizing: the level-1a figures stay as they were)."""

    def __init__(self, stage: str, options: SolveOptions, incumbent: Incumbent, kind: str = "1a",
                 proves: bool = False, message: str = ""):
        super().__init__()
        self.stage, self.options, self.incumbent = stage, options, incumbent
        self.kind, self.proves, self.message = kind, proves, message
        self.last = 0.0

    def on_solution_callback(self) -> None:
        if self.kind == "1a":
            self.incumbent.offer(self.ObjectiveValue(), int(self.BestObjectiveBound() + 1e-6) if self.proves
                                 else None)
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            message = self.message
            if self.kind != "1a":
                message = f"{message} {self.ObjectiveValue():,.0f} (bound {self.BestObjectiveBound():,.0f})".strip()
            self.options.report(self.incumbent.progress(self.stage, self.options, message))


def run_cp(model: cp_model.CpModel, seconds: float, options: SolveOptions, stage: str,
           watch: Watch | None = None) -> tuple[cp_model.CpSolver, int]:
    """Solve within `seconds` and never past the solve's deadline; a stop request or the deadline ends the
    search with its best solution (CP-SAT's stop_search, from a watcher thread)."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = 0
    params.catch_sigint_signal = False  # Ctrl-C is the command's (planner.pipeline.interrupt), which stops every stage
    deadline = options.clock()
    wall = max(0.05, min(seconds, deadline.remaining()))
    if options.deterministic:
        params.interleave_search = True
        # CP-SAT's deterministic time runs about 3-4x slower than the wall clock on 2 cores with interleaved
        # workers; the wall limit is only a safety net that a normal run never reaches
        params.max_deterministic_time = max(0.05, seconds * DETERMINISTIC_PER_SECOND)
        params.max_time_in_seconds = max(0.05, min(seconds * 10, deadline.remaining()))
    else:
        params.max_time_in_seconds = wall
    done = threading.Event()

    def watcher() -> None:
        while not done.wait(0.05):
            if options.stopped() or deadline.expired():
                solver.stop_search()
                return

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    status = solver.solve(model, watch or Watch(stage, options, Incumbent(), kind="other"))
    done.set()
    thread.join()
    return solver, status


def _linear_solver(m: AllocationModel, engine: str, integer: bool) -> tuple[object, list, object]:
    """`m` in OR-Tools' linear solver wrapper (GLOP for the LP, SCIP/HiGHS for the MIP), maximising 1a."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver(engine)
    if solver is None:
        raise ValueError(f"linear solver {engine} is not available")
    inf = solver.infinity()
    var = solver.IntVar if integer else solver.NumVar
    xs = [var(0, ub, name) for ub, name in zip(m.upper, m.names, strict=True)]
    for terms, lo, hi in m.rows:
        row = solver.RowConstraint(-inf if lo is None else lo, inf if hi is None else hi)
        for c, v in terms:
            row.SetCoefficient(xs[v], c)
    for u, v in m.at_most_one:
        solver.Add(xs[u] + xs[v] <= 1)
    objective = solver.Objective()
    for c, v in m.level_a:
        objective.SetCoefficient(xs[v], c)
    objective.SetMaximization()
    return solver, xs, objective


#: Above this many variables the LP goes to PDLP (first-order, about 3x faster than GLOP's simplex at 20,000
#: people in bench/bench_allocation.py, equal bound after rounding down); below it GLOP's exact simplex.
PDLP_FROM_VARIABLES = 40_000


def _lp_relaxation(m: AllocationModel, seconds: float = 0.0) -> tuple[list[float], int]:
    """Solve the LP relaxation: a bound for level 1a (rounded down) and a guide for the neighbourhood.
    `seconds` > 0 caps its time (then without an optimal LP the bound is the trivial one)."""
    from ortools.linear_solver import pywraplp

    engine = "PDLP" if len(m.upper) >= PDLP_FROM_VARIABLES else "GLOP"
    solver, xs, objective = _linear_solver(m, engine, integer=False)
    if seconds > 0:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        # no LP optimum (e.g. out of time): every household that could fly, flying, bounds level 1a
        return [0.0] * len(xs), sum(members[0].weight * len(members) for members in m.classes)
    # PDLP stops at a relative tolerance (1e-6 here): widen by it so that the bound stays an upper bound
    slack = abs(objective.Value()) * 1e-6 if engine == "PDLP" else 0.0
    return [v.solution_value() for v in xs], int(objective.Value() + slack + 1e-6)


def cp_base_model(m: AllocationModel) -> cp_model.CpModel:
    """The CP-SAT model of `m`, without objective; stages clone it (variable i is proto index i)."""
    model = cp_model.CpModel()
    xs = [model.new_int_var(0, u, name) for u, name in zip(m.upper, m.names, strict=True)]
    for terms, lo, hi in m.rows:
        expr = cp_model.LinearExpr.weighted_sum([xs[v] for _, v in terms], [c for c, _ in terms])
        if lo is not None and hi is not None and lo == hi:
            model.add(expr == lo)
        else:
            if lo is not None:
                model.add(expr >= lo)
            if hi is not None:
                model.add(expr <= hi)
    for u, v in m.at_most_one:
        model.add(xs[u] + xs[v] <= 1)
    return model


def stage_model(base: cp_model.CpModel, m: AllocationModel, start: list[int] | None, upper: list[int] | None = None
           ) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    model = base.clone()
    xs = [model.get_int_var_from_proto_index(i) for i in range(len(m.upper))]
    if upper is not None:
        for i, u in enumerate(upper):
            if u != m.upper[i]:
                model.proto.variables[i].domain[1] = u
    for var, val in zip(xs, start or [], strict=False):
        model.add_hint(var, val)
    return model, xs


def weighted(xs: list[cp_model.IntVar], terms: Terms) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([xs[v] for _, v in terms], [c for c, _ in terms])


def _cpsat(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation, seconds: float,
           incumbent: Incumbent) -> Allocation:
    """LP relaxation → CP-SAT inside the LP's support (a RINS-like neighbourhood) → top-up → full CP-SAT →
    level 1b with 1a fixed; all within `seconds` and never past the solve's deadline.

    Shares: the LP at most a quarter, the neighbourhood 35 %, the full model 45 %, level 1b the rest. A
    deterministic solve uses the shares of `seconds` as they are (CP-SAT's deterministic time); otherwise each
    stage gets its share or what is left, whichever is less."""
    deadline = options.clock()
    end = min(deadline.at, time.monotonic() + seconds)
    # the LP gives the bound and the neighbourhood CP-SAT starts from; without it a large plan stays greedy,
    # which costs more to finish than the LP takes, so only the command's own deadline cuts it short
    lp_seconds = 0.0 if options.deterministic else max(0.05, end - time.monotonic(), min(deadline.remaining(), 30.0))
    lp, lp_bound = _lp_relaxation(m, lp_seconds)
    incumbent.offer(bound=lp_bound)
    options.report(incumbent.progress("allocation-lp", options, "LP relaxation"))
    base = cp_base_model(m)
    values = hint_values(m, problem, hint)
    best = [values.get(i, 0) for i in range(len(m.upper))]
    best_a = sum(c * best[v] for c, v in m.level_a)
    bound = lp_bound
    optimal = False

    def left(share: float) -> float:
        if options.deterministic:
            return seconds * share
        return min(seconds * share, end - time.monotonic())

    def improve(upper: list[int] | None, seconds: float, stage: str) -> None:
        nonlocal best, best_a, bound, optimal
        model, xs = stage_model(base, m, None if upper is not None else best, upper)
        model.maximize(weighted(xs, m.level_a))
        watch = Watch(stage, options, incumbent, proves=upper is None,
                       message="near the LP solution" if upper is not None else "full model")
        solver, status = run_cp(model, seconds, options, stage, watch)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        if round(solver.objective_value) >= best_a:
            best, best_a = [solver.value(v) for v in xs], round(solver.objective_value)
        if upper is None:
            bound = min(bound, round(solver.best_objective_bound))
            optimal = optimal or status == cp_model.OPTIMAL
            incumbent.offer(bound=bound)

    def adopt(alloc: Allocation) -> None:
        nonlocal best, best_a
        values = hint_values(m, problem, alloc)
        candidate = [values.get(i, 0) for i in range(len(m.upper))]
        value = sum(c * candidate[v] for c, v in m.level_a)
        if value >= best_a:
            best, best_a = candidate, value
        incumbent.offer(best_a)

    def going() -> bool:
        return not options.stopped() and (options.deterministic or end - time.monotonic() > 0.05)

    # 1) CP-SAT in the neighbourhood of the LP and the incumbent (a RINS-like move), then a top-up by priority,
    #    then the full model from the best plan so far
    x_ids = set(m.x.values())
    # (no hint here: the greedy plan is a poor local optimum that holds the search back)
    upper = [min(u, int(-(-lp[i] // 1) + 1e-9)) if i in x_ids else u for i, u in enumerate(m.upper)]
    if best_a < bound and going():
        improve(upper, left(0.35), "allocation-rins")
        adopt(top_up(problem, trim_escorts(problem, extract(m, best, problem))))
    if best_a < bound and going():
        improve(None, left(0.45), "allocation")
    result = extract(m, best, problem)
    result.bound = bound
    result.status = "stopped" if options.stopped() else ("optimal" if optimal or best_a >= bound else "feasible")
    if not going():
        return result
    # 3) level 1b with level 1a fixed
    model, xs = stage_model(base, m, best)
    model.add(weighted(xs, m.level_a) >= best_a)
    model.minimize(weighted(xs, m.level_b))
    watch = Watch("allocation-1b", options, incumbent, kind="other", message="level 1b, Σ weight × day")
    solver, status = run_cp(model, left(1.0) if not options.deterministic else seconds * 0.2, options,
                            "allocation-1b", watch)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        second = extract(m, [solver.value(v) for v in xs], problem)
        second.bound, second.status = bound, result.status
        return second
    return result


# ------------------------------------------------------------------ MIP engines (HiGHS, SCIP) via pywraplp

def _mip(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation, seconds: float,
         engine: str) -> Allocation:
    from ortools.linear_solver import pywraplp

    solver, xs, objective = _linear_solver(m, engine, integer=True)
    values = hint_values(m, problem, hint)
    solver.SetHint(xs, [values.get(i, 0) for i in range(len(xs))])
    solver.SetTimeLimit(max(1, int(min(seconds, options.clock().remaining()) * 1000)))
    solver.SetNumThreads(max(1, options.workers))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return hint
    best_a = round(objective.Value())
    bound = int(objective.BestBound() + 1e-6)
    result = extract(m, [v.solution_value() for v in xs], problem)
    result.bound, result.status = bound, ("optimal" if status == pywraplp.Solver.OPTIMAL else "feasible")
    options.report(Progress("allocation", best_a, bound, (bound - best_a) / bound if bound else 0.0,
                            options.elapsed(), engine))
    return result


def solve_allocation(problem: AllocationProblem, options: SolveOptions, hint: Allocation, seconds: float,
                     incumbent: Incumbent | None = None) -> Allocation:
    """Solve levels 1a and 1b with the chosen engine (`options.engine`, default CP-SAT) within
    `seconds` (and the solve's deadline)."""
    end = time.monotonic() + seconds
    m = build_model(problem)
    engine = options.engine
    left = seconds if options.deterministic else max(0.0, end - time.monotonic())
    if engine == "cp-sat":
        return _cpsat(m, problem, options, hint, left, incumbent or Incumbent())
    return _mip(m, problem, options, hint, left, engine.upper())
