"""Solve jobs on Celery (docs/deployment.md): the app, its one task, and `charterplan worker`.

Messages carry only a job id. The task is acknowledged late (after it returns) and rejected back to the
queue if its worker process dies; every delivery first claims the job in the database (api.leases), so a
message delivered twice, or after the job ended, does nothing. One prefetched message per worker process:
a long solve never holds other jobs hostage.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready
from sqlalchemy.engine import Engine

from api.leases import confirm_sent, mark_sent, new_owner, unmark_sent
from api.task_engine import EngineSettings, worker_config

log = logging.getLogger("api.celery")
TASK = "charterplan.solve_job"
_APPS: dict[tuple[str, str], Celery] = {}
_LOCK = threading.Lock()
#: engines a `charterplan worker` opened before its pool forked (the child must not use their connections)
_PARENT_ENGINES: list[Any] = []


def celery_app(tasks: EngineSettings) -> Celery:
    """One Celery app per broker and queue in this process."""
    key = (tasks.broker_url, tasks.solve_queue)
    with _LOCK:
        app = _APPS.get(key)
        if app is None:
            app = _APPS[key] = _make(tasks)
        return app


def _make(tasks: EngineSettings) -> Celery:
    app = Celery("charterplan", broker=tasks.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledged when the task returns, not when it is received
        task_reject_on_worker_lost=True,  # a killed worker process gives its message back to the queue
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # the database holds every result
        task_default_queue=tasks.solve_queue,
        task_serializer="json", accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # Redis: a message not acknowledged within this time is delivered again; the claim makes that harmless,
        # and longer than any job keeps it rare (retries of lost workers come from the lease, api.leases)
        broker_transport_options={"visibility_timeout": 6 * 3600},
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    app.task(name=TASK, acks_late=True, ignore_result=True)(solve_job)
    return app


def send(engine: Engine, tasks: EngineSettings, job_id: int) -> None:
    """Put a queued job's id on the solve queue, once (the database records the sending; a reaper sends it
    later if the broker cannot be reached now, or if this process dies before it confirms the sending)."""
    if not mark_sent(engine, job_id, pending=True):
        return
    try:
        celery_app(tasks).send_task(TASK, args=[job_id], queue=tasks.solve_queue)
    except Exception:
        log.exception("could not send solve job %s to the broker; a reaper sends it again", job_id)
        unmark_sent(engine, job_id)
        return
    confirm_sent(engine, job_id)


def solve_job(job_id: int) -> str:
    """The task: claim the job under a fresh owner id and solve it (api.worker.run_job keeps the lease alive)."""
    from api.settings import get_settings
    from api.worker import run_job

    cfg = worker_config(get_settings(), EngineSettings())
    status = run_job(job_id, "", cfg, owner=new_owner())
    log.info("solve job %s: %s", job_id, status)
    return status


@worker_process_init.connect
def _forget_parent_connections(**_: Any) -> None:
    """A forked pool process leaves the parent's database connections to the parent."""
    for engine in _PARENT_ENGINES:
        engine.dispose(close=False)


@worker_ready.connect
def _ready(**_: Any) -> None:
    log.info("charterplan worker ready")


def run_worker(concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """`charterplan worker`: a Celery worker on the solve queue, plus lease upkeep for lost jobs (api.jobs)."""
    import os
    import socket

    from api.db import make_engine, migrate
    from api.jobs import Upkeep
    from api.settings import get_settings

    settings, tasks = get_settings(), EngineSettings()
    engine = make_engine(settings.database_url, settings.sqlite_busy_timeout_ms, pool_size=2)
    _PARENT_ENGINES.append(engine)
    migrate(engine)  # under the migration lock (api.db): the first process to start brings the schema to head
    upkeep = Upkeep(engine, tasks, owner="", send=lambda job_id: send(engine, tasks, job_id))

    # the upkeep thread starts once the pool has forked its processes: a thread holding a lock (the database
    # pool's, a driver's) at a fork leaves it held for ever in the child, which then never starts its task
    @worker_ready.connect(weak=False)
    def _start_upkeep(**_: Any) -> None:
        upkeep.start()

    try:
        celery_app(tasks).worker_main(["worker", f"--loglevel={loglevel}", "--pool=prefork",
                                       f"--concurrency={concurrency or tasks.worker_concurrency}",
                                       f"--queues={tasks.solve_queue}", "--without-gossip", "--without-mingle",
                                       f"--hostname=charterplan-{os.getpid()}@{socket.gethostname()}"])
    finally:
        upkeep.stop()
