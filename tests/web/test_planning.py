"""The planning pages in a real browser: solve with live progress, a flight's seat map, events and re-plan with
the change list, publishing, what-if variants and their comparison, and what a viewer may not do.

Fixtures are in conftest.py (the demo operation `first-charter-2022`, plan 1 solved and published through the
API). Solver limits stay at 2 to 3 seconds. Each test saves screenshots to docs/screenshots/.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.web
OP = 1
FLIGHT = "IOM-MSQ-EBL-1"


def _wait_for_plan_page(page: Any, timeout: float = 90_000) -> int:
    """The job page opens the plan when the solve is done; returns the plan's number."""
    page.wait_for_url(re.compile(r".*/plans/\d+$"), timeout=timeout)
    return int(page.url.rsplit("/", 1)[1])


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_solve_shows_live_progress_and_lands_on_the_new_plan(page: Any, server: Any, sign_in: Any,
                                                              axe_check: Any, screenshot: Any) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans")
    assert page.get_by_role("heading", name="Plan versions").is_visible()
    assert axe_check(page) == []
    screenshot(page, "plans")
    page.get_by_label("Time the solver may take").select_option("3")
    page.get_by_role("button", name="Start solving").click()
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    assert page.locator("progress#job-bar").count() == 1
    assert page.get_by_role("button", name="Stop and keep the best plan").is_visible()
    assert page.locator("[data-field=status_words]").inner_text() in (
        "waiting for a free solver", "running", "finished")
    assert axe_check(page) == []
    # the 3-second solve may end, and the page open the new plan, as the picture is taken (the landing is asserted
    # next): then there is nothing to picture
    with contextlib.suppress(PlaywrightError):
        screenshot(page, "solve-progress")
    number = _wait_for_plan_page(page)
    plans = server.api("GET", f"/api/v1/operations/{OP}/plans?limit=100")["items"]
    made = next(p for p in plans if p["number"] == number)
    assert made["state"] == "draft" and made["assigned"] > 0
    assert page.get_by_role("heading", name=re.compile(f"^Plan {number}")).is_visible()
    # the plan versions list names the same plan by the same number
    page.goto(f"/operations/{OP}/plans")
    assert page.get_by_role("link", name=f"Plan {number}", exact=True).count() >= 1


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_flight_page_shows_the_seat_map_and_households(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                       screenshot: Any) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{OP}/plans/1")
    assert page.get_by_role("link", name=f"Manifest of {FLIGHT}").get_attribute("href") == \
        f"/operations/{OP}/plans/1/flights/{FLIGHT}/manifest"
    assert page.get_by_role("link", name="Testing schedule (print)").get_attribute("href") == \
        f"/operations/{OP}/plans/1/testing-schedule"
    page.get_by_role("link", name=FLIGHT, exact=True).click()
    page.wait_for_url(f"**/plans/1/flights/{FLIGHT}")
    seats = page.locator("svg.seatmap g.seat-taken")
    passengers, laps, _, escorts = (int(x) for x in page.locator(".facts dd").all_inner_texts()[:4])
    assert passengers == server.api("GET", f"/api/v1/operations/{OP}/plans?state=published")["items"][-1]["assigned"]
    assert seats.count() == passengers - laps + escorts  # every occupied seat is focusable
    page.locator("svg.seatmap g.seat-taken[aria-label*=household]").first.focus()
    detail = page.locator("#seat-detail").inner_text()
    assert "household" in detail and re.search(r"\(C\d{4}\)", detail)  # name and case number, in words
    assert seats.first.locator("title").count() == 1
    for word in ("exit row", "isolation row", "lap infant", "wheelchair", "escort"):
        assert word in page.locator(".seat-legend").inner_text()
    households = page.locator("table.passengers tbody.household")
    assert households.count() == int(page.locator(".facts dd").nth(2).inner_text())
    assert page.get_by_role("link", name="Printable manifest").get_attribute("href").endswith(f"/{FLIGHT}/manifest")
    assert axe_check(page) == []
    screenshot(page, "flight")


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_positive_test_replan_change_list_and_publish(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                      screenshot: Any) -> None:
    sign_in(page, "coordinator")
    published = server.api("GET", f"/api/v1/operations/{OP}/plans?state=published")["items"][0]
    flying = server.api("GET", f"/api/v1/operations/{OP}/plans/{published['id']}/people/C0010")
    assert flying["assigned"]
    page.goto(f"/operations/{OP}/events")
    assert axe_check(page) == []
    form = page.locator("form", has=page.locator("input[value=positive_test]"))
    form.get_by_label("Case number").fill("C0010")
    form.get_by_label("Date of the positive test").fill("2022-03-18")
    form.get_by_role("button", name="Record positive test").click()
    status = page.get_by_role("status")
    assert "1 event recorded" in status.inner_text() and "C0010" in status.inner_text()
    screenshot(page, "events")
    page.get_by_label("Time the solver may take").select_option("3")
    page.get_by_role("button", name="Start the re-plan").click()
    number = _wait_for_plan_page(page)
    changes = page.locator("#changes")
    row = changes.locator("tr", has_text="C0010")
    assert "taken off a flight" in row.first.inner_text()
    assert "In isolation after a positive test" in row.first.inner_text()  # the reason in words
    assert page.get_by_role("heading", name=f"Changes from plan {published['number']}, person by person").count() == 1
    assert axe_check(page) == []
    screenshot(page, "replan-changes", full_page=True)
    page.get_by_role("button", name=f"Publish plan {number}").click()
    assert f"Plan {number} is published" in page.get_by_role("status").first.inner_text()
    plan = next(p for p in server.api("GET", f"/api/v1/operations/{OP}/plans?limit=100")["items"]
                if p["number"] == number)
    assert plan["state"] == "published"
    assert axe_check(page) == []
    screenshot(page, "plan-published")


