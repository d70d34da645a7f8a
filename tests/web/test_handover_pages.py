"""The reception handover and the document requests in a real browser (docs/reception.md,
docs/documents-pipeline.md): from the flight page to each partner's printable list, its downloads, roles,
accessibility. Fixtures in conftest.py (the demo operation, plan 1 solved and published)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"


def test_officer_opens_each_partners_arrival_list(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                  screenshot: Any) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    assert page.get_by_role("heading", name="Reception handover").is_visible()
    page.get_by_role("link", name="Airport reception: everyone arriving", exact=False).click()
    page.wait_for_url(f"**/flights/{FLIGHT}/arrival-list?partner=reception")
    assert page.get_by_role("heading", name=f"Arrival list, flight {FLIGHT}: Airport reception").is_visible()
    headings = page.locator(".doc-table thead th").all_inner_texts()
    assert "Governorate of return" in headings and "Onward transport" in headings
    assert not any("document" in h.lower() or "nationality" in h.lower() for h in headings)
    rows = page.locator(".doc-table tbody tr").count()
    assert rows > 0
    assert axe_check(page) == []
    screenshot(page, "arrival-list")
    for name, kind in (("Download PDF", "application/pdf"), ("Download XLSX", "spreadsheetml"),
                       ("Download CSV", "text/csv")):
        href = page.get_by_role("link", name=name).get_attribute("href")
        assert "partner=reception" in href
        got = page.request.get(href, timeout=90_000)  # the first PDF loads WeasyPrint and its fonts
        assert got.status == 200 and kind in got.headers["content-type"]
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}/arrival-list?partner=child_protection")
    headings = page.locator(".doc-table thead th").all_inner_texts()
    assert "Receiving guardian or agency" in headings and "Onward transport" not in headings
    audit = server.api("GET", "/api/v1/audit?action=export&limit=20", "coordinator")["items"]
    partners = {e["details"].get("partner") for e in audit if e["resource"] == "arrival_list"}
    assert {"reception", "child_protection"} <= partners


def test_document_requests_page_and_viewer_refused(page: Any, server: Any, sign_in: Any, problems: Any) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1")
    page.get_by_role("link", name="Travel documents needed (print)").click()
    page.wait_for_url("**/plans/1/document-requests")
    assert page.get_by_role("heading", name="Travel documents needed, per issuing authority").is_visible()
    page.context.clear_cookies()
    sign_in(page, "viewer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    assert page.get_by_role("heading", name="Reception handover").count() == 0
    problems.allow(403)
    response = page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}/arrival-list?partner=reception")
    assert response is not None and response.status == 403
