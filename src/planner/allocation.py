"""Allocation stage: which households fly on which flight, with escorts and test capacity (CP-SAT).

A one-boolean-per-household-and-flight model does not scale (DESIGN §6), so interchangeable households are
aggregated into classes (same weight and the same options on every flight: usage, escorts, test windows) and
the model counts households per class and flight. Test capacity is a flow from test windows into slot
classes with daily lab limits, which is exact: any integral flow can be cut into concrete slots afterwards.
Level 1a (Σ weight flown) is solved first; level 1b (Σ weight × flight day) is then minimised with 1a fixed.
The greedy plan is the first incumbent (hint), and the better of the two is kept.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from ortools.sat.python import cp_model

from planner.greedy import Allocation
from planner.options import Progress, SolveOptions
from planner.problem import HouseholdInfo, Option, Problem
from planner.slot_booking import solve_flow, test_demand
from planner.testing_windows import TestWindow

ROLE_FIELDS = (("operational", "passengers", "operational_per_passengers"), ("medical", "medical", "medical_per_cases"),
               ("uasc", "uasc", "uasc_per_escort"))


def _option_key(o: Option) -> tuple:
    return (o.flight_id, o.usage, o.passengers, o.special, o.able_bodied, o.medical, o.uasc, o.tests)


def household_classes(problem: Problem) -> list[list[HouseholdInfo]]:
    """Groups of interchangeable households (same weight and same options), each sorted by id."""
    groups: dict[tuple, list[HouseholdInfo]] = defaultdict(list)
    for h in problem.households:
        if h.options:
            key = (h.weight, tuple(_option_key(h.options[f]) for f in sorted(h.options)))
            groups[key].append(h)
    ordered = sorted(groups.values(), key=lambda g: min(h.household.id for h in g))
    return [sorted(g, key=lambda h: h.household.id) for g in ordered]


def level1(problem: Problem, alloc: Allocation) -> tuple[int, int]:
    """(Σ weight flown, Σ weight × flight day) of an allocation."""
    weights = {h.household.id: h.weight for h in problem.households}
    a = sum(weights[h] for h in alloc.flight_of)
    b = sum(weights[h] * problem.flight(f).day for h, f in alloc.flight_of.items())
    return a, b


class _Watch(cp_model.CpSolverSolutionCallback):
    """Records the incumbent and reports progress at most once a second."""

    def __init__(self, stage: str, options: SolveOptions, started: float):
        super().__init__()
        self.stage, self.options, self.started = stage, options, started
        self.last = 0.0

    def on_solution_callback(self) -> None:
        now = time.monotonic()
        if self.options.stopped():
            self.StopSearch()
        if now - self.last >= 1.0:
            self.last = now
            value, bound = self.ObjectiveValue(), self.BestObjectiveBound()
            gap = abs(bound - value) / abs(bound) if bound else 0.0
            self.options.report(Progress(self.stage, value, bound, gap, now - self.started))


def _run(model: cp_model.CpModel, seconds: float, options: SolveOptions, stage: str, started: float
         ) -> tuple[cp_model.CpSolver, int]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = 0
    if options.deterministic:
        params.interleave_search = True
        params.max_deterministic_time = max(0.1, seconds)
        params.max_time_in_seconds = max(1.0, seconds * 6)
    else:
        params.max_time_in_seconds = max(0.1, seconds)
    watch = _Watch(stage, options, started)
    done = threading.Event()

    def watcher() -> None:
        while not done.wait(0.1):
            if options.stopped():
                solver.stop_search()
                return

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    status = solver.solve(model, watch)
    done.set()
    thread.join()
    return solver, status


def cp_allocation(problem: Problem, options: SolveOptions, hint: Allocation, started: float) -> Allocation:
    """Solve levels 1a and 1b with CP-SAT, hinted with `hint`; returns the better of the two plans."""
    classes = household_classes(problem)
    model = cp_model.CpModel()
    scenario = problem.scenario
    flights = [f.flight.id for f in problem.flights]
    x: dict[tuple[int, str], cp_model.IntVar] = {}
    for c, members in enumerate(classes):
        opts = members[0].options
        row = []
        for fid in flights:
            if fid in opts:
                x[c, fid] = model.new_int_var(0, len(members), f"x{c}_{fid}")
                row.append(x[c, fid])
        model.add(sum(row) <= len(members))
    a: dict[tuple[str, str], cp_model.IntVar] = {}
    for f in problem.flights:
        for eid in f.escort_windows:
            a[eid, f.flight.id] = model.new_bool_var(f"a{eid}_{f.flight.id}")
    for (f1, f2) in sorted(problem.escort_conflicts):
        for e in problem.escorts:
            if (e.id, f1) in a and (e.id, f2) in a:
                model.add_at_most_one(a[e.id, f1], a[e.id, f2])
    role = {e.id: e.role for e in problem.escorts}
    rules = scenario.protocol.escorts
    demand_terms: dict[TestWindow, list] = defaultdict(list)
    for f in problem.flights:
        fid = f.flight.id
        on = [(c, x[c, fid], classes[c][0].options[fid]) for c in range(len(classes)) if (c, fid) in x]
        esc = [(eid, a[eid, fid]) for eid in f.escort_windows]
        n_esc = sum(v for _, v in esc)
        for j, limit in enumerate(f.limits):
            model.add(sum(o.usage[j] * v for _, v, o in on) + limit.escort_usage * n_esc <= limit.rhs)
        for role_name, field_name, ratio_name in ROLE_FIELDS:
            ratio = getattr(rules, ratio_name)
            model.add(sum(getattr(o, field_name) * v for _, v, o in on)
                      <= ratio * sum(v for eid, v in esc if role[eid] == role_name))
        model.add(sum(o.special * v for _, v, o in on) <= sum(o.able_bodied * v for _, v, o in on) + n_esc)
        for _, v, o in on:
            for w, k in o.tests:
                demand_terms[w].append(k * v)
        for eid, v in esc:
            w = f.escort_windows[eid]
            if w is not None:
                demand_terms[w].append(v)
    z: dict[tuple[TestWindow, int], cp_model.IntVar] = {}
    by_window: dict[TestWindow, list] = defaultdict(list)
    per_day: dict[tuple, list] = defaultdict(list)
    for k, cls in enumerate(problem.classes):
        in_class = []
        for w in sorted(cls.valid):
            if w in demand_terms:
                z[w, k] = model.new_int_var(0, cls.capacity, f"z{k}")
                by_window[w].append(z[w, k])
                in_class.append(z[w, k])
        if in_class:
            model.add(sum(in_class) <= cls.capacity)
            per_day[(cls.site_id, cls.day)].extend(in_class)
    for w, terms in demand_terms.items():
        model.add(sum(by_window.get(w, [])) == sum(terms))
    for key, vars_ in per_day.items():
        if key in problem.daily:
            model.add(sum(vars_) <= problem.daily[key])

    weight = [members[0].weight for members in classes]
    level_a = sum(weight[c] * v for (c, _), v in x.items())
    day = {f.flight.id: f.day for f in problem.flights}
    level_b = sum(weight[c] * day[fid] * v for (c, fid), v in x.items())

    # hint: the greedy plan, including a test flow that proves it feasible
    class_of = {h.household.id: c for c, members in enumerate(classes) for h in members}
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for hid, fid in hint.flight_of.items():
        counts[class_of[hid], fid] += 1
    for key, v in x.items():
        model.add_hint(v, counts.get(key, 0))
    hinted = {(eid, fid) for fid, es in hint.escorts_on.items() for eid in es}
    for key, v in a.items():
        model.add_hint(v, 1 if key in hinted else 0)
    flow = solve_flow(problem, test_demand(problem, hint)) or {}
    for key, v in z.items():
        model.add_hint(v, flow.get(key, 0))

    model.maximize(level_a)
    budget = options.time_limit
    solver, status = _run(model, budget * 0.7, options, "allocation", started)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint
    best_a = round(solver.objective_value)
    bound = round(solver.best_objective_bound)
    result = _extract(classes, x, a, solver, problem)
    result.bound = bound
    result.status = "optimal" if status == cp_model.OPTIMAL else "feasible"
    if options.stopped():
        result.status = "stopped"
        return result
    # level 1b with 1a fixed, hinted with the 1a solution
    model.clear_hints()
    for v in list(x.values()) + list(a.values()) + list(z.values()):
        model.add_hint(v, solver.value(v))
    model.add(level_a >= best_a)
    model.minimize(level_b)
    remaining = max(0.5, budget - (time.monotonic() - started))
    solver2, status2 = _run(model, remaining, options, "allocation-1b", started)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        result2 = _extract(classes, x, a, solver2, problem)
        result2.bound, result2.status = bound, result.status
        if options.stopped():
            result2.status = "stopped"
        return result2
    return result


def _extract(classes: list[list[HouseholdInfo]], x: dict, a: dict, solver: cp_model.CpSolver, problem: Problem
             ) -> Allocation:
    alloc = Allocation()
    order = [f.flight.id for f in problem.flights]
    for c, members in enumerate(classes):
        queue = list(members)
        for fid in order:
            if (c, fid) in x:
                for _ in range(solver.value(x[c, fid])):
                    alloc.flight_of[queue.pop(0).household.id] = fid
    for (eid, fid), v in sorted(a.items()):
        if solver.value(v):
            alloc.escorts_on.setdefault(fid, []).append(eid)
    return alloc
