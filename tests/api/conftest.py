"""A fresh database and app per test, on SQLite and (when CHARTERPLAN_TEST_PG_URL is set) on PostgreSQL.

Which tests also run on PostgreSQL: all of them, except those marked `SQLITE_ONLY` (service_testkit.py). That
mark is for tests of what is rendered or computed over stored rows (documents, notices, airline messages, the
fleet sizing, the app's own figure cache), whose statements are the plain reads and writes that other tests run
on both. Storage and its limits (NUL, over-long text, JSON fields), migrations, concurrency (jobs, leases,
locks, racing writers), security perimeters, imports and uploads, searches, shared caches across replicas and
the end-to-end flow keep their PostgreSQL variants; a new test runs on both unless marked.

Each test's database is a copy of one migrated per session and kind (`migrated_template`), so a test pays
for a file copy or a `CREATE DATABASE … TEMPLATE`, not for the migrations; test_api_migrations.py asks for
`empty_database_url` and migrates itself.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from service_testkit import DATABASES, Api, database, make_api, migrated_template, real_planner

from api.settings import Settings


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """kind -> a migrated empty database of that kind, made on first use and dropped at the end."""
    made: dict[str, str] = {}
    makers: list[Generator[str, None, None]] = []

    def template(kind: str) -> str:
        if kind not in made:
            maker = migrated_template(kind, tmp_path_factory.mktemp(f"template-{kind}"))
            made[kind] = next(maker)
            makers.append(maker)
        return made[kind]

    yield template
    for maker in makers:
        maker.close()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 database_template: Callable[[str], str]) -> Iterator[str]:
    if request.param == "postgresql":  # skip before making a template when PostgreSQL is not configured
        from pg_testdb import admin_url

        admin_url()
    yield from database(request.param, tmp_path, database_template(request.param))


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has run on."""
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
