"""The people list reads the table's columns rather than ORM objects (`api.routers.people.list_people`): each
item must be the very record a person's own read gives, the fields kept in `extra` and erased tombstones
included, and the read is audited as before."""

from __future__ import annotations

from service_testkit import Api
from test_api_airline import FLIGHT, _patch, _solve


def test_list_items_are_the_records_of_a_persons_own_read(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/people"
    first = api.get(base, "viewer", params={"limit": 3}).json()["items"]
    assert _patch(api, op, first[0]["case_id"], document_issuing_state="SYR", vulnerabilities=["medical"],
                  notes="kept").status_code == 200
    erased = first[1]["case_id"]
    person = api.get(f"{base}/{erased}").json()
    assert api.post(f"{base}/{erased}/erase", "coordinator", if_match=person["version"]).status_code == 200

    page = api.get(base, "viewer", params={"limit": 3, "include_erased": True}).json()
    assert [p["case_id"] for p in page["items"]][:2] == [first[0]["case_id"], erased]
    for item in page["items"]:
        assert item == api.get(f"{base}/{item['case_id']}", "viewer").json()
    assert page["items"][0]["document_issuing_state"] == "SYR" and page["items"][0]["vulnerabilities"] == ["medical"]
    assert page["items"][1]["erased"] is True

    plan = _solve(api, op)
    on = api.get(base, "viewer", params={"flight": FLIGHT, "plan_id": plan, "limit": 5}).json()
    assert on["total"] > 0 and len(on["items"]) == min(5, on["total"])
    for item in on["items"]:
        assert item == api.get(f"{base}/{item['case_id']}", "viewer").json()
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "read", "limit": 50}).json()["items"]
    listed = [e for e in audit if e["resource"] == "people" and e["details"].get("filters", {}).get("flight")]
    assert listed and listed[0]["details"]["count"] == len(on["items"]) and listed[0]["actor"] == "viewer1"
