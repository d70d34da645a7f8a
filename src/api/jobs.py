"""Solve jobs: a capped queue, stop requests, and the engine that runs them (api.task_engine): a pool of niced
worker processes in this process, or Celery workers.

The event loop only inserts a job row and hands its id to the engine. Workers write progress and the plan to
the database themselves (see api.worker). Each job has one owner at a time with a lease (api.leases): this
replica while the job sits in its local pool, or the worker that claimed it. Every replica keeps the leases of
its own jobs alive and hands back the jobs of owners that stopped renewing (`Upkeep`), so a second replica
never disturbs the first one's jobs, and a job of a killed replica or worker runs again elsewhere.
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
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api import models as m
from api.leases import active_count, mark_sent, reap, renew, unsent
from api.settings import Settings
from api.task_engine import EngineSettings, worker_config
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


class Upkeep:
    """A daemon thread that renews `owner`'s leases, hands back the jobs of lost owners and sends jobs that
    wait in no queue (every replica and every `charterplan worker` runs one)."""

    def __init__(self, engine: Engine, tasks: EngineSettings, owner: str, send: Callable[[int], None],
                 owns_jobs: Callable[[], bool] = lambda: True):
        self.engine, self.tasks, self.owner, self.send, self.owns_jobs = engine, tasks, owner, send, owns_jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-upkeep", daemon=True)

    def start(self) -> Upkeep:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(10.0)

    def tick(self) -> int:
        """One round; returns how many jobs of lost owners were handed back or failed."""
        if self.owner and self.owns_jobs():  # no write while this replica holds no job
            renew(self.engine, self.owner, self.tasks.lease_seconds)
        reaped = reap(self.engine, self.tasks.lease_seconds, self.tasks.job_max_attempts)
        for job_id in unsent(self.engine):
            if self._stop.is_set():
                break
            self.send(job_id)
        return len(reaped.requeued) + len(reaped.failed)

    def _run(self) -> None:
        interval = min(self.tasks.reap_interval, self.tasks.lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                self.tick()
            except Exception:  # the database may be away for a moment; the next round tries again
                log.warning("job upkeep failed this round", exc_info=True)


class JobManager:
    """The service side of solve jobs: admission capacity, sending, stopping, and this replica's leases."""

    def __init__(self, engine: Engine, settings: Settings, tasks: EngineSettings | None = None):
        self.engine = engine
        self.settings = settings
        self.tasks = tasks or EngineSettings()
        self.instance = uuid.uuid4().hex  # this replica: owner of the jobs in its local pool
        self.distributed = self.tasks.task_engine == "celery"
        #: what new jobs are inserted with as owner: this replica (local pool), or none (waiting in the broker)
        self.runner = "" if self.distributed else self.instance
        self.futures: dict[int, Future[str]] = {}
        self.cfg: dict[str, Any] = worker_config(settings, self.tasks)
        self.upkeep = Upkeep(engine, self.tasks, self.runner, self._send, owns_jobs=lambda: bool(self.futures))
        #: called with a job's id once its local solve worker has ended normally (its plan, if any, is stored):
        #: the web pages build the new plan's flight pages then (`api.web.flight_warm`)
        self.plan_hooks: list[Callable[[int], None]] = []

    def recover(self) -> int:
        """On start: hand back the jobs of owners that are gone (their lease ran out; jobs of live replicas and
        workers are left alone), send what waits in no queue, and keep doing so in the background."""
        try:
            count = self.upkeep.tick()
        finally:
            self.upkeep.start()
        return count

    def capacity_left(self, session: Session) -> int:
        return self.settings.solve_workers + self.settings.max_queued_jobs - active_count(session)

    def submit(self, job_id: int) -> None:
        """Send a committed job to the task engine (a reaper sends it if this process dies first)."""
        self._send(job_id)

    def _send(self, job_id: int) -> None:
        if self.distributed:
            from api.celery_app import send

            send(self.engine, self.tasks, job_id)
            return
        if not mark_sent(self.engine, job_id, owner=self.instance, lease_seconds=self.tasks.lease_seconds):
            return  # cancelled meanwhile, or already in a pool
        future = submit_to_pool(self.settings.solve_workers, self.settings.worker_nice, run_job, job_id,
                                self.instance, self.cfg)
        self.futures[job_id] = future
        future.add_done_callback(lambda f, j=job_id: self._done(j, f))

    def _done(self, job_id: int, future: Future[str]) -> None:
        self.futures.pop(job_id, None)
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            for hook in self.plan_hooks:
                try:
                    hook(job_id)
                except Exception:  # a hook only warms caches: the job itself has ended well
                    log.warning("after job %s: a plan hook failed", job_id, exc_info=True)
            return
        log.error("solve worker for job %s ended abnormally: %s", job_id, type(exc).__name__)
        if isinstance(exc, BrokenProcessPool):
            _drop_pool(self.settings.solve_workers, self.settings.worker_nice)
        try:
            with Session(self.engine) as s:
                s.execute(update(m.SolveJob).where(
                    (m.SolveJob.id == job_id) & col(m.SolveJob.status).in_(ACTIVE)
                    & (m.SolveJob.runner == self.instance)
                ).values(status="failed", finished_at=m.utcnow(), lease_expires_at=None,
                         error=f"the solve worker ended abnormally ({type(exc).__name__})"))
                s.commit()
        except Exception:  # the database may be gone when the service is shutting down
            log.exception("could not record the failure of job %s", job_id)

    def stop(self, session: Session, job: m.SolveJob) -> None:
        """Queued: cancelled at once. Running: the worker (wherever it runs) sees the flag within its poll
        interval and keeps its best complete plan."""
        if job.status == "queued":
            session.execute(update(m.SolveJob).where((m.SolveJob.id == job.id) & (m.SolveJob.status == "queued"))
                            .values(status="cancelled", stop_requested=True, finished_at=m.utcnow(),
                                    lease_expires_at=None))
        session.execute(update(m.SolveJob).where(m.SolveJob.id == job.id).values(stop_requested=True))
        session.commit()

    def shutdown(self) -> None:
        """Stop the upkeep. Local pool: ask this replica's running jobs to stop, wait `shutdown_grace` for their
        best plans, mark the rest interrupted, and end the worker processes of jobs still running (nothing they
        write later is kept: see api.worker). Jobs on Celery workers go on: they are not this replica's.

        An idle pool is left to the interpreter's exit (its workers end with the service), so that several
        app instances in one process (the tests) share one warm pool."""
        self.upkeep.stop()
        if self.distributed:
            return
        mine = (m.SolveJob.runner == self.instance) & col(m.SolveJob.status).in_(ACTIVE)
        with Session(self.engine) as s:
            s.execute(update(m.SolveJob).where(mine).values(stop_requested=True))
            s.commit()
        deadline = time.monotonic() + self.settings.shutdown_grace
        while self.futures and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            with Session(self.engine) as s:
                s.execute(update(m.SolveJob).where(mine).values(
                    status="interrupted", finished_at=m.utcnow(), lease_expires_at=None,
                    error="the service stopped before this job finished"))
                s.commit()
        except Exception:
            log.exception("could not mark unfinished jobs at shutdown")
        busy = [f for f in list(self.futures.values()) if not f.cancel() and not f.done()]
        if busy:
            log.warning("ending the solve workers of %d job(s) still running at shutdown", len(busy))
            terminate_pool(self.settings.solve_workers, self.settings.worker_nice)
