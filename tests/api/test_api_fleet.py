"""Fleet sizing through the service: candidates from a variant's `optional` flights, the answer, errors, audit."""

from __future__ import annotations

from typing import Any

from service_testkit import SQLITE_ONLY, Api

# SQLite only (tests/api/conftest.py): the solver's fleet sizing behind a route
pytestmark = SQLITE_ONLY

SPARE_CHARTERS: dict[str, Any] = {
    "format": "charterplan.variant/1",
    "name": "spare charters",
    "flights": {
        "update": [{"id": "MSQ-BGW-1", "optional": {"cost": 90_000}}],
        "add": [{"like": "MSQ-EBL-1", "id": "MSQ-EBL-2", "shift_hours": 24, "optional": {"cost": 40_000}},
                {"like": "MSQ-EBL-1", "id": "MSQ-EBL-3", "shift_hours": 48, "optional": {"cost": 60_000}}],
    },
}


def url(op: int, tail: str) -> str:
    return f"/api/v1/operations/{op}/{tail}"


def test_fleet_sizing_answers_with_its_proof(api: Api) -> None:
    op = api.import_teaching()
    variant = api.post(url(op, "variants"), "coordinator", json={"document": SPARE_CHARTERS}).json()
    r = api.post(url(op, "fleet-sizing"), "coordinator",
                 json={"variant_id": variant["id"], "minimise": "cost", "time_limit": 5})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["variant_name"] == "spare charters" and answer["minimise"] == "cost"
    assert set(answer["chosen"]) | set(answer["dropped"]) == {"MSQ-BGW-1", "MSQ-EBL-2", "MSQ-EBL-3"}
    assert answer["booked"] == ["MSQ-EBL-1"]
    assert answer["moved_people"] <= answer["eligible_people"]
    assert answer["bound"] <= answer["value"] and 0 <= answer["gap"] <= 1
    assert answer["time_limit"] == 5 and "Fleet sizing" in answer["text"]
    count = api.post(url(op, "fleet-sizing"), "coordinator",
                     json={"variant_id": variant["id"], "by": "2021-12-02", "time_limit": 500}).json()
    assert count["time_limit"] == 30  # capped by max_time_limit
    assert "MSQ-EBL-3" not in count["chosen"] + count["dropped"]  # departs after the date
    assert count["value"] == len(count["chosen"])
    audit = api.get(f"/api/v1/audit?action=fleet-sizing&operation_id={op}", "coordinator")
    assert audit.status_code == 200 and audit.json()["total"] == 2


def test_fleet_sizing_refuses_what_it_cannot_answer(api: Api) -> None:
    op = api.import_teaching()
    r = api.post(url(op, "fleet-sizing"), "coordinator", json={})
    assert r.status_code == 422 and r.json()["type"].endswith("no-candidates")
    variant = api.post(url(op, "variants"), "coordinator", json={"document": SPARE_CHARTERS}).json()
    early = api.post(url(op, "fleet-sizing"), "coordinator", json={"variant_id": variant["id"], "by": "2021-11-01"})
    assert early.status_code == 422
    assert api.post(url(op, "fleet-sizing"), "coordinator", json={"variant_id": 999_999}).status_code == 404
    assert api.post(url(op, "fleet-sizing"), "coordinator", json={"minimise": "seats"}).status_code == 422
    assert api.post(url(op, "fleet-sizing"), "officer", json={}).status_code == 403
    assert api.post(url(999_999, "fleet-sizing"), "coordinator", json={}).status_code == 404
