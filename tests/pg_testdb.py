"""A fresh PostgreSQL database per test server, on the server named by CHARTERPLAN_TEST_PG_URL.

Shared by the API tests (tests/api/service_testkit.py) and the browser tests (tests/web/conftest.py); `tests/`
is on pytest's import path (pyproject.toml).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_URL = os.environ.get("CHARTERPLAN_TEST_PG_URL")


def fresh_postgresql_database(prefix: str) -> Iterator[str]:
    """Create a database named `prefix` + a random suffix, yield its URL, drop it afterwards (even while
    connections are open). Skips the test when CHARTERPLAN_TEST_PG_URL is not set."""
    if not PG_URL:
        pytest.skip("CHARTERPLAN_TEST_PG_URL is not set")
    import psycopg

    name = prefix + uuid.uuid4().hex[:12]
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
