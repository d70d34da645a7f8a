"""Solving several scenarios (compare inputs, sweep points) in parallel worker processes within one deadline.

Each point gets its deadline when it starts: what is left of the command's deadline (less a reserve for the
table) divided by the rounds of points still to start, so points finishing early leave their time to the
later ones, and the last round ends with the command (docs/cli.md). A deterministic run plans each point from
a fixed share of the limit instead (the wall clock stays a safety net). Every plan is checked by
`planner.oracle.validate` in its worker. Points are reported as they finish.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace

from planner.model.options import SolveOptions, StopSignal
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline
from planner.pipeline.workers import WorkerStop, worker_pool

TABLE_RESERVE = 0.5  # seconds kept for the table after the last point


@dataclass(frozen=True)
class PointJob:
    """One solve for a worker process: everything it needs, picklable."""

    name: str
    scenario: Scenario
    excluded: dict[str, str]
    seat: bool = True
    deterministic: bool = False
    workers: int = 1
    time_limit: float = 30.0  # the point's planned share (what a deterministic solve plans with)
    deadline: Deadline | None = None  # set when the point starts


@dataclass
class PointResult:
    name: str
    plan: Plan
    violations: list[str]
    seconds: float


def solve_point(job: PointJob, stop: StopSignal | None = None) -> PointResult:
    """Solve and validate one point (in a worker: stop comes from the parent through planner.pipeline.workers)."""
    from planner.oracle.validate import validate
    from planner.pipeline.solve import solve

    started = time.monotonic()
    options = SolveOptions(time_limit=job.time_limit, seat=job.seat, deterministic=job.deterministic,
                           workers=job.workers, seating_processes=1,
                           seating_time_limit=min(10.0, max(0.5, job.time_limit / 4)),
                           stop=stop if stop is not None else WorkerStop(), deadline=job.deadline,
                           excluded=dict(job.excluded))
    plan = solve(job.scenario, options=options)
    violations = [str(v) for v in validate(job.scenario, plan, Plan(scenario=plan.scenario))]
    return PointResult(job.name, plan, violations, time.monotonic() - started)


def planned_share(deadline: Deadline, points: int, slots: int) -> float:
    """A point's share of the whole limit when every round takes equally long (deterministic runs)."""
    rounds = math.ceil(points / max(1, slots))
    return max(0.0, deadline.seconds - TABLE_RESERVE) / max(1, rounds)


def _start(job: PointJob, deadline: Deadline, to_start: int, slots: int, share: float) -> PointJob:
    rounds = math.ceil(to_start / max(1, slots))
    left = max(0.0, deadline.remaining() - TABLE_RESERVE)
    seconds = left / max(1, rounds)
    point = deadline.within(seconds)
    return replace(job, deadline=point, time_limit=share if job.deterministic else max(0.01, seconds))


def _preload() -> None:
    """Import the solver and the validator here, before the workers start: forked workers then inherit them
    instead of each importing them on the clock of its point (seconds on a busy machine)."""
    import planner.oracle.validate
    import planner.pipeline.solve  # noqa: F401


def solve_many(jobs: Sequence[PointJob], deadline: Deadline, processes: int = 2, stop: StopSignal | None = None,
               on_done: Callable[[int, PointResult, int], None] | None = None,
               mp_context: str | None = None) -> list[PointResult]:
    """Solve `jobs` in `processes` workers within `deadline`; results in job order. `on_done(index, result,
    finished)` is called in this process as each point ends."""
    slots = max(1, min(processes, len(jobs)))
    share = planned_share(deadline, len(jobs), slots)
    results: dict[int, PointResult] = {}

    def finished(i: int, res: PointResult) -> None:
        results[i] = res
        if on_done is not None:
            on_done(i, res, len(results))

    if slots <= 1:
        for i, job in enumerate(jobs):
            started = _start(job, deadline, len(jobs) - i, 1, share)
            finished(i, solve_point(started, stop if stop is not None else _Never()))
        return [results[i] for i in range(len(jobs))]
    _preload()
    pending = list(enumerate(jobs))
    with worker_pool(slots, stop, mp_context) as pool:
        running: dict[Future[PointResult], int] = {}
        while pending or running:
            while pending and len(running) < slots:
                i, job = pending[0]
                running[pool.submit(solve_point, _start(job, deadline, len(pending), slots, share))] = i
                pending.pop(0)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f]):
                finished(running.pop(future), future.result())
    return [results[i] for i in range(len(jobs))]


class _Never:
    def is_set(self) -> bool:
        return False
