"""Solving several what-if variants side by side, each in its own worker process, results in the order given."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from planner.io.loading import load_scenario
from planner.model.options import SolveOptions
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.whatif.variant_files import Variant
from planner.whatif.variants import VariantScenario, apply_variant


@dataclass(frozen=True)
class Job:
    """One solve for a worker process: everything it needs, picklable."""

    name: str
    scenario: Scenario
    excluded: dict[str, str]
    time_limit: float
    seat: bool = True
    deterministic: bool = False
    workers: int = 1


def _solve_job(job: Job) -> Plan:
    """Solve one job (in a worker process); seating gets a quarter of the time, between 1 and 10 s."""
    from planner.pipeline.solve import solve

    options = SolveOptions(time_limit=job.time_limit, seat=job.seat, deterministic=job.deterministic,
                           workers=job.workers, seating_processes=1,
                           seating_time_limit=min(10.0, max(1.0, job.time_limit / 4)),
                           excluded=dict(job.excluded))
    return solve(job.scenario, options=options)


def run_jobs(jobs: Sequence[Job], processes: int = 2, mp_context: str | None = None) -> list[Plan]:
    """Solve jobs in worker processes; results in job order whatever finishes first.

    The default start method is the platform's, like the seating stage (scripts need no `__main__` guard on
    Linux); a threaded host such as the service should pass "spawn" or run this inside its own worker.
    """
    if processes <= 1 or len(jobs) <= 1:
        return [_solve_job(j) for j in jobs]
    context = get_context(mp_context) if mp_context else None
    with ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=context) as pool:
        return list(pool.map(_solve_job, jobs))


def run_variants(variants: Sequence[Variant | tuple[str, VariantScenario]], time_limit: float = 30.0,
                 processes: int = 2, seat: bool = True, deterministic: bool = False,
                 mp_context: str | None = None) -> list[tuple[str, Scenario, Plan]]:
    """Apply and solve variants in parallel; results in the order given, as (name, scenario, plan).

    Each variant gets the full `time_limit` for its allocation; CP-SAT runs with as many search workers as
    leave one core per process. Bases shared by several variants are read once.
    """
    bases: dict[Path, Scenario] = {}
    prepared: list[tuple[str, VariantScenario]] = []
    for v in variants:
        if isinstance(v, Variant):
            where = v.base_path().resolve()
            if where not in bases:
                bases[where] = load_scenario(where)
            prepared.append((v.name, apply_variant(bases[where], v)))
        else:
            prepared.append(v)
    workers = max(1, (os.cpu_count() or 2) // max(1, min(processes, len(prepared))))
    jobs = [Job(name, vs.scenario, vs.excluded, time_limit, seat, deterministic, workers) for name, vs in prepared]
    plans = run_jobs(jobs, processes, mp_context)
    return [(name, vs.scenario, plan) for (name, vs), plan in zip(prepared, plans, strict=True)]
