"""Fleet sizing in a real browser: a variant with optional charters, the form, the answer with its proof or gap
and the charters to book (fixtures in conftest.py; the demo operation `first-charter-2022`)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"
SPARE = {"document": {
    "format": "charterplan.variant/1", "name": "spare charters",
    "description": "the charter and two later rotations, each optional",
    "flights": {"update": [{"id": FLIGHT, "optional": {"cost": 50_000}}],
                "add": [{"like": FLIGHT, "id": f"{FLIGHT}-B", "shift_hours": 24, "optional": {"cost": 40_000}},
                        {"like": FLIGHT, "id": f"{FLIGHT}-C", "shift_hours": 48, "optional": {"cost": 60_000}}]}}}


def test_fleet_sizing_names_the_charters_to_book(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                  screenshot: Any) -> None:
    variant = server.api("POST", f"/api/v1/operations/{OP}/variants", "coordinator", SPARE)
    sign_in(page, "coordinator")
    page.goto(f"/operations/{OP}/what-if")
    page.get_by_role("link", name=re.compile("^Fleet sizing")).click()
    page.wait_for_url(re.compile(r".*/what-if/fleet$"))
    assert page.get_by_role("heading", name="Fleet sizing", exact=True).is_visible()
    page.get_by_label("Optional charters from").select_option(str(variant["id"]))
    page.get_by_label("their total cost").check()
    page.get_by_label("Time the solver may take").select_option("5")
    page.get_by_role("button", name="Size the fleet").click()
    page.locator("#fleet-answer").wait_for(timeout=60_000)
    words = page.locator("#fleet-words").inner_text()
    assert re.search(r"Book \d of the 3 optional charters, for a total cost of [\d,]+\.", words), words
    assert "people who can fly" in words
    proof = page.locator("#fleet-proof").inner_text()
    assert proof.startswith(("Proven optimal", "Not proven optimal")), proof
    rows = page.locator("#fleet-flights tbody tr")
    assert rows.count() == 3
    assert page.locator("#fleet-flights tbody tr.current").count() >= 1  # at least one charter to book
    assert page.get_by_label("their total cost").is_checked()  # the form keeps the question
    assert axe_check(page) == []
    screenshot(page, "fleet")
    audit = server.api("GET", f"/api/v1/audit?action=fleet-sizing&operation_id={OP}", "coordinator")
    assert audit["total"] >= 1
