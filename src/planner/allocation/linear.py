"""The allocation program (planner.allocation.program) in OR-Tools' linear solver wrapper: its LP relaxation
(GLOP, or PDLP when large) gives the CP-SAT engine a bound and a neighbourhood, and its MIP back ends (HiGHS,
SCIP) are the alternative engines `bench/bench_allocation.py --engines` compares.

The wrapper (pywraplp) has its own CamelCase API; variables and rows keep the program's names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from planner.allocation.bounds import RowMatrix, proven_bound
from planner.allocation.greedy import Allocation
from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel, dense, extract, hint_values
from planner.model.options import Progress, SolveOptions, StopSignal

if TYPE_CHECKING:  # loaded on first use: `import planner.allocation.model` stays without it (about 50 ms)
    from ortools.linear_solver import pywraplp

#: Above this many variables the LP goes to PDLP (first-order, about 3x faster than GLOP's simplex at 20,000
#: people in bench/bench_allocation.py, equal bound after rounding down); below it GLOP's exact simplex.
PDLP_FROM_VARIABLES = 40_000
#: PDLP stops at a relative and absolute tolerance of 1e-4 rather than its default 1e-6: at 20,000 people it
#: needs a third of the time (6.6 s against 21.9 s, 2 cores shared). Its primal objective is then no bound, so
#: the bound is proven from its row duals instead (planner.allocation.bounds): 200,473 there, against the exact
#: LP's 200,311
PDLP_PARAMETERS = ("termination_criteria { simple_optimality_criteria { "
                   "eps_optimal_relative: 1e-4 eps_optimal_absolute: 1e-4 } }")
#: GLOP without its presolve (the allocation program has little for it to remove: 1.6 s of CPU instead of 2.3 s
#: at 7,000 people), by the dual simplex with its costs perturbed: the program is highly degenerate (many
#: households of one class share a weight), and the primal simplex stalled on it. Same optimum, at
#: belarus-2021-iraq (24,000 variables) 1.0 s against 2.0 s, at 7,000 synthetic people 0.8 s against 1.5 s; the
#: dual simplex without the perturbation took 17-19 s. At 20,000 people (150,000 variables) it still took 32 s
#: where PDLP takes 7 s (`PDLP_FROM_VARIABLES`)
GLOP_PARAMETERS = "use_preprocessing:false use_dual_simplex:true perturb_costs_in_dual_simplex:true"


def linear_program(m: AllocationModel, engine: str, integer: bool
                   ) -> tuple[pywraplp.Solver, list[pywraplp.Variable], pywraplp.Objective]:
    """`m` in the linear solver wrapper (GLOP or PDLP for the LP, SCIP or HiGHS for the MIP), maximising
    level 1a.

    Written as one model proto and loaded at once, with the coefficients in the order the wrapper's calls
    would set them: a million calls through the wrapper took longer than the LP itself at 20,000 people."""
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    solver = pywraplp.Solver.CreateSolver(engine)
    if solver is None:
        raise ValueError(f"linear solver {engine} is not available")
    proto = linear_solver_pb2.MPModelProto(maximize=True)
    objective = {v: c for c, v in m.level_a}  # a variable set twice keeps its last coefficient
    proto.variable.extend(
        linear_solver_pb2.MPVariableProto(lower_bound=0, upper_bound=ub, name=name, is_integer=integer,
                                          objective_coefficient=objective.get(i, 0))
        for i, (ub, name) in enumerate(zip(m.upper, m.names, strict=True)))
    inf = solver.infinity()
    for terms, lo, hi, name in m.rows:
        coefficients = {v: c for c, v in terms}  # a variable set twice keeps its last coefficient
        proto.constraint.append(linear_solver_pb2.MPConstraintProto(
            var_index=list(coefficients), coefficient=list(coefficients.values()),
            lower_bound=-inf if lo is None else lo, upper_bound=inf if hi is None else hi, name=name))
    error = solver.LoadModelFromProto(proto)
    if error:
        raise ValueError(f"allocation program rejected by {engine}: {error}")
    return solver, solver.variables(), solver.Objective()


@contextmanager
def interrupted_by(solver: pywraplp.Solver, stop: StopSignal | None) -> Iterator[None]:
    """While the block runs, a stop request interrupts the solver (GLOP and PDLP end within milliseconds; the
    wrapper releases Python's interpreter lock while it solves, so a thread can watch): a stop does not wait
    for the LP (docs/cli.md, "Stopping")."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if stop.is_set():
                solver.InterruptSolve()
                return

    thread = threading.Thread(target=watch, name="lp-stop", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def trivial_bound(m: AllocationModel) -> int:
    """Level 1a's bound without an LP: every household that could fly, flying."""
    return sum(members[0].weight * len(members) for members in m.classes)


def lp_relaxation(m: AllocationModel, seconds: float = 0.0, stop: StopSignal | None = None, polish_until: float = 0.0
                  ) -> tuple[list[float], int]:
    """Solve the LP relaxation: a bound for level 1a (rounded down) and a guide for the neighbourhood.
    `seconds` > 0 caps its time (then without an optimal LP the bound is the trivial one); so does a stop
    request (`stop`). PDLP's bound, proven from its prices, is improved until `polish_until` (monotonic
    clock; planner.allocation.bounds.polished)."""
    from ortools.linear_solver import pywraplp

    engine = "PDLP" if len(m.upper) >= PDLP_FROM_VARIABLES else "GLOP"
    solver, xs, objective = linear_program(m, engine, integer=False)
    solver.SetSolverSpecificParametersAsString(GLOP_PARAMETERS if engine == "GLOP" else PDLP_PARAMETERS)
    if seconds > 0:
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
    if stop is not None and stop.is_set():  # stopped while the program was written: no LP
        return [0.0] * len(xs), trivial_bound(m)
    with interrupted_by(solver, stop):
        status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return [0.0] * len(xs), trivial_bound(m)  # no LP optimum (out of time, or stopped)
    values = [float(v.solution_value()) for v in xs]
    if engine == "PDLP":
        duals = [row.dual_value() for row in solver.constraints()]
        stopped = stop.is_set if stop is not None else (lambda: False)
        return values, min(trivial_bound(m), proven_bound(RowMatrix(m), duals, polish_until, stopped))
    return values, int(float(objective.Value()) + 1e-6)


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
