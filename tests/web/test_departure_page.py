"""The departure day's check-in page in a real browser (docs/departure-day.md): marks tapped with the
connection cut are queued, shown at once and sent once when it returns; viewers see the page read-only.
Fixtures in conftest.py (the demo operation, plan 1 solved and published)."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"
PAGE = f"/operations/{OP}/plans/1/flights/{FLIGHT}/check-in"
KEY = f"charterplan.checkin.{OP}.1.{FLIGHT}"


def _stored_marks(server: Any) -> list[dict[str, Any]]:
    entries = server.api("GET", "/api/v1/audit?action=check_in&limit=100", "coordinator")["items"]
    return [e["details"] for e in entries if e["resource_id"] == FLIGHT]


def _departure(server: Any) -> dict[str, Any]:
    plans = server.api("GET", f"/api/v1/operations/{OP}/plans?limit=50")["items"]
    plan_id = next(p["id"] for p in plans if p["number"] == 1)
    return server.api("GET", f"/api/v1/operations/{OP}/plans/{plan_id}/flights/{FLIGHT}/departure", "viewer")


def _status(page: Any) -> str:
    return str(page.locator("#sync-status").inner_text())


def test_marks_tapped_offline_are_sent_once_when_back_online(page: Any, server: Any, sign_in: Any,
                                                             axe_check: Any, screenshot: Any) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1/flights/{FLIGHT}")
    page.get_by_role("link", name="Check-in and departure").click()
    page.wait_for_url(f"**{PAGE}")
    page.locator("#sync-status[data-state=saved]").wait_for()
    rows = page.locator("tbody.household:not(.standby) tr[data-case][data-lap='0']")
    cases = [rows.nth(i).get_attribute("data-case") for i in range(4)]
    before = _departure(server)["counts"]
    page.context.set_offline(True)
    for case, button in zip(cases, ("Checked in", "Boarded", "No-show", "Offloaded"), strict=True):
        row = page.locator(f'tr[data-case="{case}"]')
        if button == "Offloaded":
            row.get_by_role("button", name="Offloaded").click()  # no reason yet: refused on the page
            assert row.locator("input[name=reason]").get_attribute("aria-invalid") == "true"
            row.get_by_label("Reason for offloading", exact=False).fill("unwell at the gate")
        row.get_by_role("button", name=button, exact=True).click()
    assert _status(page) == "4 marks waiting to be sent (offline)"
    assert page.locator(f'tr[data-case="{cases[2]}"] .mark').inner_text() == "did not come"
    assert page.locator("[data-count=no_show]").inner_text() == str(before["no_show"] + 1)
    assert page.locator("[data-count=freed]").inner_text() == str(_departure(server)["freed_seats"] + 2)
    assert _departure(server)["counts"] == before  # nothing reached the server
    queue = page.evaluate(f"() => localStorage.getItem({json.dumps(KEY)})")
    page.context.set_offline(False)  # the `online` event sends the queue
    page.locator("#sync-status[data-state=saved]").wait_for(timeout=30_000)
    assert _status(page) == "All marks saved"
    after = _departure(server)
    marks = {p["case_id"]: (p["status"], p["reason"]) for p in after["passengers"]}
    assert [marks[c] for c in cases] == [("checked_in", ""), ("boarded", ""), ("no_show", ""),
                                         ("offloaded", "unwell at the gate")]
    assert sum(d["stored"] for d in _stored_marks(server)) == 4
    # the same queue sent again (its answer lost): every mark is a duplicate, nothing is stored twice
    token = page.locator("#checkin input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(PAGE + "/marks", form={"csrf_token": token, "marks": queue})
    assert answer.ok and answer.json() == {"stored": 0, "duplicates": 4}
    assert _departure(server)["counts"] == after["counts"]
    assert axe_check(page) == []
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "check-in")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "check-in-tablet")


def test_marks_queued_before_a_reload_are_shown_and_sent(page: Any, server: Any, sign_in: Any,
                                                         problems: Any) -> None:
    sign_in(page, "officer")
    page.goto(PAGE)
    case = page.locator("tbody.household:not(.standby) tr[data-case][data-lap='0']").nth(5).get_attribute("data-case")
    page.context.set_offline(True)
    page.locator(f'tr[data-case="{case}"]').get_by_role("button", name="Boarded", exact=True).click()
    assert _status(page) == "1 mark waiting to be sent (offline)"
    problems.allow(503)  # the server is unreachable for the first try after the reload
    page.route("**/check-in/marks", lambda route: route.fulfill(status=503, body="busy"))
    # the `online` event tries at once (the server is busy): let that request finish before reloading
    with page.expect_event("requestfinished", lambda r: r.url.endswith("/check-in/marks")):
        page.context.set_offline(False)
    page.reload()
    assert page.locator(f'tr[data-case="{case}"] .mark').inner_text() == "boarded"  # from the queue
    page.locator("#sync-status", has_text="1 mark waiting").wait_for()
    marks = {p["case_id"]: p["status"] for p in _departure(server)["passengers"]}
    assert marks[case] != "boarded"
    page.unroute("**/check-in/marks")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.locator("#sync-status[data-state=saved]").wait_for(timeout=30_000)
    marks = {p["case_id"]: p["status"] for p in _departure(server)["passengers"]}
    assert marks[case] == "boarded"


def test_viewer_sees_the_page_read_only_and_a_forged_post_is_refused(page: Any, server: Any, sign_in: Any,
                                                                     problems: Any) -> None:
    sign_in(page, "viewer")
    page.goto(PAGE)
    assert page.get_by_role("heading", name="Check-in and departure", exact=False).is_visible()
    assert page.locator("#checkin button").count() == 0 and page.locator("#checkin form").count() == 0
    assert page.locator("#sync-status").count() == 0
    problems.allow(403)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for path, form in (("/marks", {"marks": "[]"}), ("/replan", {})):
        answer = page.request.post(PAGE + path, form={"csrf_token": token or "", **form})
        assert answer.status == 403


def test_final_manifest_print_view(page: Any, server: Any, sign_in: Any) -> None:
    sign_in(page, "officer")
    page.goto(PAGE)
    page.get_by_role("link", name="Final manifest (print)").click()
    page.wait_for_url(f"**/flights/{FLIGHT}/final-manifest")
    assert page.get_by_role("heading", name=f"Final manifest, flight {FLIGHT}: Planned but not on board").is_visible()
    href = page.get_by_role("link", name="Download CSV").get_attribute("href")
    got = page.request.get(href)
    assert got.status == 200 and "did not come" in got.text()  # the no-show marked by the first test

