"""Improving a plan a few flights at a time (docs/scale.md, "Improving a large plan"): CP-SAT re-plans the
households of a window of consecutive flights with every other flight's households held where they are. Each
sub-model is small (a few thousand variables), so it improves a large greedy plan within seconds where CP-SAT
on the full model (and the LP relaxation before it) needs longer than a 30-second solve has.

A sub-model is written straight into CP-SAT's proto with the held variables' contributions moved to the
constraint bounds, so it is exact: any solution of it, with the held values, satisfies the whole program.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel

#: flights re-planned together, and how far the next window moves on (windows overlap by half)
WINDOW_FLIGHTS = 4
#: CP-SAT seconds per window at most, and the least worth starting
WINDOW_SECONDS, MIN_WINDOW_SECONDS = 1.0, 0.3


class WindowSearch:
    """The rows each variable appears in (built once), and the sub-model of a window at the current values."""

    def __init__(self, m: AllocationModel, problem: AllocationProblem):
        self.m = m
        self.rows_of: list[list[int]] = [[] for _ in m.upper]  # a row may repeat (a variable twice in it)
        rows_of = self.rows_of
        for r, row in enumerate(m.rows):
            for _, v in row.terms:
                rows_of[v].append(r)
        self.pairs_of: list[list[int]] = [[] for _ in m.upper]
        for k, (u, v, _) in enumerate(m.at_most_one):
            self.pairs_of[u].append(k)
            self.pairs_of[v].append(k)
        by_flight: dict[str, list[int]] = {f.flight.id: [] for f in problem.flights}
        for (_, fid), v in m.x.items():
            by_flight[fid].append(v)
        for (_, fid), v in m.escort.items():
            by_flight[fid].append(v)
        self.flows = sorted(m.flow.values())
        order = [f.flight.id for f in sorted(problem.flights, key=lambda f: (f.day, f.flight.id))]
        step = max(1, WINDOW_FLIGHTS // 2)
        starts = range(0, max(1, len(order) - WINDOW_FLIGHTS + step), step)
        self.windows = [sorted(v for fid in order[s:s + WINDOW_FLIGHTS] for v in by_flight[fid]) for s in starts]
        self.objective = {v: 0 for _, v in m.level_a}
        for c, v in m.level_a:
            self.objective[v] += c

    def sub_model(self, free: list[int], values: list[int]) -> cp_model.CpModel:
        """CP-SAT over `free` (local index i is `free[i]`), every other variable held at `values`, maximising
        level 1a, hinted at `values`."""
        m = self.m
        local = {v: i for i, v in enumerate(free)}
        model = cp_model.CpModel()
        proto = model.proto
        for v in free:
            var = proto.variables.add()
            var.domain.extend((0, m.upper[v]))
        rows = sorted({r for v in free for r in self.rows_of[v]})
        for r in rows:
            terms, lo, hi, _ = m.rows[r]
            merged: dict[int, int] = {}
            held = 0
            for c, v in terms:
                i = local.get(v)
                if i is None:
                    held += c * values[v]
                else:
                    merged[i] = merged.get(i, 0) + c
            order = sorted(i for i, c in merged.items() if c)
            if not order:
                continue
            ct = proto.constraints.add()
            ct.linear.vars.extend(order)
            ct.linear.coeffs.extend(merged[i] for i in order)
            ct.linear.domain.extend((cp_model.INT_MIN if lo is None else lo - held,
                                     cp_model.INT_MAX if hi is None else hi - held))
        for k in sorted({k for v in free for k in self.pairs_of[v]}):
            u, v, _ = m.at_most_one[k]
            inside = sorted(local[w] for w in (u, v) if w in local)
            held = sum(values[w] for w in (u, v) if w not in local)
            ct = proto.constraints.add()
            ct.linear.vars.extend(inside)
            ct.linear.coeffs.extend([1] * len(inside))
            ct.linear.domain.extend((cp_model.INT_MIN, 1 - held))
        objective = [(i, self.objective[v]) for i, v in enumerate(free) if self.objective.get(v)]
        proto.objective.vars.extend(i for i, _ in objective)
        proto.objective.coeffs.extend(-c for _, c in objective)  # CP-SAT minimises: maximise as its negation
        proto.objective.scaling_factor = -1
        for i, v in enumerate(free):
            proto.solution_hint.vars.append(i)
            proto.solution_hint.values.append(values[v])
        return model

    def improve(self, values: list[int], end: float, workers: int, stopped: Callable[[], bool],
                improved: Callable[[list[int]], None]) -> list[int]:
        """Re-plan window after window (round robin) until `end` (monotonic clock) or a stop, or a full round
        without improvement; `improved` hears every better plan. Returns the best values.

        A stop ends the window being searched at once (a watcher thread calls its `stop_search`), not after its
        second: what a stop leaves to do must fit in two seconds (docs/cli.md, "Stopping")."""
        values = list(values)
        quiet = 0
        k = 0
        with _StopWatch(stopped) as watch:
            while self.windows and quiet < len(self.windows) and not stopped():
                seconds = min(WINDOW_SECONDS, end - time.monotonic())
                if seconds < MIN_WINDOW_SECONDS:
                    break
                free = sorted(set(self.windows[k % len(self.windows)]) | set(self.flows))
                k += 1
                before = sum(self.objective.get(v, 0) * values[v] for v in free)
                solver = cp_model.CpSolver()
                solver.parameters.num_workers = max(1, workers)
                solver.parameters.random_seed = 0
                solver.parameters.catch_sigint_signal = False
                solver.parameters.max_time_in_seconds = seconds
                model = self.sub_model(free, values)
                if not watch.searching(solver):
                    break
                status = solver.solve(model)
                watch.searching(None)
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and round(solver.objective_value) > before:
                    for v, x in zip(free, solver.response_proto.solution, strict=True):
                        values[v] = x
                    quiet = 0
                    improved(values)
                else:
                    quiet += 1
        return values


class _StopWatch:
    """A thread that stops the CP-SAT search under way as soon as `stopped()` holds."""

    def __init__(self, stopped: Callable[[], bool]) -> None:
        self._stopped = stopped
        self._lock = threading.Lock()
        self._solver: cp_model.CpSolver | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="windows-stop", daemon=True)

    def __enter__(self) -> _StopWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def searching(self, solver: cp_model.CpSolver | None) -> bool:
        """The solver about to search (None: between searches); False when a stop came first."""
        with self._lock:
            self._solver = solver
            return not self._stopped()

    def _watch(self) -> None:
        # asked again every 50 ms, not once: a stop_search that comes before the search has started is lost
        while not self._done.wait(0.05):
            if self._stopped():
                with self._lock:
                    if self._solver is not None:
                        self._solver.stop_search()
