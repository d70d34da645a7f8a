"""The whole flow through the real app: operation, manifest import, flights, solve, publish, export."""

from __future__ import annotations

import csv
import io
import logging

from openpyxl import load_workbook
from service_testkit import TEACHING, Api, teaching_scenario, wait_job


def table(content: bytes) -> list[dict[str, str]]:
    """The table of a manifest or testing schedule CSV: from its heading row to the first empty line (title,
    status and flight lines come before it, totals and signatures after; docs/documents.md)."""
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    start = next(i for i, line in enumerate(lines) if line and line[0] in ("No.", "Testing site"))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return [dict(zip(lines[start], line, strict=True)) for line in lines[start + 1:end]]


def build_operation(api: Api) -> int:
    """Create the teaching operation piece by piece, as an officer would through the API."""
    sc = teaching_scenario()
    r = api.post("/api/v1/operations", "coordinator", json={
        "name": sc.name, "timezone": sc.timezone, "as_of": sc.as_of.isoformat(),
        "protocol": sc.protocol.model_dump(mode="json", by_alias=True)})
    assert r.status_code == 201, r.text
    op = r.json()["id"]
    base = f"/api/v1/operations/{op}"
    for ac in sc.aircraft:
        assert api.post(f"{base}/aircraft", "coordinator", json=ac.model_dump(mode="json", by_alias=True)
                        ).status_code == 201
    for site in sc.testing_sites:
        r = api.post(f"{base}/testing-sites", "officer", json=site.model_dump(mode="json", by_alias=True,
                                                                             exclude_none=True))
        assert r.status_code == 201, r.text
    for esc in sc.escorts:
        r = api.post(f"{base}/escorts", "officer", json=esc.model_dump(mode="json", by_alias=True,
                                                                       exclude_none=True))
        assert r.status_code == 201, r.text
    csv_bytes = (TEACHING / "people.csv").read_bytes()
    r = api.post(f"{base}/people/import", "officer", params={"dry_run": True},
                 files={"file": ("people.csv", csv_bytes, "text/csv")})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"], r.json()["unchanged"]) == (24, 0, 0)
    assert api.get(f"{base}/people").json()["total"] == 0  # a dry run saves nothing
    r = api.post(f"{base}/people/import", "officer", files={"file": ("people.csv", csv_bytes, "text/csv")})
    assert r.json()["created"] == 24
    for fl in sc.flights:
        r = api.post(f"{base}/flights", "officer", json=fl.model_dump(mode="json", by_alias=True,
                                                                      exclude_none=True))
        assert r.status_code == 201, r.text
    return op


