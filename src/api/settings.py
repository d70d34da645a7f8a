"""Service settings, read from environment variables (prefix `CHARTERPLAN_`, plus plain `DATABASE_URL`)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only-never-in-production"  # the old published value: never used
SECRET_FILE_NAME = "charterplan.secret"


def default_workers() -> int:
    """`cores - 1` solve workers, at least one, so the API keeps a core for reads
    (docs/architecture.md#jobs-and-workers)."""
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
    #: signs access tokens; when empty, a random one is generated once and kept in `secret_file`
    secret_key: str = ""
    secret_file: Path | None = None
    #: how many reverse proxies of our own stand in front (0: ignore X-Forwarded-For, use the peer address)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)
    token_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    docs_enabled: bool = True
    #: every user is a member of every operation with their global role (one office); off: access per operation
    open_membership: bool = True
    #: mark the web session cookie Secure even on plain HTTP (TLS ends at a proxy of our own in front)
    secure_cookies: bool = False
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

    @property
    def secret_configured(self) -> bool:
        return bool(self.secret_key) and self.secret_key != DEFAULT_SECRET

    def check_production(self) -> None:
        """Refuse to run in production with no, the published or a short secret: tokens could be forged."""
        weak = not self.secret_configured or len(self.secret_key) < 32
        if self.environment == "production" and weak:
            raise RuntimeError(
                "CHARTERPLAN_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )

    def default_secret_file(self) -> Path:
        """`charterplan.secret` beside the SQLite file, else in the working directory."""
        if self.secret_file is not None:
            return self.secret_file
        if self.is_sqlite:
            from sqlalchemy.engine import make_url

            database = make_url(self.database_url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                return Path(database).resolve().parent / SECRET_FILE_NAME
        return Path.cwd() / SECRET_FILE_NAME

    def resolved_secret(self) -> str:
        """The configured secret, or the one kept in the secret file (created with a random value, readable by
        the owner only, on first start). A published development value is never used to sign tokens."""
        if self.secret_configured:
            return self.secret_key
        return load_or_create_secret(self.default_secret_file())


def load_or_create_secret(path: Path) -> str:
    """Read the secret file, or create it (0600, exclusively, so two starting processes agree on one value).
    A file others may read is made owner-only again before use."""
    import secrets
    import stat

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise RuntimeError(f"the secret file {path} holds fewer than 32 characters; delete it or set "
                               "CHARTERPLAN_SECRET_KEY") from None
        return value
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(value + "\n")
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
