"""Notices and reason letters in the service (docs/notices.md#service): a flight's notices and a household's as
PDF or HTML in each person's stored language, officer role, audited, 404 for what the plan does not have."""

from __future__ import annotations

import io
from typing import Any

from service_testkit import SQLITE_ONLY, Api, wait_job

# SQLite only (tests/api/conftest.py): notices and letters rendered from a stored plan
pytestmark = SQLITE_ONLY

FLIGHT = "MSQ-EBL-1"


def _solved(api: Api) -> tuple[str, int, dict[str, Any]]:
    """The teaching operation with household H01 reading Sorani and H02 Arabic, solved."""
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    people = api.get(f"{base}/people", params={"limit": 200}).json()["items"]
    for p in people:
        language = {"H01": "ckb", "H02": "ar"}.get(p["household_id"])
        if language:
            r = api.patch(f"{base}/people/{p['case_id']}", "officer", if_match=p["version"],
                          json={"language": language})
            assert r.status_code == 200, r.text
    job = api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]
    body = api.get(f"{base}/plans/{plan_id}/plan.json", "officer").json()
    return base, plan_id, body


def _text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_flight_and_household_notices(api: Api) -> None:
    from planner.notices.catalogues import translations

    base, plan_id, body = _solved(api)
    on_board = {p["person_id"] for f in body["flights"] if f["flight_id"] == FLIGHT for p in f["passengers"]}
    people = {p["case_id"]: p for p in api.get(f"{base}/people", params={"limit": 200}).json()["items"]}
    households = sorted({people[c]["household_id"] for c in on_board})
    assert "H01" in households, "the teaching plan flies household H01 on the first flight"

    r = api.get(f"{base}/plans/{plan_id}/flights/{FLIGHT}/notices", "officer")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline;")
    title = translations("ckb").gettext("Your return flight")
    assert title in _text(r.content).replace("\u200c", "")

    r = api.get(f"{base}/plans/{plan_id}/households/H01/notices", "officer", params={"format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="ckb" dir="rtl">' in r.text and title in r.text

    audit = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 50}).json()["items"]
    assert {(e["resource_id"], e["details"].get("format")) for e in audit if e["resource"] == "notices"} >= {
        (FLIGHT, "pdf"), ("H01", "html")}


def test_household_left_out_gets_reason_letters(api: Api) -> None:
    base, plan_id, body = _solved(api)
    left_out = {u["person_id"] for u in body["unassigned"]}
    people = {p["case_id"]: p for p in api.get(f"{base}/people", params={"limit": 200}).json()["items"]}
    household = sorted(people[c]["household_id"] for c in left_out)[0]
    r = api.get(f"{base}/plans/{plan_id}/households/{household}/notices", "officer", params={"format": "html"})
    assert r.status_code == 200
    assert 'class="page letter' in r.text and 'class="page notice' not in r.text


def test_roles_and_unknown_ids(api: Api) -> None:
    base, plan_id, _ = _solved(api)
    assert api.get(f"{base}/plans/{plan_id}/flights/{FLIGHT}/notices", "viewer").status_code == 403
    assert api.get(f"{base}/plans/{plan_id}/households/H01/notices", "viewer").status_code == 403
    r = api.get(f"{base}/plans/{plan_id}/households/NOPE/notices", "officer")
    assert r.status_code == 404 and "household 'NOPE'" in r.json()["detail"]
    assert api.get(f"{base}/plans/{plan_id}/flights/NOPE/notices", "officer").status_code == 404
    assert api.get(f"{base}/plans/{plan_id}/flights/{FLIGHT}/notices", "officer",
                   params={"format": "csv"}).status_code == 422


def test_an_unknown_language_is_refused_naming_the_field(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    person = api.get(f"{base}/people/C0001").json()
    r = api.patch(f"{base}/people/C0001", "officer", if_match=person["version"], json={"language": "xx"})
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["field"].endswith("language") and "'ckb', 'kmr'" in error["message"]
