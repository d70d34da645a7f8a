"""Improving a plan a few flights at a time (docs/scale.md, "Improving a large plan"): a solver re-plans the
households of a window of consecutive flights, with their test flows, every other variable held where it is.
Each sub-program is small (a few thousand variables), so it improves a large plan within seconds where CP-SAT on
the full model (and the LP relaxation before it) needs longer than a 30-second solve has.

A sub-program is written straight into the solver's model proto with the held variables' contributions moved to
the row bounds, so it is exact: any solution of it, with the held values, satisfies the whole program.

Two engines, each where it gains most (docs/scale.md):
- **SCIP** near the LP's plan (after its box): windows of two flights are knapsacks that SCIP's LP bound and
  cuts close in 0.1-0.5 s, where CP-SAT ran each window's full second without proving it. From the same start
  at 7,000 people (0.38 % below the LP) SCIP's windows reached 0.27 % in 4 s and 0.19 % in 8 s, CP-SAT's
  0.31 % and 0.28 %.
- **CP-SAT** from a greedy plan (large operations, no LP): far from the optimum, its large-neighbourhood search
  on windows of four flights makes the larger moves. At 20,000 people, 9 s from the seat-density greedy: CP-SAT
  199,587, SCIP 199,486-199,517.

SCIP searches on one thread, so with two workers two windows sharing no variable are searched at once, each kept
only when it still keeps every row with what the other changed (about twice the windows a second).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel

#: per engine, the windows' sizes in flights and how far the next window moves on: a full round of windows of
#: one size without a gain moves on to the next size (a plan no two-flight window improves may still gain
#: where four flights trade households)
WINDOWS = {"scip": ((2, 1), (4, 1)), "cp-sat": ((4, 2),)}
#: seconds per window at most, and the least worth starting
WINDOW_SECONDS, MIN_WINDOW_SECONDS = 1.0, 0.2
INFINITY = 1e30  # the linear solver's unbounded side
SCIP_PARAMETERS = "misc/catchctrlc = FALSE"
#: a window's row over its own variables: (local variables, coefficients, lower side, upper side; None: unbounded)
LocalRow = tuple[list[int], list[int], int | None, int | None]


class WindowSearch:
    """The rows each variable appears in (built once), and the sub-program of a window at the current values."""

    def __init__(self, m: AllocationModel, problem: AllocationProblem, engine: str = "scip"):
        self.m, self.engine = m, engine
        self.rows_of: list[list[int]] = [[] for _ in m.upper]  # a row may repeat (a variable twice in it)
        rows_of = self.rows_of
        for r, row in enumerate(m.rows):
            for _, v in row.terms:
                rows_of[v].append(r)
        flows = set(m.flow.values())
        self.flows_in = {r: found for r, row in enumerate(m.rows) if (found := {v for _, v in row.terms if v in flows})}
        by_flight: dict[str, list[int]] = {f.flight.id: [] for f in problem.flights}
        for (_, fid), v in m.x.items():
            by_flight[fid].append(v)
        for (_, fid), v in m.escort.items():
            by_flight[fid].append(v)
        order = [f.flight.id for f in sorted(problem.flights, key=lambda f: (f.day, f.flight.id))]
        #: per size, the windows: their flights and those flights' variables
        self.rounds = [[(order[s:s + size], [v for fid in order[s:s + size] for v in by_flight[fid]])
                        for s in range(0, max(1, len(order) - size + step), step)] for size, step in WINDOWS[engine]]
        self.objective = {v: 0 for _, v in m.level_a}
        for c, v in m.level_a:
            self.objective[v] += c

    def _with_their_flows(self, flight_vars: list[int]) -> list[int]:
        """A window's variables: its flights' households and escorts, and the test flows of the test windows
        they sample in (the flows that share a row with them); every other flow is held. Freeing every flow,
        as at first, made each window larger and slower to close: from the same start at 7,000 people, 0.20-0.22 %
        after 6 s against 0.18 % with the window's own flows (belarus-2021-iraq: 0.20 % against 0.18 %)."""
        flows_in = self.flows_in
        touched = {r for v in flight_vars for r in self.rows_of[v] if r in flows_in}
        return sorted(set(flight_vars).union(*(flows_in[r] for r in touched)))

    def local_rows(self, free: list[int], values: list[int]) -> Iterator[LocalRow]:
        """The rows `free` appears in, over `free` (local index i is `free[i]`), every other variable held at
        `values`."""
        m = self.m
        local = {v: i for i, v in enumerate(free)}
        for r in sorted({r for v in free for r in self.rows_of[v]}):
            terms, lo, hi, _ = m.rows[r]
            merged: dict[int, int] = {}
            held = 0
            for c, v in terms:
                i = local.get(v)
                if i is None:
                    held += c * values[v]
                else:
                    merged[i] = merged.get(i, 0) + c
            order = [i for i in sorted(merged) if merged[i]]
            if order:
                yield (order, [merged[i] for i in order], None if lo is None else lo - held,
                       None if hi is None else hi - held)

    def sub_program(self, free: list[int], values: list[int]) -> linear_solver_pb2.MPModelProto:
        """SCIP's MIP over `free`, maximising level 1a, hinted at `values`."""
        proto = linear_solver_pb2.MPModelProto(maximize=True)
        for v in free:
            var = proto.variable.add()
            var.lower_bound, var.upper_bound, var.is_integer = 0, self.m.upper[v], True  # the default is -inf
            var.objective_coefficient = self.objective.get(v, 0)
        for order, coefficients, lo, hi in self.local_rows(free, values):
            row = proto.constraint.add()
            row.var_index.extend(order)
            row.coefficient.extend(coefficients)
            row.lower_bound = -INFINITY if lo is None else lo
            row.upper_bound = INFINITY if hi is None else hi
        proto.solution_hint.var_index.extend(range(len(free)))
        proto.solution_hint.var_value.extend(values[v] for v in free)
        return proto

    def sub_model(self, free: list[int], values: list[int]) -> cp_model.CpModel:
        """CP-SAT's model over `free`, maximising level 1a, hinted at `values`."""
        model = cp_model.CpModel()
        proto = model.proto
        for v in free:
            proto.variables.add().domain.extend((0, self.m.upper[v]))
        for order, coefficients, lo, hi in self.local_rows(free, values):
            ct = proto.constraints.add()
            ct.linear.vars.extend(order)
            ct.linear.coeffs.extend(coefficients)
            ct.linear.domain.extend((cp_model.INT_MIN if lo is None else lo, cp_model.INT_MAX if hi is None else hi))
        objective = [(i, self.objective[v]) for i, v in enumerate(free) if self.objective.get(v)]
        proto.objective.vars.extend(i for i, _ in objective)
        proto.objective.coeffs.extend(-c for _, c in objective)  # CP-SAT minimises: maximise as its negation
        proto.objective.scaling_factor = -1
        proto.solution_hint.vars.extend(range(len(free)))
        proto.solution_hint.values.extend(values[v] for v in free)
        return model

    def improve(self, values: list[int], end: float, stopped: Callable[[], bool],
                improved: Callable[[list[int]], None], workers: int = 1, first: Collection[str] = ()) -> list[int]:
        """Re-plan window after window (round robin, the smallest windows first) until `end` (monotonic clock)
        or a stop, or a full round of the largest windows without improvement; `improved` hears every better
        plan. Returns the best values. `workers`: CP-SAT's search workers; with SCIP (one thread a search), how
        many windows are searched at once (`_lanes`). Windows with a flight of `first` are searched first in each
        round (where a later stage cut households).

        A stop ends the windows being searched at once (a watcher thread interrupts the solvers), not after their
        second: what a stop leaves to do must fit in two seconds (docs/cli.md, "Stopping")."""
        values = list(values)
        lanes = max(1, workers) if self.engine == "scip" else 1
        with _StopWatch(stopped) as watch, ThreadPoolExecutor(lanes, thread_name_prefix="window") as pool:
            first = set(first)
            for flights_and_vars in self.rounds:
                windows = [self._with_their_flows(v)
                           for _, v in sorted(flights_and_vars, key=lambda w: first.isdisjoint(w[0]))]
                if not self._lanes(windows, values, end, stopped, improved, workers, watch, pool, lanes):
                    break
        return values

    def _lanes(self, windows: list[list[int]], values: list[int], end: float, stopped: Callable[[], bool],
               improved: Callable[[list[int]], None], workers: int, watch: _StopWatch, pool: ThreadPoolExecutor,
               lanes: int) -> bool:
        """One size of windows, round robin, up to `lanes` at once (windows sharing no variable, each searched
        from the values when it starts and kept only when it still keeps every row it touches with what the
        others changed meanwhile), updating `values` in place, until a full round gains nothing (True: go on to
        the next size) or the time or a stop ends the search (False). SCIP searches one window on one core; the
        allocation's other core was idle while it did, and two windows at once closed about twice as many."""
        search = self._scip if self.engine == "scip" else self._cpsat
        running: dict[Future[list[int] | None], list[int]] = {}
        quiet = k = 0
        try:
            while not stopped():
                while len(running) < lanes and quiet + len(running) < len(windows):
                    busy = {v for free in running.values() for v in free}
                    pick = next((j for j in range(k, k + len(windows)) if busy.isdisjoint(windows[j % len(windows)])),
                                None)
                    seconds = min(WINDOW_SECONDS, end - time.monotonic())
                    if pick is None or seconds < MIN_WINDOW_SECONDS:
                        break
                    k = pick + 1
                    free = windows[pick % len(windows)]
                    running[pool.submit(search, free, list(values), seconds, watch, workers)] = free
                if not running:
                    return quiet >= len(windows)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    free = running.pop(future)
                    found = future.result()
                    if found is None or not self._keeps_every_row(free, found, values):
                        quiet += 1
                        continue
                    for v, x in zip(free, found, strict=True):
                        values[v] = x
                    quiet = 0
                    improved(values)
            return False
        finally:
            for future in running:  # stopped: the watcher interrupts them; their values are not taken
                future.result()

    def _scip(self, free: list[int], values: list[int], seconds: float, watch: _StopWatch, workers: int
              ) -> list[int] | None:
        """The window's better values by SCIP, or None when it found none (or was stopped first)."""
        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:
            raise RuntimeError("the SCIP solver of OR-Tools is not available")
        error = solver.LoadModelFromProto(self.sub_program(free, values))
        if error:
            raise ValueError(f"window rejected by SCIP: {error}")
        solver.SetTimeLimit(max(1, int(seconds * 1000)))
        # Ctrl-C is the command's (planner.pipeline.interrupt), which stops every stage: SCIP would otherwise
        # take SIGINT for itself, end only its window, and the solve would run on to its limit
        solver.SetSolverSpecificParametersAsString(SCIP_PARAMETERS)
        interrupt = solver.InterruptSolve
        if not watch.searching(interrupt):
            return None
        try:
            status = solver.Solve()
        finally:
            watch.finished(interrupt)
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        return self._better([round(x.solution_value()) for x in solver.variables()], free, values)

    def _cpsat(self, free: list[int], values: list[int], seconds: float, watch: _StopWatch, workers: int
               ) -> list[int] | None:
        """The window's better values by CP-SAT, or None when it found none (or was stopped first)."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.random_seed = 0
        solver.parameters.catch_sigint_signal = False
        solver.parameters.max_time_in_seconds = seconds
        model = self.sub_model(free, values)
        interrupt = solver.stop_search
        if not watch.searching(interrupt):
            return None
        try:
            status = solver.solve(model)
        finally:
            watch.finished(interrupt)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return self._better(list(solver.response_proto.solution), free, values)

    def _better(self, found: list[int], free: list[int], values: list[int]) -> list[int] | None:
        """`found` when it gains on `values` and keeps every row."""
        gain = sum(self.objective.get(v, 0) * (x - values[v]) for v, x in zip(free, found, strict=True))
        return found if gain > 0 and self._keeps_every_row(free, found, values) else None

    def _keeps_every_row(self, free: list[int], found: list[int], values: list[int]) -> bool:
        """Whether the window's values, rounded from the MIP's (which holds rows within a tolerance), keep every
        row they appear in."""
        m = self.m
        new = dict(zip(free, found, strict=True))
        for r in {r for v in free for r in self.rows_of[v]}:
            terms, lo, hi, _ = m.rows[r]
            total = sum(c * new.get(v, values[v]) for c, v in terms)
            if (lo is not None and total < lo) or (hi is not None and total > hi):
                return False
        return True


class _StopWatch:
    """A thread that interrupts the searches under way as soon as `stopped()` holds."""

    def __init__(self, stopped: Callable[[], bool]) -> None:
        self._stopped = stopped
        self._lock = threading.Lock()
        self._interrupts: set[Callable[[], object]] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="windows-stop", daemon=True)

    def __enter__(self) -> _StopWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def searching(self, interrupt: Callable[[], object]) -> bool:
        """How to interrupt a search about to start; False when a stop came first."""
        with self._lock:
            self._interrupts.add(interrupt)
            return not self._stopped()

    def finished(self, interrupt: Callable[[], object]) -> None:
        with self._lock:
            self._interrupts.discard(interrupt)

    def _watch(self) -> None:
        # asked again every 50 ms, not once: an interrupt that comes before the search has started is lost
        while not self._done.wait(0.05):
            if self._stopped():
                with self._lock:
                    for interrupt in self._interrupts:
                        interrupt()
