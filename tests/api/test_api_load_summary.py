"""A plan flight's load summary in the service: JSON for viewers, CSV and printable files for officers (audited),
and the section on the web flight page (docs/load.md)."""

from __future__ import annotations

import csv
import io

from service_testkit import Api, wait_job
from web_sign_in import browser

FLIGHT = "MSQ-EBL-1"


def _solve(api: Api, op: int) -> int:
    r = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 3})
    assert r.status_code == 202, r.text
    job = wait_job(api, op, r.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    return int(job["plan_id"])


def test_load_summary_api_and_web(api: Api) -> None:
    op = api.import_teaching()
    plan = _solve(api, op)
    base = f"/api/v1/operations/{op}/plans/{plan}/flights/{FLIGHT}/load-summary"
    summary = api.get(base, "viewer").json()
    people = sum(n for c, n in summary["passengers"].items() if c != "escort")
    on_board = api.get(f"/api/v1/operations/{op}/people", "viewer",
                       params={"flight": FLIGHT, "plan_id": plan, "limit": 200}).json()["items"]
    assert people == len(on_board) > 0
    # the teaching people leave their bag columns blank: one 20 kg bag each (escorts too), EASA masses
    assert summary["checked_kg"] == 20 * sum(summary["passengers"].values())
    assert summary["traffic_load_kg"] == summary["passenger_kg"] + summary["checked_kg"] + summary["mobility_aids_kg"]
    assert summary["payload_limit_kg"] is None and summary["margin_kg"] is None
    assert api.get(base.replace(FLIGHT, "NOPE"), "viewer").status_code == 404

    assert api.get(f"{base}/file", "viewer").status_code == 403
    r = api.get(f"{base}/file", "officer", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {(x["section"], x["item"]): x["kg"] for x in csv.DictReader(io.StringIO(r.text))}
    assert float(rows[("total", "traffic load")]) == summary["traffic_load_kg"]
    assert "Load summary" in api.get(f"{base}/file", "officer", params={"format": "html"}).text
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 20}).json()["items"]
    assert any(e["resource"] == "load_summary" and e["actor"] == "officer1" for e in audit)

    number = api.get(f"/api/v1/operations/{op}/plans/{plan}", "viewer").json()["number"]
    page_url = f"/operations/{op}/plans/{number}/flights/{FLIGHT}"
    viewer = browser(api, "viewer1")
    html = viewer.get(page_url).text
    assert 'id="load-heading"' in html and "Traffic load" in html and "Printable load summary" not in html
    assert viewer.get(f"{page_url}/load-summary").status_code == 403
    officer = browser(api, "officer1")
    assert "Printable load summary" in officer.get(page_url).text
    r = officer.get(f"{page_url}/load-summary", params={"format": "csv"})
    assert r.status_code == 200 and "traffic load" in r.text
