"""A fresh database and app per test, on SQLite and (when CHARTERPLAN_TEST_PG_URL is set) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_testkit import DATABASES, Api, database, make_api, real_planner

from api.settings import Settings


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database(request.param, tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    solver = "planner:solve" if real_planner() else "fake_planner:slow_solve"
    validator = "planner:validate" if real_planner() else "fake_planner:validate"
    return Settings(database_url=database_url, secret_key="test-secret-" + "x" * 40, solver=solver,
                    validator=validator, default_time_limit=2.0, max_time_limit=30.0, seating_time_limit=2.0,
                    shutdown_grace=0.0, progress_interval=0.2, solve_workers=1, max_queued_jobs=3)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    yield from make_api(settings)