def test_end_to_end(api: Api, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    op = build_operation(api)
    base = f"/api/v1/operations/{op}"
    # A name that a spreadsheet would run as a formula is refused (docs/input.md); one stored before that rule
    # must still come out inert.
    person = api.get(f"{base}/people/C0001").json()
    r = api.patch(f"{base}/people/C0001", "officer", if_match=person["version"],
                  json={"family_name": "=HYPERLINK(\"http://x\")"})
    assert r.status_code == 422 and "formula" in r.text, r.text
    from sqlalchemy import update
    from sqlmodel import Session

    from api import models as m
    from api.db import make_engine

    with Session(make_engine(api.settings.database_url)) as s:
        s.execute(update(m.Person).where(m.Person.case_id == "C0001").values(family_name="=HYPERLINK(\"http://x\")"))
        s.commit()

    r = api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2})
    assert r.status_code == 202, r.text
    job = wait_job(api, op, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["stage"] and job["plan_id"]
    plan_id = job["plan_id"]

    plans = api.get(f"{base}/plans", "viewer").json()
    assert plans["total"] == 1 and plans["items"][0]["state"] == "draft"
    plan = api.get(f"{base}/plans/{plan_id}", "viewer")
    r = api.post(f"{base}/plans/{plan_id}/publish", "coordinator", if_match=plan.json()["version"])
    assert r.status_code == 200, r.text
    assert r.json()["plan"]["state"] == "published"

    # Why is C0008 not on a flight? (no travel document)
    why = api.get(f"{base}/plans/{plan_id}/people/C0008", "viewer").json()
    assert not why["assigned"] and why["reasons"][0]["code"] == "gate.document"
    reasons = api.get(f"{base}/plans/{plan_id}/reasons", "viewer").json()
    assert reasons["by_code"]["gate.document"] == 1 and reasons["assigned"] + reasons["unassigned"] == 24

    r = api.get(f"{base}/plans/{plan_id}/flights/MSQ-EBL-1/manifest", "officer", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = table(r.content)
    by_case = {row["Case or escort number"]: row for row in rows if row["Case or escort number"].startswith("C")}
    assert by_case["C0002"]["Given names"] == "Shilan" and by_case["C0002"]["Date of birth"] == "1988-07-14"
    assert by_case["C0002"]["Travel document"] == "passport A0002123" and by_case["C0002"]["Destination"] == "EBL"
    assert by_case["C0002"]["Seat"][:-1].isdigit()
    assert by_case["C0001"]["Family name"].startswith("'=")  # neutralised
    infant = by_case["C0005"]
    assert infant["Travels as"] == "infant on a lap" and "(INF) of " in infant["Needs, infants and escorts"]
    carrier = by_case[infant["Needs, infants and escorts"].split(" of ")[1].split()[0]]
    assert "carries lap infant C0005 (INFT)" in carrier["Needs, infants and escorts"]
    assert "C0008" not in by_case  # no document, not on the manifest
    assert any(row["Travels as"].startswith("escort") for row in rows)

    r = api.get(f"{base}/plans/{plan_id}/flights/MSQ-EBL-1/manifest", "officer", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, v in enumerate(values) if v[0] == "No.")
    assert values[header][1:5] == ["Seat", "Household", "Case or escort number", "Family name"]
    assert any(v[3] == "C0001" and v[4].startswith("'=") for v in values[header + 1:])
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    r = api.get(f"{base}/plans/{plan_id}/flights/MSQ-EBL-1/manifest", "officer", params={"format": "html"})
    assert r.status_code == 200 and "Shilan" in r.text and "<script" not in r.text and "<svg" in r.text

    r = api.get(f"{base}/plans/{plan_id}/testing-schedule", "officer", params={"format": "csv"})
    sched = table(r.content)
    assert sched and {row["Testing site"] for row in sched} <= {"BRUZGI-LAB", "MINSK-LAB"}
    day = sched[0]["Day"]
    r = api.get(f"{base}/plans/{plan_id}/testing-schedule", "officer",
                params={"format": "xlsx", "site": sched[0]["Testing site"], "day": day})
    assert r.status_code == 200
    r = api.get(f"{base}/plans/{plan_id}/plan.json", "officer")
    assert r.json()["format"] == "charterplan.plan/2"

    # Exports of personal data are audited.
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 100}).json()
    assert {e["resource"] for e in audit["items"]} >= {"manifest", "testing_schedule", "plan_json"}

    # Editing a person after publishing marks the plan stale.
    person = api.get(f"{base}/people/C0002").json()
    api.patch(f"{base}/people/C0002", "officer", if_match=person["version"], json={"notes": "moved hotel"})
    assert api.get(f"{base}/plans/{plan_id}", "viewer").json()["stale"] is True

    # No names, birth dates or document numbers anywhere in the logs of this run.
    out, err = capfd.readouterr()
    logs = caplog.text + out + err
    for secret in ("Shilan", "Rebin", "1988-07-14", "A0002123", "HYPERLINK"):
        assert secret not in logs, secret


def test_scenario_zip_round_trip(api: Api) -> None:
    """The zip the service exports loads with the CLI's loader and imports back to the same caseload."""
    import tempfile
    import zipfile
    from pathlib import Path

    from planner.io.loading import load_scenario

    op = api.import_teaching()
    r = api.get(f"/api/v1/operations/{op}/scenario.zip", "officer")
    assert r.status_code == 200
    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp)
        loaded = load_scenario(Path(tmp))
    original = teaching_scenario()
    def by_id(items):  # the store lists things by id, the file in its own order
        return sorted(items, key=lambda x: getattr(x, "id", None) or getattr(x, "case_id", None) or x.type)

    assert by_id(loaded.people) == by_id(original.people) and by_id(loaded.flights) == by_id(original.flights)
    assert by_id(loaded.testing_sites) == by_id(original.testing_sites) and loaded.protocol == original.protocol
    assert by_id(loaded.escorts) == by_id(original.escorts) and loaded.aircraft == original.aircraft
    r = api.post("/api/v1/operations/import", "coordinator", files={"file": ("s.zip", r.content, "application/zip")})
    assert r.status_code == 201
    assert api.get(f"/api/v1/operations/{r.json()['id']}/people").json()["total"] == 24


def test_scenario_zip_of_an_operation_named_in_arabic(api: Api) -> None:
    """A non-Latin-1 operation name reaches the file name through RFC 5987 encoding, never a 500."""
    op = api.import_teaching()
    version = api.get(f"/api/v1/operations/{op}", "viewer").json()["version"]
    r = api.patch(f"/api/v1/operations/{op}", "coordinator", json={"name": "عودة أربيل", "version": version})
    assert r.status_code == 200, r.text
    r = api.get(f"/api/v1/operations/{op}/scenario.zip", "officer")
    assert r.status_code == 200
    header = r.headers["content-disposition"]
    assert header.startswith("attachment; filename=") and "filename*=UTF-8''" in header
    assert "%D8%B9" in header and "\n" not in header
