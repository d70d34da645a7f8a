"""Solve jobs: a pool of niced worker processes, a capped queue, stop requests and recovery after a restart.

The event loop only inserts a job row and hands its id to the pool. Workers write progress and the plan to the
database themselves (see api.worker); the service instance id (`runner`) on each job lets a restarted service
mark jobs of its predecessor `interrupted` and keeps their late writes out.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, func, select

from api import models as m
from api.settings import Settings
from api.worker import init_worker, run_job

log = logging.getLogger("api.jobs")
ACTIVE = ("queued", "running")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_POOLS: dict[tuple[int, int], ProcessPoolExecutor] = {}
_POOL_LOCK = threading.Lock()
#: Every submission goes through this one long-lived thread. A ProcessPoolExecutor starts its worker processes
#: in the thread that submits, and Linux sends the parent-death signal when *that thread* ends: a request
#: thread ends when it has been idle a while, and would take its solve workers with it.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve-launcher")


def init_solve_worker(nice: int, parent: int) -> None:
    """Pool initializer: die with the service (even after SIGKILL), then lower the priority (api.worker)."""
    die_with_parent(parent)
    init_worker(nice)


def die_with_parent(parent: int) -> None:
    """Linux: prctl(PR_SET_PDEATHSIG, SIGTERM), so the kernel ends this process when the service dies.
    Elsewhere (or if prctl is unavailable): a daemon thread that exits once the parent is gone."""
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    if os.getppid() != parent:  # the service died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _pool(workers: int, nice: int) -> ProcessPoolExecutor:
    """One pool per process and size: spawned workers import the planner once and serve every job."""
    with _POOL_LOCK:
        pool = _POOLS.get((workers, nice))
        if pool is None:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=init_solve_worker, initargs=(nice, os.getpid()))
            _POOLS[(workers, nice)] = pool
        return pool


def _drop_pool(workers: int, nice: int) -> None:
    with _POOL_LOCK:
        pool = _POOLS.pop((workers, nice), None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def submit_to_pool(workers: int, nice: int, fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """Submit `fn(*args)` to the pool from the launcher thread (a broken pool is replaced once)."""
    def launch() -> Future[Any]:
        try:
            return _pool(workers, nice).submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            _drop_pool(workers, nice)
            return _pool(workers, nice).submit(fn, *args)

    return _LAUNCHER.submit(launch).result()


def terminate_pool(workers: int, nice: int, timeout: float = 5.0) -> None:
    """Cancel what is queued and end the pool's worker processes, computing or not (SIGTERM, then SIGKILL)."""
    with _POOL_LOCK:
        pool = _POOLS.pop((workers, nice), None)
    if pool is None:
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            if process.is_alive():
                process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)


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
        # an UPDATE or DELETE executes to a CursorResult; Session.execute is typed as Result
        count = cast("CursorResult[Any]", result).rowcount or 0
        if count:
            log.warning("marked %d solve job(s) interrupted after a restart", count)
        return count

    def capacity_left(self, session: Session) -> int:
        active = session.exec(select(func.count()).select_from(m.SolveJob).where(
            col(m.SolveJob.status).in_(ACTIVE))).one()
        return self.settings.solve_workers + self.settings.max_queued_jobs - active

    def submit(self, job_id: int) -> None:
        future = submit_to_pool(self.settings.solve_workers, self.settings.worker_nice, run_job, job_id,
                                self.runner, self.cfg)
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
        """Ask running jobs to stop, wait `shutdown_grace` for their best plans, mark the rest interrupted, and
        end the worker processes of jobs still running (nothing they write later is kept: see api.worker).

        An idle pool is left to the interpreter's exit (its workers end with the service), so that several
        app instances in one process (the tests) share one warm pool."""
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
        busy = [f for f in list(self.futures.values()) if not f.cancel() and not f.done()]
        if busy:
            log.warning("ending the solve workers of %d job(s) still running at shutdown", len(busy))
            terminate_pool(self.settings.solve_workers, self.settings.worker_nice)
