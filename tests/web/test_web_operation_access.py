"""Access per operation on the pages (docs/security.md), without a browser: with open membership off, an officer
of operation A gets 404 on every page and form of operation B, as for an operation that does not exist; the
operations list shows A only; admins reach both and manage the teams on /memberships (audited)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from page_sign_in import app_with_users, csrf, sign_in
from sqlmodel import Session, select

from api.app import api_routes
from api.auth import RANK, issue_token, route_min_role
from api.models import User

TEACHING = Path(__file__).resolve().parents[2] / "scenarios" / "teaching-two-flights"
SAMPLE_IDS = {"case_id": "P001", "number": "1", "job_id": "1", "flight_id": "F1", "fmt": "csv"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from app_with_users(tmp_path, ("officer", "admin"), open_membership=False)


def _sign_in(client: TestClient, username: str) -> str:
    """Signed in as `username`; the CSRF token of the operations list."""
    sign_in(client, username)
    return csrf(client.get("/operations").text)


def _api(client: TestClient, method: str, path: str, **kw: object) -> object:
    token = issue_token("admin1", client.app.state.settings.secret_key, 10)  # type: ignore[attr-defined]
    r = client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)  # type: ignore[arg-type]
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def _two_missions(client: TestClient) -> tuple[int, int]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in ("scenario.yaml", "people.csv"):
            z.write(TEACHING / name, name)
    ids = []
    for _ in range(2):
        op = _api(client, "POST", "/api/v1/operations/import",
                  files={"file": ("t.zip", buf.getvalue(), "application/zip")})
        ids.append(op["id"])  # type: ignore[index]
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        officer = session.exec(select(User).where(User.username == "officer1")).one()
    _api(client, "PUT", f"/api/v1/operations/{ids[0]}/members/{officer.id}", json={"role": "officer"})
    return ids[0], ids[1]


def _page_routes(client: TestClient) -> list[tuple[str, str, str]]:
    """(method, path, least role) of every page and form of one operation."""
    return sorted((method, path, route_min_role(route) or "")
                  for path, route in api_routes(list(client.app.routes))  # type: ignore[attr-defined]
                  if "{operation_id}" in path and not path.startswith("/api/") for method in route.methods)


def _fill(path: str, operation_id: int) -> str:
    url = path.replace("{operation_id}", str(operation_id))
    return re.sub(r"\{([a-z_]+)\}", lambda m: SAMPLE_IDS.get(m.group(1), "1"), url)


def _send(client: TestClient, method: str, url: str, csrf: str) -> tuple[int, str]:
    if method == "GET":
        r = client.get(url, headers={"accept": "text/html"}, follow_redirects=False)
    else:
        r = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    return r.status_code, r.text


def test_an_officer_of_one_mission_gets_404_on_every_page_of_another(client: TestClient) -> None:
    a, b = _two_missions(client)
    routes = _page_routes(client)
    assert len(routes) > 25
    csrf = _sign_in(client, "officer1")
    for method, path, role in routes:
        status, text = _send(client, method, _fill(path, b), csrf)
        assert status == 404 and f"operation {b} does not exist" in text, (method, path, status)
        status, text = _send(client, method, _fill(path, a), csrf)
        assert f"operation {a} does not exist" not in text, (method, path, status)
        assert status == 403 if RANK[role] > RANK["officer"] else status not in (401, 403), (method, path, status)
    csrf = _sign_in(client, "admin1")
    for method, path, _ in routes:
        if method == "GET":
            status, text = _send(client, method, _fill(path, b), csrf)
            assert f"operation {b} does not exist" not in text and status not in (401, 403), (method, path, status)


def test_the_list_shows_own_operations_and_admins_manage_teams(client: TestClient) -> None:
    a, b = _two_missions(client)
    _sign_in(client, "officer1")
    listing = client.get("/operations").text
    assert f'href="/operations/{a}"' in listing and f'href="/operations/{b}"' not in listing
    assert client.get("/memberships").status_code == 403
    csrf = _sign_in(client, "admin1")
    page = client.get("/memberships")
    assert page.status_code == 200 and "officer1" in page.text
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        officer = session.exec(select(User).where(User.username == "officer1")).one()
    r = client.post("/memberships", data={"csrf_token": csrf, "operation_id": str(b), "user_id": str(officer.id),
                                          "role": "viewer", "action": "set"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/memberships", data={"csrf_token": csrf, "operation_id": str(a), "user_id": str(officer.id),
                                          "action": "remove"}, follow_redirects=False)
    assert r.status_code == 303
    bad = client.post("/memberships", data={"csrf_token": csrf, "operation_id": str(a), "user_id": str(officer.id),
                                            "role": "admin", "action": "set"})
    assert bad.status_code == 422
    audit = _api(client, "GET", "/api/v1/audit?limit=50")
    changes = [(e["action"], e["operation_id"]) for e in audit["items"]  # type: ignore[index]
               if e["resource"] == "membership"]
    assert changes == [("delete", a), ("create", b), ("create", a)]
    _sign_in(client, "officer1")
    listing = client.get("/operations").text
    assert f'href="/operations/{b}"' in listing and f'href="/operations/{a}"' not in listing
    assert client.get(f"/operations/{a}").status_code == 404


def test_the_teams_page_is_accessible(page: Any, server: Any, sign_in: Any, axe_check: Any, screenshot: Any) -> None:
    """In a browser (served with open membership, the default): the page says the teams are not in use yet."""
    sign_in(page, "admin")
    page.goto("/memberships")
    assert page.get_by_role("heading", name="Operation teams").is_visible()
    assert "Open membership is on" in page.locator("main").inner_text()
    assert axe_check(page) == []
    screenshot(page, "teams")
