"""Solve jobs: a pool of niced worker processes, a capped queue, stop requests and recovery after a restart.

The event loop only inserts a job row and hands its id to the pool. Workers write progress and the plan to the
database themselves (see api.worker); the service instance id (`runner`) on each job lets a restarted service
mark jobs of its predecessor `interrupted` and keeps their late writes out.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api import models as m
from api.settings import Settings
from api.worker import init_worker, run_job

log = logging.getLogger("api.jobs")
ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "stopped", "cancelled", "interrupted")

_POOLS: dict[tuple[int, int], ProcessPoolExecutor] = {}
_POOL_LOCK = threading.Lock()


def _pool(workers: int, nice: int) -> ProcessPoolExecutor:
    """One pool per process and size: spawned workers import the planner once and serve every job."""
    with _POOL_LOCK:
        pool = _POOLS.get((workers, nice))
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=init_worker, initargs=(nice,))
            _POOLS[(workers, nice)] = pool
        return pool


def _drop_pool(workers: int, nice: int) -> None:
    with _POOL_LOCK:
        pool = _POOLS.pop((workers, nice), None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


class JobManager:
    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.runner = uuid.uuid4().hex
        self.futures: dict[int, Future[str]] = {}
        self.cfg: dict[str, Any] = {
            "database_url": settings.database_url,
            "busy_timeout_ms": settings.sqlite_busy_timeout_ms,
            "solver": settings.solver,
            "validator": settings.validator,
            "seating_time_limit": settings.seating_time_limit,
            "progress_interval": settings.progress_interval,
            "cpsat_workers": settings.solve_workers,
            "seating_processes": settings.seating_processes,
            "job_grace_seconds": settings.job_grace_seconds,
        }

    def recover(self) -> int:
        """On start: jobs that were queued or running when the service stopped can never finish: mark them."""
        with Session(self.engine) as s:
            result = s.execute(update(m.SolveJob).where(col(m.SolveJob.status).in_(ACTIVE)).values(
                status="interrupted", finished_at=m.utcnow(),
                error="the service stopped while this job was queued or running; start a new solve"))
            s.commit()
        count = result.rowcount or 0  # type: ignore[attr-defined]
        if count:
            log.warning("marked %d solve job(s) interrupted after a restart", count)
        return count

    def capacity_left(self, session: Session) -> int:
        active = session.exec(select(func.count()).select_from(m.SolveJob).where(
            col(m.SolveJob.status).in_(ACTIVE))).one()
        return self.settings.solve_workers + self.settings.max_queued_jobs - active

    def submit(self, job_id: int) -> None:
        pool = _pool(self.settings.solve_workers, self.settings.worker_nice)
        try:
            future = pool.submit(run_job, job_id, self.runner, self.cfg)
        except (BrokenProcessPool, RuntimeError):
            _drop_pool(self.settings.solve_workers, self.settings.worker_nice)
            future = _pool(self.settings.solve_workers, self.settings.worker_nice).submit(
                run_job, job_id, self.runner, self.cfg)
        self.futures[job_id] = future
        future.add_done_callback(lambda f, j=job_id: self._done(j, f))

    def _done(self, job_id: int, future: Future[str]) -> None:
        self.futures.pop(job_id, None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            return
        log.error("solve worker for job %s ended abnormally: %s", job_id, type(exc).__name__)
        if isinstance(exc, BrokenProcessPool):
            _drop_pool(self.settings.solve_workers, self.settings.worker_nice)
        try:
            with Session(self.engine) as s:
                s.execute(update(m.SolveJob).where(
                    (m.SolveJob.id == job_id) & col(m.SolveJob.status).in_(ACTIVE)
                    & (m.SolveJob.runner == self.runner)
                ).values(status="failed", finished_at=m.utcnow(),
                         error=f"the solve worker ended abnormally ({type(exc).__name__})"))
                s.commit()
        except Exception:  # the database may be gone when the service is shutting down
            log.exception("could not record the failure of job %s", job_id)

    def stop(self, session: Session, job: m.SolveJob) -> None:
        """Queued: cancelled at once. Running: the worker sees the flag and keeps its best complete plan."""
        if job.status == "queued":
            session.execute(update(m.SolveJob).where((m.SolveJob.id == job.id) & (m.SolveJob.status == "queued"))
                            .values(status="cancelled", stop_requested=True, finished_at=m.utcnow()))
        session.execute(update(m.SolveJob).where(m.SolveJob.id == job.id).values(stop_requested=True))
        session.commit()

    def shutdown(self) -> None:
        """Ask running jobs to stop, wait a little for their best plans, and mark the rest interrupted."""
        with Session(self.engine) as s:
            s.execute(update(m.SolveJob).where((m.SolveJob.runner == self.runner)
                                               & col(m.SolveJob.status).in_(ACTIVE)).values(stop_requested=True))
            s.commit()
        deadline = time.monotonic() + self.settings.shutdown_grace
        while self.futures and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            with Session(self.engine) as s:
                s.execute(update(m.SolveJob).where((m.SolveJob.runner == self.runner)
                                                   & col(m.SolveJob.status).in_(ACTIVE)).values(
                    status="interrupted", finished_at=m.utcnow(),
                    error="the service stopped before this job finished"))
                s.commit()
        except Exception:
            log.exception("could not mark unfinished jobs at shutdown")
        for future in list(self.futures.values()):
            future.cancel()
