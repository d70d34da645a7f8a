"""Manifests and testing schedules as documents for people (docs/documents.md): headings in words, escorts
with their role, lap infants with their carrier, totals against the plan, the out-of-date mark, formula
neutralisation, download names, and the PDF's text (names in Arabic script too)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from service_testkit import SQLITE_ONLY, Api, wait_job
from test_api_e2e import table

from api.content_disposition import content_disposition

# SQLite only (tests/api/conftest.py): documents rendered from a stored plan
pytestmark = SQLITE_ONLY

ARABIC = "شیلان ئەحمەد"
FLIGHT = "MSQ-EBL-1"
NEEDS = "Needs, infants and escorts"


def solved(api: Api) -> tuple[int, int, dict[str, Any]]:
    """The teaching operation with a name in Arabic script and a formula-looking name stored before the input
    rule (as the end-to-end test does), solved: operation id, plan id, plan document."""
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    person = api.get(f"{base}/people/C0002").json()
    assert api.patch(f"{base}/people/C0002", "officer", if_match=person["version"],
                     json={"name_native": ARABIC}).status_code == 200
    from sqlalchemy import update
    from sqlmodel import Session

    from api import models as m
    from api.db import make_engine

    with Session(make_engine(api.settings.database_url)) as s:
        s.execute(update(m.Person).where(m.Person.case_id == "C0006").values(given_name="=HYPERLINK(\"x\")"))
        s.commit()
    job = api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]
    body = api.get(f"{base}/plans/{plan_id}/plan.json", "officer").json()
    return op, plan_id, body


def lines(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def totals(rows: list[list[Any]]) -> dict[str, int]:
    """The totals block: label and whole number, after the table."""
    return {str(r[0]): int(r[1]) for r in rows if len(r) >= 2 and str(r[1]).isdigit() and r[0] != "No."
            and not str(r[0]).isdigit()}


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def test_manifest_in_words_with_escorts_infants_and_totals(api: Api) -> None:
    op, plan_id, body = solved(api)
    url = f"/api/v1/operations/{op}/plans/{plan_id}/flights/{FLIGHT}/manifest"
    plan = api.get(f"/api/v1/operations/{op}/plans/{plan_id}").json()
    flight = next(f for f in body["flights"] if f["flight_id"] == FLIGHT)
    assert flight["escorts"], "the teaching flight has an escort"

    r = api.get(url, "officer", params={"format": "csv"})
    assert r.headers["content-disposition"] == content_disposition(f"manifest-{FLIGHT}-plan{plan['number']}", "csv")
    text = lines(r.content)
    assert text[0] == [f"Passenger manifest, flight {FLIGHT}"] and text[1][0].startswith("DRAFT")
    rows = table(r.content)
    assert list(rows[0])[:6] == ["No.", "Seat", "Household", "Case or escort number", "Family name", "Given names"]
    by_id = {row["Case or escort number"]: row for row in rows}
    # every passenger and escort of the plan's flight, nobody else
    assert set(by_id) == {p["person_id"] for p in flight["passengers"]} | {e["escort_id"] for e in flight["escorts"]}
    for escort in flight["escorts"]:
        row = by_id[escort["escort_id"]]
        assert row["Travels as"].startswith("escort: ") and row["Seat"] == (escort["seat"] or "")
        assert row[NEEDS].startswith("serves")
        for served in escort["serves"]:
            assert served in row[NEEDS]
    laps = [p for p in flight["passengers"] if p.get("lap_of")]
    for infant in laps:
        row = by_id[infant["person_id"]]
        assert row["Travels as"] == "infant on a lap" and row["Seat"] == "on a lap"
        assert f"(INF) of {infant['lap_of']}" in row[NEEDS]
        assert f"carries lap infant {infant['person_id']} (INFT)" in by_id[infant["lap_of"]][NEEDS]
    assert by_id["C0002"]["Name in own script"] == ARABIC and by_id["C0002"]["Household"] == "H01"
    assert by_id["C0006"]["Given names"].startswith("'=")  # neutralised
    counted = totals(text)
    passengers = len(flight["passengers"])
    assert counted["Passengers (returnees, lap infants included)"] == passengers
    assert counted["Escorts"] == len(flight["escorts"])
    assert counted["People on board (passengers and escorts)"] == passengers + len(flight["escorts"])
    assert counted["Adults (12 years and over)"] + counted["Children (2 to 11 years)"] \
        + counted["Infants (under 2 years)"] == passengers
    assert counted["of them on a lap"] == len(laps)
    assert counted["Seats taken"] == sum(1 for p in flight["passengers"] if p.get("seat")) \
        + sum(1 for e in flight["escorts"] if e.get("seat"))
    assert sum(1 for t in text if t and t[0] in ("Prepared by (return officer)", "Checked by",
                                                 "Airline representative")) == 3

    r = api.get(url, "officer", params={"format": "xlsx"})
    assert r.headers["content-disposition"] == content_disposition(f"manifest-{FLIGHT}-plan{plan['number']}",
                                                                   "xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    header = next(i for i, v in enumerate(values) if v[0] == "No.")
    assert values[header][3:6] == ["Case or escort number", "Family name", "Given names"]
    xlsx_rows = [v for v in values[header + 1:] if v[0] is not None and str(v[0]).isdigit() and v[3]]
    assert len(xlsx_rows) == len(rows)
    assert any(v[3] == "C0006" and str(v[5]).startswith("'=") for v in xlsx_rows)
    assert totals(values)["Escorts"] == len(flight["escorts"])

    r = api.get(url, "officer", params={"format": "html"})
    assert r.headers["content-disposition"].startswith("inline;")
    assert "<script" not in r.text and "/static/css/print.css" in r.text
    assert "<th scope=\"col\" class=\"col-household \">Household</th>" in r.text
    assert f'<bdi dir="auto">{ARABIC}</bdi>' in r.text
    assert "<thead>" in r.text and "Airline representative" in r.text

    audit = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 50}).json()["items"]
    formats = {e["details"].get("format") for e in audit if e["resource"] == "manifest"}
    assert formats >= {"csv", "xlsx", "html"}


def test_testing_schedule_lists_every_booking_escorts_too(api: Api) -> None:
    op, plan_id, body = solved(api)
    url = f"/api/v1/operations/{op}/plans/{plan_id}/testing-schedule"
    escort_tests = [t for t in body["tests"] if t.get("escort_id")]
    assert escort_tests, "the teaching plan books tests for escorts"

    r = api.get(url, "officer", params={"format": "csv"})
    rows = table(r.content)
    assert len(rows) == len(body["tests"])  # one line per booking of the plan document
    escorts = [row for row in rows if row["Tested as"].startswith("escort")]
    assert sorted(row["Case or escort number"] for row in escorts) == sorted(t["escort_id"] for t in escort_tests)
    assert all(row["Time"].count(":") == 2 and row["Day"][:2] == "20" for row in rows)
    assert {row["Testing site"] for row in rows} == {t["site_id"] for t in body["tests"]}
    counted = totals(lines(r.content))
    assert counted  # per site and day
    sites_days = {(row["Testing site"], row["Day"]) for row in rows}
    assert sum(1 for line in lines(r.content) if line and line[0] == "Samples") == len(sites_days)

    site, day = rows[0]["Testing site"], rows[0]["Day"]
    r = api.get(url, "officer", params={"format": "xlsx", "site": site, "day": day})
    assert r.headers["content-disposition"] == content_disposition(
        f"testing-schedule-plan1-{site}-{day}", "xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, v in enumerate(values) if v[0] == "Testing site")
    picked = [v for v in values[header + 1:] if v[0] == site and v[1] == day]
    assert len(picked) == sum(1 for row in rows if row["Testing site"] == site and row["Day"] == day)

    r = api.get(url, "officer", params={"format": "html"})
    assert r.text.count('class="doc-section"') == len(sites_days)  # a printed part per site and day


def test_pdf_names_and_out_of_date_in_every_format(api: Api) -> None:
    op, plan_id, body = solved(api)
    base = f"/api/v1/operations/{op}"
    manifest = f"{base}/plans/{plan_id}/flights/{FLIGHT}/manifest"
    r = api.get(manifest, "officer", params={"format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == content_disposition(f"manifest-{FLIGHT}-plan1", "pdf")
    text = pdf_text(r.content)
    flight = next(f for f in body["flights"] if f["flight_id"] == FLIGHT)
    for case in [p["person_id"] for p in flight["passengers"]] + [e["escort_id"] for e in flight["escorts"]]:
        assert case in text, case
    assert "Shilan" in text and "Rebin" in text and "Passenger manifest" in text
    assert ARABIC.split()[0] in text  # shaped Arabic script comes back out as the same letters
    assert "DRAFT" in text and "OUT OF DATE" not in text

    plan = api.get(f"{base}/plans/{plan_id}").json()
    assert api.post(f"{base}/plans/{plan_id}/publish", "coordinator", if_match=plan["version"]).status_code == 200
    assert lines(api.get(manifest, "officer", params={"format": "csv"}).content)[1][0].startswith(
        "Plan 1, published")
    person = api.get(f"{base}/people/C0007").json()
    assert api.patch(f"{base}/people/C0007", "officer", if_match=person["version"],
                     json={"notes": "moved hotel"}).status_code == 200
    assert api.get(f"{base}/plans/{plan_id}").json()["stale"] is True

    schedule = f"{base}/plans/{plan_id}/testing-schedule"
    for url in (manifest, schedule):
        assert lines(api.get(url, "officer", params={"format": "csv"}).content)[1][0].startswith("OUT OF DATE")
        sheet = load_workbook(io.BytesIO(api.get(url, "officer", params={"format": "xlsx"}).content)).active
        assert str(sheet.cell(row=2, column=1).value).startswith("OUT OF DATE")
        page = api.get(url, "officer", params={"format": "html"}).text
        assert "status-out-of-date" in page and "OUT OF DATE" in page
        assert "OUT OF DATE" in pdf_text(api.get(url, "officer", params={"format": "pdf"}).content)
    text = pdf_text(api.get(schedule, "officer", params={"format": "pdf"}).content)
    assert all(t["escort_id"] in text for t in body["tests"] if t.get("escort_id"))
