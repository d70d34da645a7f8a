"""Access per operation (docs/security.md): with open membership off, an officer of operation A gets 404 on every
route of operation B, exactly as for an operation that does not exist; admins reach both; the operations list and
the audit log show only the caller's operations; membership changes are audited; every operation-scoped route
carries the check (walked over `app.routes`)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends
from service_testkit import Api, make_api
from sqlmodel import Session, select
from test_api_auth import ROLE_RULES

from api.app import api_routes
from api.auth import Principal
from api.deps import require, require_of
from api.memberships import checks_operation, unchecked_routes
from api.models import Plan, User
from api.settings import Settings

ROLES = ["viewer", "officer", "coordinator", "admin"]
MORE_LAB = {"format": "charterplan.variant/1", "name": "more lab",
            "testing_sites": {"scale": {"daily_capacity": 2, "capacity_per_slot": 2}}}


@pytest.fixture
def closed(settings: Settings) -> Iterator[Api]:
    yield from make_api(settings.model_copy(update={"open_membership": False}))


def user_id(api: Api, username: str) -> int:
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        user = session.exec(select(User).where(User.username == username)).one()
        assert user.id is not None
        return user.id


def wait_admin(api: Api, operation_id: int, job_id: int) -> dict[str, Any]:
    """`wait_job` as admin (viewer1 is no member of B)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/api/v1/operations/{operation_id}/solve-jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still running")


def two_missions(api: Api) -> tuple[int, int, dict[str, str]]:
    """Operations A and B (imported by coordinator1, who becomes a member of both); officer1 and viewer1 are
    members of A only. Returns A, B and real ids of B's rows (a plan, a job, a variant, a person, a flight)."""
    a, b = api.import_teaching(), api.import_teaching()
    for username, role in (("officer1", "officer"), ("viewer1", "viewer")):
        r = api.put(f"/api/v1/operations/{a}/members/{user_id(api, username)}", json={"role": role})
        assert r.status_code == 201, r.text
    job = api.post(f"/api/v1/operations/{b}/solve-jobs", json={"time_limit": 2}).json()
    done = wait_admin(api, b, job["id"])
    variant = api.post(f"/api/v1/operations/{b}/variants", json={"document": MORE_LAB})
    assert variant.status_code == 201, variant.text
    person = api.get(f"/api/v1/operations/{b}/people?limit=1").json()["items"][0]
    flight = api.get(f"/api/v1/operations/{b}/flights").json()["items"][0]
    ids = {"plan_id": str(done["plan_id"]), "other_id": str(done["plan_id"]), "job_id": str(job["id"]),
           "variant_id": str(variant.json()["id"]), "case_id": person["case_id"], "flight_id": flight["id"],
           "code": flight["id"], "user_id": str(user_id(api, "officer1"))}
    return a, b, ids


def fill(path: str, operation_id: int, ids: dict[str, str]) -> str:
    url = path.replace("{operation_id}", str(operation_id))
    return re.sub(r"\{([a-z_]+)\}", lambda m: ids.get(m.group(1), "999999"), url)


def operation_routes(api: Api) -> list[tuple[str, str, str | None]]:
    """Every documented route of one operation with its rule in ROLE_RULES (None for a route not listed there
    yet: test_api_auth fails on it, and the membership part of the checks still runs here)."""
    schema = api.client.get("/openapi.json").json()
    return sorted((method.upper(), path, ROLE_RULES.get((method.upper(), path)))
                  for path, item in schema["paths"].items() if "{operation_id}" in path for method in item)


def test_every_operation_scoped_route_checks_membership(api: Api) -> None:
    routes = list(api_routes(list(api.client.app.routes)))  # type: ignore[attr-defined]
    scoped = [path for path, _ in routes if "{operation_id}" in path]
    assert len(scoped) > 60 and any(not p.startswith("/api/") for p in scoped)  # the API and the pages
    assert unchecked_routes(routes) == []
    assert all(checks_operation(path, route) for path, route in routes)


def role_only() -> None:
    """A role rule without the membership check (what a route of its own making would have)."""


role_only.min_role = "viewer"  # type: ignore[attr-defined]  # passes the role check, not the member check


@pytest.mark.parametrize("path, dependency", [("/operations/{operation_id}/leak", role_only),
                                              ("/plans/{plan_id}/leak", require("viewer"))])
