"""The printable documents in a real browser: a flight's manifest and the testing schedule, on screen and as
printed (A4 print media), their downloads (PDF through the page's link), roles and accessibility.

Fixtures are in conftest.py (the demo operation `first-charter-2022`, plan 1 solved and published through the
API). Screenshots go to docs/screenshots/ (manifest*.png, schedule*.png, and a PDF page as manifest.pdf.png).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _plan_one(server: Any) -> tuple[int, dict[str, Any]]:
    plan = next(p for p in server.api("GET", f"/api/v1/operations/{OP}/plans?limit=100")["items"]
                if p["number"] == 1)
    return plan["id"], server.api("GET", f"/api/v1/operations/{OP}/plans/{plan['id']}/plan.json", "officer")


def _printed(page: Any) -> dict[str, Any]:
    """What print media makes of the page: table headings repeated on each page, site navigation hidden."""
    page.emulate_media(media="print")
    seen = page.evaluate("""() => ({
        thead: getComputedStyle(document.querySelector('.doc-table thead')).display,
        header: getComputedStyle(document.querySelector('.site-header')).display,
        tools: getComputedStyle(document.querySelector('.print-tools')).display,
        breaks: Array.from(document.querySelectorAll('.doc-section + .doc-section'))
                     .map(s => getComputedStyle(s).breakBefore)})""")
    return dict(seen)


def _first_page_picture(pdf: bytes, folder: Path, name: str, database: str = "sqlite") -> None:
    """The first page of a PDF as docs/screenshots/<name>.pdf.png, to look at (pdftoppm of poppler-utils);
    the SQLite run's only."""
    if not shutil.which("pdftoppm") or database != "sqlite":
        return
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(SCREENSHOTS / f"{name}.pdf")], check=True)


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_manifest_print_view_with_escorts_totals_and_downloads(page: Any, server: Any, sign_in: Any,
                                                                axe_check: Any, screenshot: Any,
                                                                tmp_path: Path) -> None:
    _, body = _plan_one(server)
    flight = next(f for f in body["flights"] if f["flight_id"] == FLIGHT)
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    page.get_by_role("link", name="Printable manifest").click()
    page.wait_for_url(f"**/plans/1/flights/{FLIGHT}/manifest")
    assert page.get_by_role("heading", name=f"Passenger manifest, flight {FLIGHT}").is_visible()
    headings = page.locator(".doc-table thead th").all_inner_texts()
    assert headings[:4] == ["No.", "Seat", "Household", "Case or escort number"] and "Travels as" in headings
    assert page.locator(".doc-table tbody tr").count() == len(flight["passengers"]) + len(flight["escorts"])
    escorts = page.locator(".doc-table tr.row-escort")
    assert escorts.count() == len(flight["escorts"]) > 0
    assert all(t.startswith("escort: ") for t in escorts.locator("td.col-travels_as").all_inner_texts())
    totals = dict(zip(page.locator(".doc-totals th").all_inner_texts(),
                      (int(x) for x in page.locator(".doc-totals td").all_inner_texts()), strict=True))
    assert totals["Passengers (returnees, lap infants included)"] == len(flight["passengers"])
    assert totals["Escorts"] == len(flight["escorts"])
    assert page.locator(".doc-signatures tbody th").all_inner_texts() == [
        "Prepared by (return officer)", "Checked by", "Airline representative"]
    native = page.locator(".doc-table td.script bdi")
    assert native.count() > 0 and native.first.get_attribute("dir") == "auto"
    assert page.get_by_role("button", name="Print").is_visible()  # shown by print.js
    assert axe_check(page) == []
    screenshot(page, "manifest")

    link = page.get_by_role("link", name="Download PDF")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="manifest-{FLIGHT}-plan1.pdf"')
    for name, kind in (("Download CSV", "text/csv"), ("Download XLSX", "spreadsheetml")):
        got = page.request.get(page.get_by_role("link", name=name).get_attribute("href"))
        assert got.status == 200 and kind in got.headers["content-type"]
    _first_page_picture(response.body(), tmp_path, "manifest", server.database)

    printed = _printed(page)
    assert printed["thead"] == "table-header-group" and printed["header"] == "none" and printed["tools"] == "none"
    screenshot(page, "manifest-print", full_page=True)
    audit = server.api("GET", "/api/v1/audit?action=export&limit=20", "coordinator")["items"]
    assert {e["details"].get("format") for e in audit if e["resource"] == "manifest"} >= {"print", "pdf", "csv"}


def test_testing_schedule_per_site_and_day_with_escorts(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                        screenshot: Any, tmp_path: Path) -> None:
    _, body = _plan_one(server)
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1")
    page.get_by_role("link", name="Testing schedule (print)").first.click()
    page.wait_for_url("**/plans/1/testing-schedule")
    assert page.locator(".doc-table tbody tr").count() == len(body["tests"])
    escort_tests = [t for t in body["tests"] if t.get("escort_id")]
    assert page.locator(".doc-table tr.row-escort").count() == len(escort_tests)
    parts = {(t["site_id"]) for t in body["tests"]}
    assert page.locator(".doc-section").count() >= len(parts)
    assert axe_check(page) == []
    screenshot(page, "schedule")

    site = sorted(parts)[0]
    page.get_by_label("Testing site").select_option(site)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/testing-schedule?site={site}*")
    assert set(page.locator(".doc-facts div:first-child dd").all_inner_texts()) == {site}
    link = page.get_by_role("link", name="Download PDF").get_attribute("href")
    assert link.endswith(f".pdf?site={site}")
    response = page.request.get(link)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    _first_page_picture(response.body(), tmp_path, "schedule")
    printed = _printed(page)
    assert printed["thead"] == "table-header-group"
    assert all(b == "page" for b in printed["breaks"])  # each site and day on new pages
    screenshot(page, "schedule-print", full_page=True)


def test_viewer_may_not_open_the_documents(page: Any, sign_in: Any, problems: Any) -> None:
    problems.allow(403)
    sign_in(page, "viewer")
    for path in (f"/operations/{OP}/plans/1/flights/{FLIGHT}/manifest", f"/operations/{OP}/plans/1/testing-schedule",
                 f"/operations/{OP}/plans/1/flights/{FLIGHT}/manifest.pdf"):
        response = page.goto(path)
        assert response.status == 403, path
