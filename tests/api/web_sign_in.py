"""A second client of the app under test signed in to the pages, for service tests that also look at a page
(docs/web.md, "Sign-in and roles"). Its own module name, so no other folder's conftest shadows it."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from service_testkit import PASSWORD, Api


def csrf(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def browser(api: Api, username: str, app: FastAPI | None = None) -> TestClient:
    """A client with its own cookies, signed in through the sign-in form of `app` (default: the app of `api`;
    another replica on the same database for the replica tests)."""
    client = TestClient(app if app is not None else api.client.app)
    token = csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token,
                                    "next": "/operations"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client
