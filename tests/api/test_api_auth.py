"""Authentication, roles on every route, API tokens, the audit log, production settings."""

from __future__ import annotations

import re

import pytest
from service_testkit import PASSWORD, Api, make_api

from api.settings import Settings

# Every route of the OpenAPI schema and the least role it needs (None: public). A route missing here fails
# test_every_route_has_a_rule, so a new endpoint cannot ship without a deliberate decision.
ROLE_RULES: dict[tuple[str, str], str | None] = {
    ("GET", "/health"): None,
    ("GET", "/ready"): None,
    ("POST", "/api/v1/auth/token"): None,
    ("GET", "/api/v1/auth/me"): 'viewer',
    ("POST", "/api/v1/auth/api-tokens"): 'viewer',
    ("GET", "/api/v1/auth/api-tokens"): 'viewer',
    ("DELETE", "/api/v1/auth/api-tokens/{token_id}"): 'viewer',
    ("POST", "/api/v1/auth/password"): 'viewer',
    ("POST", "/api/v1/auth/logout"): 'viewer',
    ("POST", "/api/v1/auth/sign-out-everywhere"): 'viewer',
    ("GET", "/api/v1/users"): 'admin',
    ("POST", "/api/v1/users"): 'admin',
    ("GET", "/api/v1/users/{user_id}"): 'admin',
    ("PATCH", "/api/v1/users/{user_id}"): 'admin',
    ("DELETE", "/api/v1/users/{user_id}"): 'admin',
    ("GET", "/api/v1/audit"): 'coordinator',
    ("GET", "/api/v1/operations"): 'viewer',
    ("POST", "/api/v1/operations"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}"): 'coordinator',
    ("DELETE", "/api/v1/operations/{operation_id}"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/protocol"): 'viewer',
    ("PUT", "/api/v1/operations/{operation_id}/protocol"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/people"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/people"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/people/{case_id}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/people/{case_id}"): 'officer',
    ("DELETE", "/api/v1/operations/{operation_id}/people/{case_id}"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/people/{case_id}/erase"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/households"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/people/import"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/flights"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/flights"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/flights/{code}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/flights/{code}"): 'officer',
    ("DELETE", "/api/v1/operations/{operation_id}/flights/{code}"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/testing-sites"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/testing-sites"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/testing-sites/{code}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/testing-sites/{code}"): 'officer',
    ("DELETE", "/api/v1/operations/{operation_id}/testing-sites/{code}"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/escorts"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/escorts"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/escorts/{code}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/escorts/{code}"): 'officer',
    ("DELETE", "/api/v1/operations/{operation_id}/escorts/{code}"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/aircraft"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/aircraft"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/aircraft/{code}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/aircraft/{code}"): 'coordinator',
    ("DELETE", "/api/v1/operations/{operation_id}/aircraft/{code}"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/testing-sites/{code}/slots"): 'viewer',
    ("PUT", "/api/v1/operations/{operation_id}/testing-sites/{code}/slots"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/pins"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/pins/{case_id}"): 'viewer',
    ("PUT", "/api/v1/operations/{operation_id}/pins/{case_id}"): 'officer',
    ("DELETE", "/api/v1/operations/{operation_id}/pins/{case_id}"): 'officer',
    ("POST", "/api/v1/operations/import"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/scenario.zip"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/solve-jobs"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/solve-jobs"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/solve-jobs/{job_id}"): 'viewer',
    ("DELETE", "/api/v1/operations/{operation_id}/solve-jobs/{job_id}"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/publish"): 'coordinator',
    ("DELETE", "/api/v1/operations/{operation_id}/plans/{plan_id}"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/people/{case_id}"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/reasons"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/compare/{other_id}"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/manifest"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/testing-schedule"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/plan.json"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/variants"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/variants"): 'coordinator',
    ("GET", "/api/v1/operations/{operation_id}/variants/{variant_id}"): 'viewer',
    ("PATCH", "/api/v1/operations/{operation_id}/variants/{variant_id}"): 'coordinator',
    ("DELETE", "/api/v1/operations/{operation_id}/variants/{variant_id}"): 'coordinator',
    ("POST", "/api/v1/operations/{operation_id}/variant-runs"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/comparison"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/fleet-sizing"): 'coordinator',
    ("POST", "/api/v1/operations/{operation_id}/events"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/members"): 'admin',
    ("PUT", "/api/v1/operations/{operation_id}/members/{user_id}"): 'admin',
    ("DELETE", "/api/v1/operations/{operation_id}/members/{user_id}"): 'admin',
    # airline and border messages (docs/airline.md)
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/messages"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/pnl"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/pnl"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/adl"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/adl"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/paxlst"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/paxlst"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/paxlst/warnings"): 'viewer',
    # the load summary (docs/load.md) and notices to returnees (docs/notices.md)
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/load-summary"): 'viewer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/load-summary/file"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/notices"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/households/{household_id}/notices"): 'officer',
    # lists for people outside the operation (docs/reception.md, docs/documents-pipeline.md)
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/document-requests"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/arrival-list"): 'officer',
    # the departure day (docs/departure-day.md)
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/departure"): 'viewer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/check-in-marks"): 'officer',
    ("GET", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/final-manifest"): 'officer',
    ("POST", "/api/v1/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}/departure/events"): 'officer',
}

ROLES = ["viewer", "officer", "coordinator", "admin"]


def test_every_route_has_a_rule(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert routes - set(ROLE_RULES) == set(), "routes without an entry in ROLE_RULES"
    assert set(ROLE_RULES) - routes == set(), "ROLE_RULES lists routes that no longer exist"


def test_every_role_on_every_route(api: Api) -> None:
    """Below the rule: 403; at or above: anything but 401/403; without a token: 401."""
    op = api.import_teaching()
    for (method, path), rule in sorted(ROLE_RULES.items()):
        url = re.sub(r"\{operation_id\}", str(op), path)
        url = re.sub(r"\{[a-z_]+\}", "999999", url)
        anonymous = api.client.request(method, url)
        if rule is None:
            assert anonymous.status_code not in (401, 403), (method, path)
            continue
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        assert anonymous.headers["www-authenticate"] == "Bearer"
        if path.endswith(("/sign-out-everywhere", "/logout")):
            continue  # it would end the role's session for the routes after it (tested on its own)
        for role in ROLES:
            status = api.call(method, url, role).status_code
            if ROLES.index(role) < ROLES.index(rule):
                assert status == 403, (method, path, role, status)
            else:
                assert status not in (401, 403), (method, path, role, status)


def test_a_route_without_a_rule_stops_the_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import APIRouter

    from api.routers import plans

    stray = APIRouter()

    @stray.get("/operations/{operation_id}/leak")
    def leak(operation_id: int) -> dict[str, int]:
        return {"operation_id": operation_id}

    monkeypatch.setattr(plans, "router", stray)
    from api.app import create_app

    with pytest.raises(RuntimeError, match=r"without a role rule.*leak"):
        create_app(settings)


def test_password_login_and_failed_logins_are_audited(api: Api) -> None:
    r = api.client.post("/api/v1/auth/token", data={"username": "officer1", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    token = r.json()["access_token"]
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"username": "officer1", "role": "officer"}
    bad = api.client.post("/api/v1/auth/token", data={"username": "officer1", "password": "wrong-password"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"
    nobody = api.client.post("/api/v1/auth/token", data={"username": "ghost", "password": "wrong-password"})
    assert nobody.status_code == 401 and nobody.json()["detail"] == bad.json()["detail"]
    failed = api.get("/api/v1/audit", "coordinator", params={"action": "login_failed"}).json()["items"]
    assert {e["actor"] for e in failed} == {"officer1", "ghost"}
    assert "wrong-password" not in str(failed)
    forged = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
    assert forged.status_code == 401


def test_api_tokens_are_stored_hashed_and_can_be_revoked(api: Api) -> None:
    r = api.post("/api/v1/auth/api-tokens", "officer", json={"name": "nightly import"})
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("cp_")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/auth/me", headers=headers).json()["role"] == "officer"
    from sqlmodel import Session, select

    from api.models import ApiToken

    with Session(api.client.app.state.engine) as s:  # type: ignore[attr-defined]
        stored = s.exec(select(ApiToken)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    listed = api.get("/api/v1/auth/api-tokens", "officer").json()
    assert "token" not in listed[0]
    assert api.delete(f"/api/v1/auth/api-tokens/{listed[0]['id']}", "viewer").status_code == 404
    assert api.delete(f"/api/v1/auth/api-tokens/{listed[0]['id']}", "officer").status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_user_administration(api: Api) -> None:
    r = api.post("/api/v1/users", "admin", json={"username": "nadia", "password": "short", "role": "officer"})
    assert r.status_code == 422
    r = api.post("/api/v1/users", "admin", json={"username": "nadia", "password": "a long passphrase",
                                                 "role": "officer"})
    assert r.status_code == 201 and "password" not in str(r.json()).lower()
    uid = r.json()["id"]
    assert api.post("/api/v1/users", "coordinator", json={"username": "x", "password": "a long passphrase",
                                                          "role": "admin"}).status_code == 403
    assert api.patch(f"/api/v1/users/{uid}", "admin", if_match=1, json={"role": "viewer"}).json()["role"] == "viewer"
    assert api.delete(f"/api/v1/users/{uid}", "admin").status_code == 204
    login = api.client.post("/api/v1/auth/token", data={"username": "nadia", "password": "a long passphrase"})
    assert login.status_code == 401


def test_role_changes_and_disabling_apply_to_tokens_already_in_use(api: Api) -> None:
    """Resolved tokens are remembered for a short while; a change to the user must still apply at once."""
    from api.auth import issue_token

    r = api.post("/api/v1/users", "admin", json={"username": "omar", "password": "a long passphrase",
                                                 "role": "coordinator"})
    uid = r.json()["id"]
    headers = {"Authorization": f"Bearer {issue_token('omar', api.settings.secret_key, 60)}"}
    assert api.client.get("/api/v1/audit", headers=headers).status_code == 200  # remembered as a coordinator
    assert api.patch(f"/api/v1/users/{uid}", "admin", if_match=1, json={"role": "viewer"}).status_code == 200
    assert api.client.get("/api/v1/audit", headers=headers).status_code == 401  # a role change ends the session
    login = api.client.post("/api/v1/auth/token", data={"username": "omar", "password": "a long passphrase"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert api.client.get("/api/v1/audit", headers=headers).status_code == 403
    assert api.client.get("/api/v1/operations", headers=headers).status_code == 200
    assert api.delete(f"/api/v1/users/{uid}", "admin").status_code == 204
    assert api.client.get("/api/v1/operations", headers=headers).status_code == 401


def test_audit_log_is_append_only(api: Api) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    api.import_teaching()
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    entries = api.get("/api/v1/audit", "admin").json()
    assert entries["total"] >= 1 and entries["items"][0]["action"] == "import"
    schema = api.client.get("/openapi.json").json()
    assert set(schema["paths"]["/api/v1/audit"]) == {"get"}


def test_health_ready_and_docs_are_public(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.client.get("/ready").json()["status"] == "ready"
    assert api.client.get("/docs").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200


def test_docs_can_be_turned_off(settings: Settings) -> None:
    for api in make_api(settings.model_copy(update={"docs_enabled": False})):
        assert api.client.get("/openapi.json").status_code == 404
        assert api.client.get("/docs").status_code == 404


def test_production_refuses_the_default_secret() -> None:
    from api.app import create_app
    from api.settings import DEFAULT_SECRET

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Settings(environment="production", secret_key=DEFAULT_SECRET))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Settings(environment="production", secret_key="short"))


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@localhost/db")
    monkeypatch.setenv("CHARTERPLAN_MAX_UPLOAD_BYTES", "4096")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u@localhost/db" and s.max_upload_bytes == 4096


def test_unexpected_errors_are_problems_and_log_no_values(api: Api, caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A driver error quoting row values must reach neither the client nor the logs."""
    import logging

    from api.routers import people

    def explode(*args: object, **kwargs: object) -> None:
        raise ValueError("Rebin Ahmed 1985-03-02 A0001123")

    op = api.import_teaching()
    monkeypatch.setattr(people, "to_read", explode)
    caplog.set_level(logging.DEBUG)
    r = api.get(f"/api/v1/operations/{op}/people/C0001", "viewer")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "Rebin" not in r.text and "Rebin" not in caplog.text and "ValueError" in caplog.text