def test_two_variants_run_and_compare(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                      screenshot: Any) -> None:
    sign_in(page, "coordinator")
    page.goto(f"/operations/{OP}/what-if")
    lab = page.locator("details", has_text="lab capacity")
    lab.locator("summary").click()
    lab.get_by_label("Name of the variant").fill("half the lab")
    lab.get_by_label("Samples per day and per slot at every site, times").select_option("0.5")
    lab.get_by_role("button", name="Save variant").click()
    page.wait_for_url("**/what-if?created=*")
    charters = page.locator("details", has_text="More charters")
    charters.get_by_label("Name of the variant").fill("a second charter")
    charters.get_by_role("button", name="Save variant").click()
    page.wait_for_url("**/what-if?created=*")
    page.get_by_label("half the lab").check()
    page.get_by_label("a second charter").check()
    page.get_by_label("Time for each run").select_option("2")
    page.get_by_role("button", name="Run the ticked variants").click()
    page.wait_for_url("**/what-if?started=*")
    deadline = time.monotonic() + 120
    while page.get_by_role("heading", name="Running now").count():
        assert time.monotonic() < deadline
        time.sleep(0.3)
        page.reload()
    assert axe_check(page) == []
    screenshot(page, "what-if", full_page=True)
    compare = page.locator("#compare-form")
    for name in ("half the lab", "a second charter"):
        compare.get_by_label(re.compile(re.escape(name))).check()
    compare.get_by_role("button", name="Compare the ticked plans").click()
    page.wait_for_url("**/what-if/compare?*")
    assert page.locator("svg.chart").count() >= 2
    table = page.locator("#comparison")
    assert "half the lab" in table.locator("thead").inner_text() and "a second charter" in table.inner_text()
    assert page.locator(".differences li").count() == 1
    assert axe_check(page) == []
    screenshot(page, "compare", full_page=True)



def test_sweep_table_and_chart(page: Any, server: Any, sign_in: Any, axe_check: Any, screenshot: Any) -> None:
    sign_in(page, "coordinator")
    page.goto(f"/operations/{OP}/what-if")
    sweep = page.locator("form[action$='/what-if/sweep']")
    sweep.get_by_label("0.5").check()  # with "1", checked by default: two points
    sweep.get_by_label("Time for each point").select_option("2")
    sweep.get_by_role("button", name="Run the sweep").click()
    page.wait_for_url("**/what-if?started=*")
    deadline = time.monotonic() + 120
    while page.get_by_role("heading", name="Running now").count():
        assert time.monotonic() < deadline
        time.sleep(0.3)
        page.reload()
    rows = page.locator("#sweep-table tbody tr")
    assert rows.count() == 2 and "lab ×0.5" in rows.first.inner_text()
    assert page.locator("#sweep-results svg.chart rect").count() == 2
    assert axe_check(page) == []
    page.locator("#sweep-results").scroll_into_view_if_needed()
    screenshot(page, "sweep")
    page.get_by_role("link", name="Compare every point of the sweep side by side").click()
    page.wait_for_url("**/what-if/compare?*")
    assert page.locator("#comparison thead th").count() == 3

