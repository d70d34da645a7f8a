"""Fleet sizing: the fewest charters (or the lowest cost) that move every eligible person by a date.

Flights marked `optional: {cost}` are candidates; the others are booked already. Stage 1 finds the most
priority weight any choice of candidates can move by the date (the allocation model with every candidate
on board); stage 2 keeps that level and minimises the number (or cost) of candidates operated, with CP-SAT's
proof of optimality or its gap (`optional` flights, docs/architecture.md#scenario-folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ortools.sat.python import cp_model

from planner.allocation.cpsat import Incumbent, Watch, cp_base_model, run_cp, stage_model, weighted
from planner.allocation.feasibility import top_up, trim_escorts
from planner.allocation.greedy import Allocation, greedy_allocation
from planner.allocation.model import build_model, solve_allocation
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.program import AllocationModel, dense, extract, hint_values
from planner.model.caseload import departure_date
from planner.model.options import Progress, SolveOptions
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline


@dataclass
class FleetResult:
    minimise: str
    by: date | None
    chosen: list[str]  # candidate flights to operate
    dropped: list[str]  # candidate flights not needed
    booked: list[str]  # flights that were not optional
    value: int  # candidates' count or cost
    bound: int
    optimal: bool
    moved_weight: int
    movable_weight_bound: int
    eligible_people: int
    moved_people: int

    @property
    def gap(self) -> float:
        return (self.value - self.bound) / self.value if self.value else 0.0

    def to_text(self) -> str:
        what = "charters" if self.minimise == "count" else "cost"
        lines = [
            f"Fleet sizing by {self.by or 'the last flight'}: minimise {what}",
            f"  operate {len(self.chosen)} of {len(self.chosen) + len(self.dropped)} candidate flights "
            f"(+{len(self.booked)} already booked): {', '.join(self.chosen) or 'none'}",
            f"  {what}: {self.value:,} (bound {self.bound:,}, gap {self.gap:.2%}, "
            f"{'proven optimal' if self.optimal else 'not proven optimal'})",
            f"  moves {self.moved_people} of {self.eligible_people} people eligible for some flight by then "
            f"(priority {self.moved_weight:,}; no choice of candidates moves more than {self.movable_weight_bound:,})",
        ]
        if self.dropped:
            lines.append(f"  not needed: {', '.join(self.dropped)}")
        return "\n".join(lines) + "\n"


def size_fleet(scenario: Scenario, by: date | None = None, minimise: Literal["count", "cost"] = "count",
               options: SolveOptions | None = None) -> FleetResult:
    """Within the options' deadline (the whole command's, or `time_limit` from now): stage 1 gets half of what
    is left after building the problem, stage 2 the rest less a small reserve for the report."""
    options = options or SolveOptions(time_limit=30)
    deadline = options.clock()
    flights = [f for f in scenario.flights if by is None or departure_date(f, scenario) <= by]
    problem = build_problem(scenario.model_copy(update={"flights": flights}))
    candidates = {f.id: f.optional.cost for f in flights if f.optional is not None}
    reserve = 0.3 + 0.0001 * len(scenario.people)
    greedy = trim_escorts(problem, greedy_allocation(problem))
    incumbent = Incumbent()
    options.report(Progress("fleet-problem", elapsed=options.elapsed(),
                            message=f"{len(candidates)} candidate flights, {len(problem.households)} households"))
    best = _most_movable(problem, greedy, options, deadline, reserve, incumbent)
    m = build_model(problem)
    values = dense(m, hint_values(m, problem, best))
    target = sum(c * values[v] for c, v in m.level_a)
    movable_bound = max(target, best.bound or target)
    weight = {fid: (1 if minimise == "count" else cost) for fid, cost in candidates.items()}
    choice = _fewest(m, values, target, weight, options, deadline, reserve, incumbent, minimise)
    alloc = extract(m, choice.plan_values, problem)
    options.report(Progress("fleet", target, movable_bound, None, options.elapsed(),
                            f"{len(choice.chosen)} candidates chosen, {'count' if minimise == 'count' else 'cost'} "
                            f"{choice.value:,} (bound {choice.bound:,})"))
    eligible = sum(h.household.size for h in problem.households if h.options)
    return FleetResult(
        minimise=minimise, by=by, chosen=choice.chosen, dropped=sorted(set(candidates) - set(choice.chosen)),
        booked=sorted(f.id for f in flights if f.id not in candidates), value=choice.value, bound=choice.bound,
        optimal=choice.optimal,
        moved_weight=sum(h.weight for h in problem.households if h.household.id in alloc.flight_of),
        movable_weight_bound=movable_bound, eligible_people=eligible,
        moved_people=sum(h.household.size for h in problem.households if h.household.id in alloc.flight_of),
    )


def _most_movable(problem: AllocationProblem, greedy: Allocation, options: SolveOptions, deadline: Deadline,
                  reserve: float, incumbent: Incumbent) -> Allocation:
    """Stage 1: the most priority weight that can move with every candidate flying."""
    stage1 = SolveOptions(time_limit=options.time_limit, workers=options.workers,
                          deterministic=options.deterministic, on_progress=options.on_progress, stop=options.stop,
                          deadline=deadline)
    first = options.time_limit / 2 if options.deterministic else max(0.0, deadline.remaining() - reserve) / 2
    best = greedy
    if first >= 0.3 and not options.stopped():
        best = solve_allocation(problem, stage1, greedy, first, incumbent)
    return trim_escorts(problem, top_up(problem, best))


@dataclass
class _Choice:
    """Stage 2's answer: the candidates to operate, the allocation values, their count or cost and bound."""

    chosen: list[str]
    plan_values: list[int]
    value: int
    bound: int
    optimal: bool


def _fewest(m: AllocationModel, values: list[int], target: int, weight: dict[str, int], options: SolveOptions,
            deadline: Deadline, reserve: float, incumbent: Incumbent, minimise: str) -> _Choice:
    """Stage 2: keep stage 1's level and operate as few (or as cheap) candidates as possible; without an
    answer in time, every candidate stage 1 uses is kept."""
    model, xs = stage_model(cp_base_model(m), m, values)
    model.add(weighted(xs, m.level_a) >= target)
    use = {fid: model.new_bool_var(f"use[{fid}]") for fid in sorted(weight)}
    for (_, fid), v in m.x.items():
        if fid in use:
            model.add(xs[v] <= m.upper[v] * use[fid])
    for (_, fid), v in m.escort.items():
        if fid in use:
            model.add(xs[v] <= use[fid])
    used = {fid for (_, fid), v in m.x.items() if values[v]} | {fid for (_, fid), v in m.escort.items() if values[v]}
    for fid, var in use.items():
        model.add_hint(var, 1 if fid in used else 0)
    model.minimize(sum(weight[fid] * var for fid, var in use.items()))
    remaining = options.time_limit / 2 if options.deterministic else max(0.1, deadline.remaining() - reserve)
    incumbent.offer(target)
    watch = Watch("fleet", options, incumbent, kind="other",
                  message=f"fewest charters for priority {target:,};" if minimise == "count"
                  else f"cheapest charters for priority {target:,}; cost")
    solver, status = run_cp(model, remaining, options, "fleet", watch)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Choice(sorted(fid for fid, var in use.items() if solver.value(var)), [solver.value(v) for v in xs],
                       round(solver.objective_value), round(solver.best_objective_bound), status == cp_model.OPTIMAL)
    chosen = sorted(used & set(weight))
    return _Choice(chosen, values, sum(weight[f] for f in chosen), 0, False)
