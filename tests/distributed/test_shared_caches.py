"""Two replicas on one PostgreSQL database: what one changes, the other's caches never hide (no broker needed)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_kit import SECRET, add_users, need
from fastapi.testclient import TestClient

from pg_testdb import fresh_postgresql_database


@pytest.fixture
def two_replicas() -> Iterator[tuple[TestClient, TestClient, dict[str, str]]]:
    need(bool(os.environ.get("CHARTERPLAN_TEST_PG_URL")), "CHARTERPLAN_TEST_PG_URL is not set: no PostgreSQL")
    from api.app import create_app
    from api.settings import Settings

    for url in fresh_postgresql_database("cp_cache_"):
        settings = Settings(database_url=url, secret_key=SECRET, solve_workers=1)
        with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
            yield one, two, add_users(url)


def _get(client: TestClient, token: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_sign_out_through_one_replica_ends_the_session_on_the_other(two_replicas: Any) -> None:
    one, two, tokens = two_replicas
    assert _get(one, tokens["viewer"], "/api/v1/operations").status_code == 200  # cached by replica one
    r = two.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert r.status_code == 204
    deadline = time.monotonic() + 5  # the notice travels in milliseconds; the cache would keep it 30 s
    while _get(one, tokens["viewer"], "/api/v1/operations").status_code == 200:
        assert time.monotonic() < deadline, "replica one still accepts a signed-out session"
        time.sleep(0.05)
    assert _get(one, tokens["viewer"], "/api/v1/operations").status_code == 401


def test_a_caseload_change_through_one_replica_moves_the_revision_seen_by_the_other(two_replicas: Any) -> None:
    from sqlmodel import Session

    from api.export_cache import cache_for, caseload_changed

    one, two, _ = two_replicas
    engine_one, engine_two = one.app.state.engine, two.app.state.engine  # type: ignore[attr-defined]
    before = cache_for(engine_one).revision(7)
    with Session(engine_two) as s:
        caseload_changed(s, 7)
        s.rollback()  # a change that did not happen moves nothing
    assert cache_for(engine_one).revision(7) == before
    with Session(engine_two) as s:
        caseload_changed(s, 7)
        s.commit()
    assert cache_for(engine_one).revision(7) == before + 1