def test_viewer_sees_no_planning_actions_and_forged_posts_are_refused(page: Any, server: Any, sign_in: Any,
                                                                    problems: Any, axe_check: Any) -> None:
    sign_in(page, "viewer")
    page.goto(f"/operations/{OP}/plans")
    assert page.get_by_role("button", name="Start solving").count() == 0
    assert page.get_by_role("link", name="Events and re-planning").count() == 0
    assert axe_check(page) == []
    page.goto(f"/operations/{OP}/plans/1")
    assert page.get_by_role("button", name=re.compile("Publish")).count() == 0
    assert page.get_by_role("link", name=re.compile("Manifest of")).count() == 0  # officers' documents
    page.goto(f"/operations/{OP}/what-if")
    assert page.get_by_role("button", name="Save variant").count() == 0
    assert page.get_by_role("button", name="Run the ticked variants").count() == 0
    assert page.get_by_role("button", name="Run the sweep").count() == 0
    assert axe_check(page) == []
    jobs_before = server.api("GET", f"/api/v1/operations/{OP}/solve-jobs", "viewer")["total"]
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    problems.allow(403)
    for path, form in [(f"/operations/{OP}/solve", {"time_limit": "3"}),
                       (f"/operations/{OP}/replan", {"time_limit": "3", "mode": "all"}),
                       (f"/operations/{OP}/plans/1/publish", {"version": "1"}),
                       (f"/operations/{OP}/events", {"type": "flight_cancelled", "flight_id": FLIGHT}),
                       (f"/operations/{OP}/what-if/variants", {"kind": "lab", "name": "forged", "factor": "2"}),
                       (f"/operations/{OP}/what-if/run", {"base": "on", "time_limit": "2"})]:
        response = page.request.post(path, form={"csrf_token": token, **form})
        assert response.status == 403, path
    page.goto(f"/operations/{OP}/events")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert server.api("GET", f"/api/v1/operations/{OP}/solve-jobs", "viewer")["total"] == jobs_before
    assert server.api("GET", f"/api/v1/operations/{OP}/flights/{FLIGHT}", "viewer")  # not cancelled
    assert not any(v["name"] == "forged" for v in server.api("GET", f"/api/v1/operations/{OP}/variants",
                                                             "viewer")["items"])


def test_stop_a_solve_from_its_page(page: Any, server: Any, sign_in: Any) -> None:
    """Two what-if runs on one solve worker: the second waits, and its page stops it (a running solve would
    store its best plan; the small demo operation solves too fast to catch one running)."""
    sign_in(page, "officer")
    variants = [v["id"] for v in server.api("GET", f"/api/v1/operations/{OP}/variants", "officer")["items"]][:2]
    assert len(variants) == 2
    jobs = server.api("POST", f"/api/v1/operations/{OP}/variant-runs", "officer",
                      {"variant_ids": variants, "time_limit": 3, "seat": False})["jobs"]
    job_id = jobs[-1]["id"]
    page.goto(f"/operations/{OP}/jobs/{job_id}")
    with page.expect_response(lambda r: r.url.endswith("/progress")):
        pass  # between two polls: the stop form's navigation interrupts no request
    if page.get_by_role("button", name="Stop and keep the best plan").is_visible():
        with page.expect_navigation():
            page.get_by_role("button", name="Stop and keep the best plan").click()
        job = server.api("GET", f"/api/v1/operations/{OP}/solve-jobs/{job_id}", "officer")
        # the stop reached the job, unless the job finished between the button showing and the click
        assert job["stop_requested"] or job["status"] in ("succeeded", "failed")
    deadline = time.monotonic() + 60
    while server.api("GET", f"/api/v1/operations/{OP}/solve-jobs/{job_id}", "officer")["status"] in (
            "queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    page.goto(f"/operations/{OP}/jobs/{job_id}")
    assert page.locator("[data-field=status_words]").inner_text() in (
        "cancelled before it started", "stopped; best plan kept", "finished")
    assert page.get_by_role("button", name="Stop and keep the best plan").count() == 0
