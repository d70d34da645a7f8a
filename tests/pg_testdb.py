"""A fresh PostgreSQL database per test server, on the server named by CHARTERPLAN_TEST_PG_URL.

Shared by the API tests (tests/api/service_testkit.py) and the browser tests (tests/web/conftest.py); `tests/`
is on pytest's import path (pyproject.toml).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor

import pytest

PG_URL = os.environ.get("CHARTERPLAN_TEST_PG_URL")
#: Dropping a database waits for a checkpoint (about two seconds); one thread drops them while the next tests run,
#: and the interpreter waits for it at exit.
_DROPPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")


def admin_url() -> str:
    """The server's maintenance URL for psycopg (skips the test when CHARTERPLAN_TEST_PG_URL is not set)."""
    if not PG_URL:
        pytest.skip("CHARTERPLAN_TEST_PG_URL is not set")
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_postgresql_database(prefix: str, template: str | None = None,
                              wait_drop: bool = True) -> Generator[str, None, None]:
    """Create a database named `prefix` + a random suffix (a copy of `template` when given), yield its URL, drop
    it afterwards (even while connections are open; in the background unless `wait_drop`). Skips the test when
    CHARTERPLAN_TEST_PG_URL is not set."""
    admin = admin_url()
    import psycopg

    name = prefix + uuid.uuid4().hex[:12]
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        if wait_drop:
            drop_database(name)
        else:
            _DROPPER.submit(drop_database, name)
