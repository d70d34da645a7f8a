"""Document requests for the issuing authorities and arrival lists for the reception partners, through the
service (docs/documents-pipeline.md, docs/reception.md): officers only, audited, each partner's columns only."""

from __future__ import annotations

from service_testkit import SQLITE_ONLY, Api, wait_job
from test_api_exports import lines

# SQLite only (tests/api/conftest.py): documents for the authorities and partners rendered from a stored plan
pytestmark = SQLITE_ONLY

AUTHORITY = {"id": "IRQ-MSQ", "name": "Embassy of Iraq in Minsk", "typical_working_days": 1,
             "slow_working_days": 1, "handover_days": 0}


def _planned(api: Api) -> tuple[str, int]:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    proto = api.get(f"{base}/protocol").json()
    data = {**proto["protocol"], "document_authorities": [AUTHORITY]}
    r = api.put(f"{base}/protocol", "coordinator", json={"protocol": data, "version": proto["version"]})
    assert r.status_code == 200, r.text
    for case, change in (("C0008", {"document_type": "etd", "document_status": "requested",
                                    "document_authority": "IRQ-MSQ", "document_requested_on": "2021-11-26"}),
                         ("C0001", {"return_governorate": "Duhok", "return_district": "Zakho",
                                    "referral": "reintegration", "referral_partner": "Reintegration partner"})):
        person = api.get(f"{base}/people/{case}").json()
        r = api.patch(f"{base}/people/{case}", "officer", if_match=person["version"], json=change)
        assert r.status_code == 200, r.text
    job = api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2}).json()
    return base, wait_job(api, op, job["id"])["plan_id"]


def test_document_requests_per_authority(api: Api) -> None:
    base, plan_id = _planned(api)
    url = f"{base}/plans/{plan_id}/document-requests"
    assert api.get(url, "viewer").status_code == 403
    rows = lines(api.get(url, "officer", params={"format": "csv"}).content)
    header = next(i for i, r in enumerate(rows) if r[:2] == ["Case", "Household"])
    assert rows[header][-3:] == ["Must be issued by", "Requested on", "Expected in hand"]
    assert rows[header + 1][0] == "C0008" and rows[header + 1][-2:] == ["2021-11-26", "2021-11-29"]
    assert api.get(url, "officer", params={"authority": "NOWHERE"}).status_code == 404
    entries = [e for e in api.get("/api/v1/audit", "admin", params={"action": "export"}).json()["items"]
               if e["resource"] == "document_requests"]
    assert [e["details"]["rows"] for e in entries] == [1]


def test_arrival_lists_only_carry_each_partners_columns(api: Api) -> None:
    base, plan_id = _planned(api)
    plan = api.get(f"{base}/plans/{plan_id}/plan.json", "officer").json()
    flight = next(f["flight_id"] for f in plan["flights"] if any(p["person_id"] == "C0001" for p in f["passengers"]))
    url = f"{base}/plans/{plan_id}/flights/{flight}/arrival-list"
    assert api.get(url, "viewer", params={"partner": "reception"}).status_code == 403
    reception = lines(api.get(url, "officer", params={"partner": "reception", "format": "csv"}).content)
    text = "\n".join(",".join(r) for r in reception)
    assert "Governorate of return" in text and "Zakho" in text
    assert "A0001123" not in text and "border_exposure" not in text  # no document number, no vulnerability
    referrals = lines(api.get(url, "officer", params={"partner": "referrals", "format": "csv"}).content)
    header = next(i for i, r in enumerate(referrals) if r[:1] == ["Case"])
    assert referrals[header + 1][0] == "C0001" and "Reintegration partner" in referrals[header + 1]
    assert api.get(url, "officer", params={"partner": "referrals", "format": "pdf"}).content[:4] == b"%PDF"
    assert api.get(url, "officer", params={"partner": "nobody"}).status_code == 422
    entries = [e for e in api.get("/api/v1/audit", "admin", params={"action": "export"}).json()["items"]
               if e["resource"] == "arrival_list"]
    assert {e["details"]["partner"] for e in entries} == {"reception", "referrals"} and len(entries) == 3
