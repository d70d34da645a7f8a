"""The flight page's "Airline and border messages" in a real browser: an officer downloads the PNL and marks it
sent (read back by the independent reader of tests/airline), the sent list shows it and the ADL becomes
available; a viewer sees no actions. Screenshot: docs/screenshots/flight-airline-messages.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airline.teletype_reader import read

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"


def test_officer_downloads_the_pnl_and_marks_it_sent(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                     screenshot: Any, problems: Any, tmp_path: Path) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    section = page.locator("section.airline-messages")
    assert section.get_by_role("heading", name="Airline and border messages").is_visible()
    page.get_by_label("Airline code and flight number").fill("ZZ0101")
    with page.expect_download() as download:
        section.get_by_role("button", name="Download the PNL and mark it sent").click()
    path = tmp_path / "pnl.txt"
    download.value.save_as(path)
    # a form answered with an attachment: Chromium ends the navigation (ERR_ABORTED) and keeps the download
    problems.problems[:] = [p for p in problems.problems
                            if not (p.startswith("request failed: POST") and p.endswith("/messages net::ERR_ABORTED"))]
    assert download.value.suggested_filename == f"pnl-{FLIGHT}-plan1.txt"
    lines = path.read_text().splitlines(keepends=True)
    ends = [k for k, line in enumerate(lines) if line.startswith("END")]
    parts = ["".join(lines[a + 1:b + 1]) for a, b in zip([-1, *ends[:-1]], ends, strict=True)]
    pnl = read(parts, "PNL")
    assert pnl.flight.startswith("ZZ0101/") and pnl.sections[""]

    page.reload()
    sent = section.get_by_role("table", name="Messages sent for this flight")
    assert sent.locator("tbody tr").first.locator("td").first.inner_text() == "PNL"
    assert section.get_by_role("button", name="Download the ADL and mark it sent").is_visible()
    headings = section.locator("th[scope=col]").all_inner_texts()
    assert headings[:3] == ["Message", "From plan", "Sent at (UTC)"]
    warnings = section.get_by_role("table", name="Data missing for the border (PAXLST)")
    if warnings.count():
        assert warnings.locator("th").all_inner_texts() == ["Case number", "What is missing"]
    assert axe_check(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(screenshot(page, "flight-airline-messages")))


def test_viewer_sees_the_section_without_actions(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "viewer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    section = page.locator("section.airline-messages")
    assert section.get_by_role("heading", name="Airline and border messages").is_visible()
    assert section.get_by_role("button").count() == 0
    assert section.get_by_role("link", name="Look at the PNL").count() == 0