def test_a_route_without_the_check_stops_the_app(settings: Settings, monkeypatch: pytest.MonkeyPatch, path: str,
                                                 dependency: Any) -> None:
    """A role rule alone is not enough: by operation it must be `require`/`page`; by a plan id, `require_of`."""
    from api.routers import plans

    stray = APIRouter()

    @stray.get(path)
    def leak(_: Any = Depends(dependency)) -> dict[str, int]:  # noqa: B008  (a local: Annotated cannot name it)
        return {}

    monkeypatch.setattr(plans, "router", stray)
    from api.app import create_app

    with pytest.raises(RuntimeError, match=r"without the membership check.*leak"):
        create_app(settings)


def test_a_route_by_plan_id_alone_resolves_its_operation(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """`require_of` (for routes without the operation in the path): B's plan is a 404 for A's officer, exactly
    as a missing plan; A's own plan and, for admins, every plan are reached."""
    from api.routers import fleet

    stray = APIRouter()
    stray.include_router(fleet.router)

    @stray.get("/plans/{plan_id}")
    def plan_alone(plan_id: int, principal: Annotated[Principal, Depends(require_of("viewer", Plan, "plan_id"))]
                   ) -> dict[str, Any]:
        return {"plan_id": plan_id, "role": principal.role}

    monkeypatch.setattr(fleet, "router", stray)
    for api in make_api(settings.model_copy(update={"open_membership": False})):
        a, _, ids = two_missions(api)
        job = api.post(f"/api/v1/operations/{a}/solve-jobs", "officer", json={"time_limit": 2}).json()
        own = wait_admin(api, a, job["id"])["plan_id"]
        assert api.get(f"/api/v1/plans/{own}", "officer").json() == {"plan_id": own, "role": "officer"}
        other = api.get(f"/api/v1/plans/{ids['plan_id']}", "officer")
        assert other.status_code == 404 and other.json()["detail"] == f"plan {ids['plan_id']} does not exist"
        assert api.get("/api/v1/plans/999999", "officer").json()["detail"] == "plan 999999 does not exist"
        assert api.get(f"/api/v1/plans/{ids['plan_id']}", "admin").status_code == 200


def test_an_officer_of_one_mission_gets_404_on_every_route_of_another(closed: Api) -> None:
    """The table of test_api_auth.ROLE_RULES, across operations: on B every role of A's team gets the same 404
    as for a missing operation; on A the role rule holds; admins reach both."""
    a, b, ids = two_missions(closed)
    missing = 2_000_000
    for method, path, rule in operation_routes(closed):
        on_b = closed.call(method, fill(path, b, ids), "officer")
        assert on_b.status_code == 404, (method, path, on_b.status_code)
        assert on_b.json()["detail"] == f"operation {b} does not exist", (method, path)
        absent = closed.call(method, fill(path, missing, ids), "officer").json()
        assert {k: v for k, v in absent.items() if k not in ("detail", "instance")} == \
            {k: v for k, v in on_b.json().items() if k not in ("detail", "instance")}, (method, path)
        assert closed.call(method, fill(path, b, ids), "viewer").status_code == 404, (method, path)
        for role in ("viewer", "officer", "admin") if rule else ():
            status = closed.call(method, fill(path, a, {}), role).status_code
            if ROLES.index(role) < ROLES.index(rule):
                assert status == 403, (method, path, role, status)
            else:
                assert status not in (401, 403), (method, path, role, status)
        admin_on_b = closed.call(method, fill(path, b, ids), "admin")
        assert admin_on_b.status_code not in (401, 403), (method, path, admin_on_b.status_code)
        if admin_on_b.status_code == 404:
            assert admin_on_b.json()["detail"] != f"operation {b} does not exist", (method, path)


def test_b_rows_through_a_path_are_404(closed: Api) -> None:
    """A plan, job or variant of B addressed under A's path is not found there either."""
    a, _, ids = two_missions(closed)
    for method, path, rule in operation_routes(closed):
        if not re.search(r"\{(plan_id|job_id|variant_id|other_id)\}", path) or rule in (None, "coordinator", "admin"):
            continue
        r = closed.call(method, fill(path, a, ids), "officer")
        assert r.status_code == 404, (method, path, r.status_code)


def test_operations_list_and_audit_show_only_own_operations(closed: Api) -> None:
    a, b, _ = two_missions(closed)
    listed = closed.get("/api/v1/operations", "officer").json()
    assert [op["id"] for op in listed["items"]] == [a] and listed["total"] == 1
    assert {op["id"] for op in closed.get("/api/v1/operations", "admin").json()["items"]} == {a, b}
    coordinator = user_id(closed, "coordinator1")
    assert closed.delete(f"/api/v1/operations/{a}/members/{coordinator}").status_code == 204
    assert closed.get(f"/api/v1/operations/{a}", "coordinator").status_code == 404
    entries = closed.get("/api/v1/audit?limit=200", "coordinator").json()["items"]
    assert entries and {e["operation_id"] for e in entries} == {b}
    assert closed.get(f"/api/v1/audit?operation_id={a}", "coordinator").json()["total"] == 0
    assert closed.get(f"/api/v1/audit?operation_id={a}", "admin").json()["total"] > 0


def test_admins_manage_members_and_every_change_is_audited(closed: Api) -> None:
    a, _, _ = two_missions(closed)
    viewer = user_id(closed, "viewer1")
    members = closed.get(f"/api/v1/operations/{a}/members").json()
    assert {(m["username"], m["role"]) for m in members} == {("coordinator1", "coordinator"),
                                                             ("officer1", "officer"), ("viewer1", "viewer")}
    # the role in the operation, not the global one, decides: viewer1 becomes A's coordinator
    assert closed.patch(f"/api/v1/operations/{a}", "viewer", json={"notes": "x"}).status_code == 403
    r = closed.put(f"/api/v1/operations/{a}/members/{viewer}", json={"role": "coordinator"})
    assert r.status_code == 200 and r.json()["role"] == "coordinator"
    version = closed.get(f"/api/v1/operations/{a}").json()["version"]
    assert closed.patch(f"/api/v1/operations/{a}", "viewer", json={"notes": "x"}, if_match=version).status_code == 200
    assert closed.put(f"/api/v1/operations/{a}/members/{viewer}", json={"role": "admin"}).status_code == 422
    assert closed.put(f"/api/v1/operations/{a}/members/999999", json={"role": "viewer"}).status_code == 404
    assert closed.delete(f"/api/v1/operations/{a}/members/{viewer}").status_code == 204
    assert closed.delete(f"/api/v1/operations/{a}/members/{viewer}").status_code == 404
    assert closed.get(f"/api/v1/operations/{a}", "viewer").status_code == 404
    assert closed.get(f"/api/v1/operations/{a}/members", "coordinator").status_code == 403
    log = closed.get(f"/api/v1/audit?operation_id={a}&limit=200").json()["items"]
    changes = [(e["action"], e["resource_id"], e["details"].get("role")) for e in log if e["resource"] == "membership"]
    assert changes == [("delete", str(viewer), None), ("update", str(viewer), "coordinator"),
                       ("create", str(viewer), "viewer"), ("create", str(user_id(closed, "officer1")), "officer")]


def test_the_creator_becomes_a_member_and_deleting_an_operation_drops_its_team(closed: Api) -> None:
    r = closed.post("/api/v1/operations", "coordinator", json={"name": "Mission C", "as_of": "2026-01-05T08:00:00Z"})
    assert r.status_code == 201, r.text
    c = r.json()["id"]
    assert [m["username"] for m in closed.get(f"/api/v1/operations/{c}/members").json()] == ["coordinator1"]
    assert closed.get(f"/api/v1/operations/{c}", "coordinator").status_code == 200
    assert closed.get(f"/api/v1/operations/{c}", "officer").status_code == 404
    assert closed.delete(f"/api/v1/operations/{c}", "coordinator", if_match=1).status_code == 204


def test_open_membership_keeps_one_office_simple(api: Api) -> None:
    """The default: every user is a member of every operation with their global role."""
    op = api.import_teaching()
    assert api.get(f"/api/v1/operations/{op}", "officer").status_code == 200
    assert [o["id"] for o in api.get("/api/v1/operations", "viewer").json()["items"]] == [op]
    assert api.get(f"/api/v1/operations/{op}/people", "viewer").status_code == 200


def test_ids_spelled_differently_do_not_slip_past_the_check(closed: Api) -> None:
    """`+B`, `B.0` and `00B` are B for the route's validation, so they are B for the membership check too."""
    a, b = closed.import_teaching(), closed.import_teaching()
    closed.put(f"/api/v1/operations/{a}/members/{user_id(closed, 'officer1')}", json={"role": "officer"})
    for spelling in (f"+{b}", f"{b}.0", f"00{b}", f"%20{b}"):
        r = closed.get(f"/api/v1/operations/{spelling}/people", "officer")
        assert r.status_code == 404 and r.json()["detail"] == f"operation {b} does not exist", (spelling, r.text)
        assert closed.get(f"/api/v1/operations/{spelling}/people", "admin").status_code == 200, spelling
    assert closed.get(f"/api/v1/operations/+{a}/people", "officer").status_code == 200
    assert closed.get("/api/v1/operations/x/people", "officer").status_code == 422
