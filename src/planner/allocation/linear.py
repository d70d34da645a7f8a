"""The allocation program (planner.allocation.program) in OR-Tools' linear solver wrapper: its LP relaxation
(GLOP, or PDLP when large) gives the CP-SAT engine a bound and a neighbourhood, and its MIP back ends (HiGHS,
SCIP) are the alternative engines `bench/bench_allocation.py --engines` compares.

The wrapper (pywraplp) has its own CamelCase API; variables and rows keep the program's names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.allocation.greedy import Allocation
from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel, dense, extract, hint_values
from planner.model.options import Progress, SolveOptions

if TYPE_CHECKING:  # loaded on first use: `import planner.allocation.model` stays without it (about 50 ms)
    from ortools.linear_solver import pywraplp

#: Above this many variables the LP goes to PDLP (first-order, about 3x faster than GLOP's simplex at 20,000
#: people in bench/bench_allocation.py, equal bound after rounding down); below it GLOP's exact simplex.
PDLP_FROM_VARIABLES = 40_000
#: PDLP stops at this relative tolerance: its bound is widened by it so that it stays an upper bound.
PDLP_TOLERANCE = 1e-6


def linear_program(m: AllocationModel, engine: str, integer: bool
                   ) -> tuple[pywraplp.Solver, list[pywraplp.Variable], pywraplp.Objective]:
    """`m` in the linear solver wrapper (GLOP or PDLP for the LP, SCIP or HiGHS for the MIP), maximising
    level 1a."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver(engine)
    if solver is None:
        raise ValueError(f"linear solver {engine} is not available")
    inf = solver.infinity()
    var = solver.IntVar if integer else solver.NumVar
    xs = [var(0, ub, name) for ub, name in zip(m.upper, m.names, strict=True)]
    for terms, lo, hi, name in m.rows:
        row = solver.RowConstraint(-inf if lo is None else lo, inf if hi is None else hi, name)
        for c, v in terms:
            row.SetCoefficient(xs[v], c)
    for u, v, name in m.at_most_one:
        solver.Add(xs[u] + xs[v] <= 1, name)
    objective = solver.Objective()
    for c, v in m.level_a:
        objective.SetCoefficient(xs[v], c)
    objective.SetMaximization()
    return solver, xs, objective


def lp_relaxation(m: AllocationModel, seconds: float = 0.0) -> tuple[list[float], int]:
    """Solve the LP relaxation: a bound for level 1a (rounded down) and a guide for the neighbourhood.
    `seconds` > 0 caps its time (then without an optimal LP the bound is the trivial one)."""
    from ortools.linear_solver import pywraplp

    engine = "PDLP" if len(m.upper) >= PDLP_FROM_VARIABLES else "GLOP"
    solver, xs, objective = linear_program(m, engine, integer=False)
    if seconds > 0:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        # no LP optimum (e.g. out of time): every household that could fly, flying, bounds level 1a
        return [0.0] * len(xs), sum(members[0].weight * len(members) for members in m.classes)
    value = float(objective.Value())
    slack = abs(value) * PDLP_TOLERANCE if engine == "PDLP" else 0.0
    return [float(v.solution_value()) for v in xs], int(value + slack + 1e-6)


def solve_mip(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation,
              seconds: float, engine: str) -> Allocation:
    """Level 1a by a MIP back end (HiGHS, SCIP) from the greedy hint; the hint stands when it finds nothing."""
    from ortools.linear_solver import pywraplp

    solver, xs, objective = linear_program(m, engine, integer=True)
    solver.SetHint(xs, dense(m, hint_values(m, problem, hint)))
    solver.SetTimeLimit(max(1, int(min(seconds, options.clock().remaining()) * 1000)))
    solver.SetNumThreads(max(1, options.workers))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return hint
    best_a = round(objective.Value())
    bound = int(objective.BestBound() + 1e-6)
    result = extract(m, [float(v.solution_value()) for v in xs], problem)
    result.bound, result.status = bound, ("optimal" if status == pywraplp.Solver.OPTIMAL else "feasible")
    options.report(Progress("allocation", best_a, bound, (bound - best_a) / bound if bound else 0.0,
                            options.elapsed(), engine))
    return result
