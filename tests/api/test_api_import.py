"""Manifest import: all errors at once, all or nothing, upsert by case_id, dry run, hostile files."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook
from service_testkit import TEACHING, Api

HEADER = (TEACHING / "people.csv").read_text("utf-8").splitlines()[0]
LINES = (TEACHING / "people.csv").read_text("utf-8").splitlines()[1:]


def upload(api: Api, op: int, content: bytes, name: str = "people.csv", dry_run: bool = False,
           role: str = "officer"):
    return api.post(f"/api/v1/operations/{op}/people/import", role, params={"dry_run": dry_run},
                    files={"file": (name, content, "application/octet-stream")})


@pytest.fixture
def op(api: Api) -> int:
    r = api.post("/api/v1/operations", "coordinator", json={"name": "Import test", "timezone": "Europe/Minsk",
                                                            "as_of": "2021-11-28T18:00:00+03:00"})
    return int(r.json()["id"])


def csv_of(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")


def test_every_error_reported_with_row_and_column_and_nothing_saved(api: Api, op: int) -> None:
    lines = list(LINES)
    lines[0] = lines[0].replace(",M,1985-03-02,", ",Q,1985-03-02,")  # row 2: bad sex
    lines[2] = lines[2].replace("2012-01-20", "2012-13-45")  # row 4: bad date
    lines[5] = lines[5].replace(",EBL,", ",ZZZ,")  # row 7: unknown airport
    lines[7] = lines[7].replace("C0008", "C0002")  # row 9: duplicate case_id
    r = upload(api, op, csv_of(lines))
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert {(2, "sex"), (4, "date_of_birth"), (7, "destination"), (9, "case_id")} <= found
    assert all(e["message"] for e in body["errors"])
    assert api.get(f"/api/v1/operations/{op}/people").json()["total"] == 0


def test_upsert_by_case_id_with_dry_run_counts(api: Api, op: int) -> None:
    assert upload(api, op, csv_of(LINES)).json()["created"] == 24
    changed = list(LINES)
    changed[1] = changed[1].replace("Shilan", "Shilana")
    extra = LINES[0].replace("C0001", "C0100")
    preview = upload(api, op, csv_of([*changed, extra]), dry_run=True).json()
    assert (preview["created"], preview["updated"], preview["unchanged"]) == (1, 1, 23)
    assert api.get(f"/api/v1/operations/{op}/people/C0002").json()["given_name"] == "Shilan"
    before = api.get(f"/api/v1/operations/{op}/people/C0002").json()["version"]
    report = upload(api, op, csv_of([*changed, extra])).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 23)
    person = api.get(f"/api/v1/operations/{op}/people/C0002").json()
    assert person["given_name"] == "Shilana" and person["version"] == before + 1
    assert api.get(f"/api/v1/operations/{op}/people").json()["total"] == 25
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "import"}).json()["items"][0]
    assert audit["details"]["created"] == 1 and audit["details"]["updated"] == 1
    assert "Shilana" not in str(audit)


def test_xlsx_import(api: Api, op: int) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for line in LINES:
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    r = upload(api, op, out.getvalue(), "people.xlsx")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 24


def test_household_with_two_destinations_is_refused_against_stored_members(api: Api, op: int) -> None:
    upload(api, op, csv_of(LINES[:3]))
    newcomer = LINES[3].replace(",EBL,", ",BGW,")  # same household H01, other destination
    r = upload(api, op, csv_of([newcomer]))
    assert r.status_code == 422
    assert r.json()["errors"][0]["column"] == "destination" and r.json()["errors"][0]["row"] == 2


def test_oversize_upload_is_413(api: Api, op: int) -> None:
    api.client.app.state.settings.max_upload_bytes = 2048
    r = upload(api, op, csv_of(LINES))
    assert r.status_code == 413 and "limit" in r.json()["detail"]


def test_fifty_megabytes_refused_before_reading(api: Api, op: int) -> None:
    big = b"x" * (50 * 1024 * 1024)
    r = upload(api, op, big)
    assert r.status_code == 413


def test_wrong_encoding_is_a_clear_error(api: Api, op: int) -> None:
    r = upload(api, op, csv_of(LINES).decode().encode("utf-16"))
    assert r.status_code == 422 and "UTF-8" in r.json()["errors"][0]["message"]
    latin = csv_of([LINES[0].replace("Rebin", "Réb\u00efn")]).decode().encode("latin-1")
    assert upload(api, op, latin).status_code == 422


def test_formula_cells_are_refused(api: Api, op: int) -> None:
    line = LINES[0].replace("Rebin", '"=HYPERLINK(""http://evil"";""x"")"')
    r = upload(api, op, csv_of([line]))
    assert r.status_code == 422
    assert r.json()["errors"][0]["column"] == "given_name" and "formula" in r.json()["errors"][0]["message"]
    phone = LINES[0].replace("no,,no,,,,2021-11-10", "no,+964 750 123 4567,no,,,,2021-11-10")
    assert upload(api, op, csv_of([phone]), dry_run=True).status_code == 200


def test_xlsx_with_formula_is_refused(api: Api, op: int) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    row = LINES[0].split(",")
    row[2] = "=1+1"
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    r = upload(api, op, out.getvalue(), "people.xlsx")
    assert r.status_code == 422 and "formula" in r.json()["detail"] and "C2" in r.json()["detail"]


def test_xlsx_bomb_is_refused(api: Api, op: int) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    assert len(out.getvalue()) < 1024 * 1024
    r = upload(api, op, out.getvalue(), "people.xlsx")
    assert r.status_code == 413 and "expands" in r.json()["detail"]


def test_not_a_workbook_and_wrong_type(api: Api, op: int) -> None:
    r = upload(api, op, b"PK\x03\x04garbage", "people.xlsx")
    assert r.status_code == 422 and "XLSX" in r.json()["detail"]
    r = upload(api, op, b"%PDF-1.4", "people.pdf")
    assert r.status_code == 415


def test_viewer_cannot_import(api: Api, op: int) -> None:
    assert upload(api, op, csv_of(LINES), role="viewer").status_code == 403


def test_over_long_values_are_reported_per_row_and_column(api: Api, op: int) -> None:
    lines = list(LINES)
    lines[0] = lines[0].replace("Rebin", "R" * 300)  # row 2: given_name over VARCHAR(200)
    lines[3] = lines[3].replace("A0004123", "D" * 100)  # row 5: document_number over VARCHAR(64)
    lines[4] = lines[4].replace(",F,", ",Q,", 1)  # row 6: an ordinary error, reported with them
    r = upload(api, op, csv_of(lines))
    assert r.status_code == 422
    errors = {(e["row"], e["column"]): e["message"] for e in r.json()["errors"]}
    assert "at most 200" in errors[(2, "given_name")] and "300" in errors[(2, "given_name")]
    assert "at most 64" in errors[(5, "document_number")]
    assert (6, "sex") in errors
    assert api.get(f"/api/v1/operations/{op}/people").json()["total"] == 0
    lines[0] = LINES[0].replace("Rebin", "R" * 200)
    assert upload(api, op, csv_of([lines[0]])).status_code == 200  # exactly the column's length is fine


def test_erased_cases_are_reported_with_every_other_error(api: Api, op: int) -> None:
    assert upload(api, op, csv_of(LINES)).status_code == 200
    assert api.post(f"/api/v1/operations/{op}/people/C0009/erase", "coordinator").status_code == 200
    lines = list(LINES)
    lines[0] = lines[0].replace(",M,1985-03-02,", ",Q,1985-03-02,")  # row 2: bad sex
    r = upload(api, op, csv_of(lines))
    assert r.status_code == 422
    found = {(e["row"], e["column"]) for e in r.json()["errors"]}
    assert {(2, "sex"), (10, "case_id")} <= found
    assert any("erased" in e["message"] for e in r.json()["errors"] if e["row"] == 10)


def test_scenario_zip_with_over_long_values_is_refused(api: Api) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(TEACHING / "scenario.yaml", "scenario.yaml")
        z.writestr("people.csv", csv_of([LINES[0].replace("Rebin", "R" * 300)]))
    r = api.post("/api/v1/operations/import", "coordinator",
                 files={"file": ("teaching.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(2, "given_name")]
    assert api.get("/api/v1/operations", "viewer").json()["total"] == 0


def _typed_workbook(lines: list[str]) -> bytes:
    """The manifest as a spreadsheet user types it: dates as date cells, yes/no as text, IDs with leading zeros."""
    header = HEADER.split(",")
    dates = {"date_of_birth", "consent_date", "document_expiry", "registered_on"}
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for line in lines:
        values: list[object] = []
        for column, text in zip(header, line.split(","), strict=True):
            values.append(None if text == "" else date.fromisoformat(text) if column in dates else text)
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_date_cells_means_the_same_as_the_csv(api: Api, op: int) -> None:
    lines = [line.replace("A0001123", "0001123") for line in LINES]  # a leading-zero document number
    assert upload(api, op, csv_of(lines)).json()["created"] == 24
    report = upload(api, op, _typed_workbook(lines), "people.xlsx").json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 24)
    assert api.get(f"/api/v1/operations/{op}/people/C0001").json()["document_number"] == "0001123"


def test_xlsx_cell_that_cannot_be_decoded_is_reported_with_row_and_column(api: Api, op: int) -> None:
    data = _typed_workbook(LINES[:3])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # row 3's birth date: a date serial that is not a number
                start = body.index(b'<c r="G3"')
                end = body.index(b"</v>", start)
                body = body[:start] + body[start:end].rsplit(b">", 1)[0] + b">44x31" + body[end:]
            dst.writestr(info, body)
    r = upload(api, op, out.getvalue(), "people.xlsx")
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert (error["row"], error["column"]) == (3, "date_of_birth") and "cell G3" in error["message"]
    assert api.get(f"/api/v1/operations/{op}/people").json()["total"] == 0
