"""Signing in to the pages without a browser, shared by the page tests that run through the app's TestClient
(docs/web.md, "Sign-in and roles"). A module with its own name, not conftest.py, so no other folder's conftest
shadows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from api.app import create_app
from api.settings import Settings

PASSWORD = "amber-falcon-harbour-1962"


def csrf(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def sign_in(client: TestClient, username: str) -> Response:
    """Sign in through the form as a new browser would (cookies cleared first); the 303 to /operations."""
    client.cookies.clear()
    token = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                    "next": "/operations"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/operations", r.text
    return r


def app_with_users(tmp_path: Path, roles: tuple[str, ...], **settings: Any) -> Iterator[TestClient]:
    """A fresh app on a SQLite file with one user per role (`<role>1`, password PASSWORD), for a fixture."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'web.db'}", secret_key="web-unit-" + "s" * 40,
                              solve_workers=1, **settings))
    with TestClient(app) as client:
        from api.routers.auth_users import create_user

        with Session(app.state.engine) as session:
            for role in roles:
                create_user(session, role + "1", PASSWORD, role)
            session.commit()
        yield client
