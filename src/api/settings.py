"""Service settings, read from environment variables (prefix `CHARTERPLAN_`, plus plain `DATABASE_URL`)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only-never-in-production"


def default_workers() -> int:
    """`cores - 1` solve workers, at least one, so the API keeps a core for reads (DESIGN §5.3)."""
    return max(1, (os.cpu_count() or 2) - 1)


class Settings(BaseSettings):
    """Every knob of the service; documented in docs/service.md."""

    model_config = SettingsConfigDict(env_prefix="CHARTERPLAN_", env_file=None, extra="ignore",
                                      populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///./charterplan.db",
        validation_alias=AliasChoices("DATABASE_URL", "CHARTERPLAN_DATABASE_URL"),
    )
    environment: Literal["development", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    token_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    docs_enabled: bool = True
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)

    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_xlsx_expanded_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    max_zip_members: int = Field(default=50, ge=1)

    solve_workers: int = Field(default_factory=default_workers, ge=1)
    max_queued_jobs: int = Field(default=20, ge=0)
    default_time_limit: float = Field(default=30.0, gt=0)
    max_time_limit: float = Field(default=600.0, gt=0)
    seating_time_limit: float = Field(default=0.5, gt=0)
    seating_processes: int = Field(default=1, ge=1)
    job_grace_seconds: float = Field(default=120.0, ge=0)
    worker_nice: int = Field(default=10, ge=0, le=19)
    progress_interval: float = Field(default=1.0, ge=0.0)
    shutdown_grace: float = Field(default=10.0, ge=0.0)
    solver: str = "planner:solve"
    validator: str = "planner:validate"

    scenarios_dir: Path = Field(default_factory=lambda: Path(__file__).resolve().parents[2] / "scenarios")
    demo_scenarios: list[str] = ["first-charter-2022", "belarus-2021-iraq"]
    log_level: str = "INFO"
    request_threads: int = Field(default=4, ge=1, le=200)
    gil_switch_interval: float = Field(default=0.0005, gt=0.0, le=0.1)

    @field_validator("database_url")
    @classmethod
    def _sync_driver(cls, url: str) -> str:
        # Accept the common `postgres://` and `postgresql://` spellings and use the psycopg 3 driver.
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production(self) -> None:
        """Refuse to run in production with the default or a short secret: tokens could be forged."""
        weak = self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32
        if self.environment == "production" and weak:
            raise RuntimeError(
                "CHARTERPLAN_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
