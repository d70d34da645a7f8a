"""Sign-in, roles, CSRF and languages of the pages without a browser (always run, unlike the browser tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from page_sign_in import PASSWORD, app_with_users, csrf, sign_in

from api.app import api_routes
from api.auth import route_min_role
from api.web import PUBLIC_PATHS
from api.web.i18n import Catalogues


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from app_with_users(tmp_path, ("viewer", "officer"))


def _sign_in(client: TestClient, username: str) -> str:
    """Signed in as `username`; the cookies the sign-in set."""
    return sign_in(client, username).headers["set-cookie"]


def test_every_page_route_has_a_role_or_is_public(client: TestClient) -> None:
    pages = [(path, r) for path, r in api_routes(list(client.app.routes))  # type: ignore[attr-defined]
             if not path.startswith("/api/") and path not in ("/health", "/ready", "/docs")]
    assert pages
    for path, route in pages:
        assert route_min_role(route) is not None or path in PUBLIC_PATHS, path
        assert not route.include_in_schema, path


def test_session_cookie_flags_and_sign_out(client: TestClient) -> None:
    cookie = _sign_in(client, "officer1")
    assert "cp_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = client.get("/operations")
    assert page.status_code == 200 and "officer1" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    r = client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/operations", follow_redirects=False).headers["location"] == "/login?next=/operations"


def test_sign_in_does_not_redirect_off_site(client: TestClient) -> None:
    token = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": "officer1", "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_forms_need_the_csrf_token_of_the_session(client: TestClient) -> None:
    r = client.post("/login", data={"username": "officer1", "password": PASSWORD})
    assert r.status_code == 403 and "The form has expired" in r.text
    _sign_in(client, "officer1")
    old = csrf(client.get("/login").text)  # a token from before signing in no longer fits
    r = client.post("/logout", data={"csrf_token": old + "0"})
    assert r.status_code == 403


def test_viewer_is_refused_officer_pages_and_forms(client: TestClient) -> None:
    _sign_in(client, "viewer1")
    page = client.get("/operations")
    assert client.get("/operations/1/import").status_code == 403
    r = client.post("/operations/1/import/commit", data={"csrf_token": csrf(page.text), "token": "x"})
    assert r.status_code == 403 and "Not allowed" in r.text
    assert client.get("/users").status_code == 403


def test_api_keeps_bearer_tokens_only(client: TestClient) -> None:
    _sign_in(client, "officer1")
    assert client.get("/api/v1/operations").status_code == 401  # the session cookie is not an API login


def test_only_complete_languages_are_offered_and_pages_set_lang_and_dir(client: TestClient) -> None:
    catalogues = Catalogues()
    assert catalogues.offered[0].code == "en"
    assert catalogues.completeness["en"] == 1.0
    page = client.get("/login", headers={"accept-language": "ar, en;q=0.5"})
    offered = {lang.code for lang in catalogues.offered}
    expected = ('lang="ar" dir="rtl"' if "ar" in offered else 'lang="en" dir="ltr"')
    assert expected in page.text


#: Every planning page and form with the least role it needs (docs/web.md): a lower role gets 403 and nothing
#: is done, even with a valid CSRF token.
PLANNING_ROUTES = [
    ("GET", "/operations/1/plans", "viewer"),
    ("GET", "/operations/1/plans/1", "viewer"),
    ("GET", "/operations/1/plans/1/flights/F1", "viewer"),
    ("GET", "/operations/1/jobs/1", "viewer"),
    ("GET", "/operations/1/jobs/1/progress", "viewer"),
    ("GET", "/operations/1/what-if", "viewer"),
    ("GET", "/operations/1/what-if/compare", "viewer"),
    ("GET", "/operations/1/events", "officer"),
    ("POST", "/operations/1/solve", "officer"),
    ("POST", "/operations/1/jobs/1/stop", "officer"),
    ("POST", "/operations/1/events", "officer"),
    ("POST", "/operations/1/events/upload", "officer"),
    ("POST", "/operations/1/replan", "officer"),
    ("POST", "/operations/1/what-if/run", "officer"),
    ("POST", "/operations/1/plans/1/publish", "coordinator"),
    ("POST", "/operations/1/what-if/variants", "coordinator"),
    ("POST", "/operations/1/what-if/sweep", "coordinator"),
    ("GET", "/operations/1/what-if/fleet", "coordinator"),
    ("POST", "/operations/1/what-if/fleet", "coordinator"),
]


def test_planning_routes_declare_the_role_of_the_table(client: TestClient) -> None:
    routes = {(method, path): route for path, route in api_routes(list(client.app.routes))  # type: ignore[attr-defined]
              for method in getattr(route, "methods", ())}
    for method, path, role in PLANNING_ROUTES:
        template = re.sub(r"/operations/1", "/operations/{operation_id}", path)
        template = re.sub(r"/plans/1", "/plans/{number}", template)
        template = re.sub(r"/jobs/1", "/jobs/{job_id}", template).replace("/flights/F1", "/flights/{flight_id}")
        assert route_min_role(routes[(method, template)]) == role, (method, path)


@pytest.mark.parametrize("user", ["viewer1", "officer1"])
def test_planning_forms_refuse_a_role_too_low(client: TestClient, user: str) -> None:
    _sign_in(client, user)
    token = csrf(client.get("/operations").text)
    rank = {"viewer": 0, "officer": 1, "coordinator": 2}
    mine = rank[user.rstrip("1")]
    for method, path, role in PLANNING_ROUTES:
        if rank[role] <= mine:
            continue
        if method == "GET":
            r = client.get(path)
        else:
            r = client.post(path, data={"csrf_token": token, "time_limit": "3", "kind": "lab", "name": "x"})
        assert r.status_code == 403 and "Not allowed" in r.text, (user, method, path)


def test_planning_forms_need_the_csrf_token(client: TestClient) -> None:
    _sign_in(client, "officer1")
    for method, path, role in PLANNING_ROUTES:
        if method == "POST" and role == "officer":
            r = client.post(path, data={"time_limit": "3"})
            assert r.status_code == 403 and "The form has expired" in r.text, path
