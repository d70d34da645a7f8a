"""The functions behind `charterplan users create` and `charterplan serve --demo`."""

from __future__ import annotations

from service_testkit import PASSWORD, make_api

from api.cli import create_user
from api.settings import Settings


def test_create_user_then_log_in(settings: Settings) -> None:
    assert create_user("first-admin", "admin", PASSWORD, settings=settings) == 0
    assert create_user("first-admin", "admin", PASSWORD, settings=settings) == 1  # exists already
    assert create_user("x", "overlord", PASSWORD, settings=settings) == 2
    assert create_user("y", "viewer", "short", settings=settings) == 2
    for api in make_api(settings):
        r = api.client.post("/api/v1/auth/token", data={"username": "first-admin", "password": PASSWORD})
        assert r.status_code == 200
        me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.json()["role"] == "admin"


def test_demo_loads_scenarios_into_an_empty_store_once(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    s = settings.model_copy(update={"demo_scenarios": ["teaching-two-flights", "no-such-scenario"]})
    for _ in range(2):  # the second start finds the store filled and loads nothing
        app = create_app(s)
        app.state.demo = True
        with TestClient(app):
            pass
    from sqlmodel import Session, func, select

    from api.models import Operation, Person

    with Session(app.state.engine) as session:
        assert session.exec(select(func.count()).select_from(Operation)).one() == 1
        assert session.exec(select(func.count()).select_from(Person)).one() == 24
