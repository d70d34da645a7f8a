"""Which engine runs solve jobs, chosen by settings (docs/deployment.md).

`local` (the default): a pool of worker processes inside each service process; nothing else is needed, SQLite
works. `celery`: jobs go to Celery workers (`charterplan worker`) through a broker (Redis or RabbitMQ, named by
`CHARTERPLAN_BROKER_URL`); any number of service replicas and workers share one PostgreSQL database.
Either way the database holds the truth about a job (api.leases): the engine only carries job ids.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.settings import Settings


class EngineSettings(BaseSettings):
    """The task engine's settings (environment variables with the prefix `CHARTERPLAN_`)."""

    model_config = SettingsConfigDict(env_prefix="CHARTERPLAN_", env_file=None, extra="ignore")

    task_engine: Literal["local", "celery"] = "local"
    #: Celery's broker: redis://host:6379/0 or amqp://user:password@host:5672//
    broker_url: str = "redis://127.0.0.1:6379/0"
    solve_queue: str = "charterplan.solve"
    #: an owner that has not renewed its lease for this long is taken as lost
    lease_seconds: float = Field(default=30.0, gt=0.5)
    #: claims of one job in all: a job whose workers were lost this often fails instead of being retried
    job_max_attempts: int = Field(default=3, ge=1, le=20)
    #: how often each replica and worker looks for jobs of lost owners and jobs never sent
    reap_interval: float = Field(default=5.0, gt=0)
    #: Celery worker processes started by `charterplan worker` (each solves one job at a time)
    worker_concurrency: int = Field(default=1, ge=1, le=64)


def worker_config(settings: Settings, tasks: EngineSettings) -> dict[str, Any]:
    """What a solve worker needs, picklable (a pool worker gets it per job; a Celery worker builds it once)."""
    return {
        "database_url": settings.database_url,
        "busy_timeout_ms": settings.sqlite_busy_timeout_ms,
        "solver": settings.solver,
        "validator": settings.validator,
        "seating_time_limit": settings.seating_time_limit,
        "progress_interval": settings.progress_interval,
        "cpsat_workers": settings.solve_workers,
        "seating_processes": settings.seating_processes,
        "job_grace_seconds": settings.job_grace_seconds,
        "lease_seconds": tasks.lease_seconds,
        "max_attempts": tasks.job_max_attempts,
    }
