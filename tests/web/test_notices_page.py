"""Notices from the web pages in a real browser: the "Notices" link of a household on the flight and person
pages, the PDF it opens, and the Arabic notice as a right-to-left page (screenshots docs/screenshots/notice-ar.png
and notice-ar.pdf.png). The test imports its own operation, so the demo operation's plans stay as they are."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.web
ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "scenarios" / "teaching-two-flights"
FLIGHT = "MSQ-EBL-1"


def _import_teaching(server: Any) -> int:
    """The teaching scenario as a new operation, through the API's zip import (multipart by hand)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in ("scenario.yaml", "people.csv"):
            z.write(TEACHING / name, name)
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.zip\"\r\n"
            "Content-Type: application/zip\r\n\r\n").encode() + buf.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(server.url + "/api/v1/operations/import", data=body, method="POST", headers={
        "Authorization": f"Bearer {server.api_token('coordinator')}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return int(json.load(r)["id"])


def _arabic_household_solved(server: Any) -> int:
    """A new operation whose household H01 reads Arabic, solved as plan 1."""
    op = _import_teaching(server)
    base = f"/api/v1/operations/{op}"
    for p in server.api("GET", f"{base}/people?limit=200")["items"]:
        if p["household_id"] == "H01":
            server.api("PATCH", f"{base}/people/{p['case_id']}", "officer", {"language": "ar"},
                       headers={"If-Match": str(p["version"])})
    job = server.api("POST", f"{base}/solve-jobs", "officer", {"time_limit": 2})
    deadline = time.monotonic() + 120
    while server.api("GET", f"{base}/solve-jobs/{job['id']}")["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the solve did not finish"
        time.sleep(0.3)
    return op


def test_arabic_notice_from_the_flight_page(page: Any, server: Any, sign_in: Any, screenshot: Any,
                                            tmp_path: Path) -> None:
    op = _arabic_household_solved(server)
    sign_in(page, "officer")
    page.goto(f"/operations/{op}/plans/1/flights/{FLIGHT}")
    household = page.locator("tbody.household").filter(has_text="Household H01")
    link = household.get_by_role("link", name="Notices for this household (PDF, in their languages)")
    href = link.get_attribute("href")
    assert href == f"/operations/{op}/plans/1/households/H01/notices"

    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    _first_page_picture(response.body(), tmp_path, server.database)

    page.goto(href + "?format=html")
    assert page.locator("html").get_attribute("dir") == "rtl" and page.locator("html").get_attribute("lang") == "ar"
    section = page.locator("section.page")
    assert section.get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", name="رحلة عودتك").is_visible()
    # laid out right to left: the heading's right edge is at the page's right margin, not its left
    box = page.get_by_role("heading", name="رحلة عودتك").bounding_box()
    frame = section.bounding_box()
    assert abs((box["x"] + box["width"]) - (frame["x"] + frame["width"])) < 2
    font = page.evaluate("getComputedStyle(document.querySelector('section.page')).fontFamily")
    assert font.startswith('"Noto Naskh Arabic"')
    screenshot(page, "notice-ar", full_page=True)

    page.goto(f"/operations/{op}/people/C0001")
    person_link = page.get_by_role("link", name="Notices for this household (PDF, in their languages)")
    assert person_link.get_attribute("href") == href


def _first_page_picture(pdf: bytes, folder: Path, database: str) -> None:
    """The PDF's first page as docs/screenshots/notice-ar.pdf.png (the SQLite run's only)."""
    if not shutil.which("pdftoppm") or database != "sqlite":
        return
    path = folder / "notice-ar.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ROOT / "docs" / "screenshots" / "notice-ar.pdf")], check=True)
