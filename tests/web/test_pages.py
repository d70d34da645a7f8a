"""The web pages in a real browser: sign-in, import with an error, people, edit conflicts, roles, accessibility.

Fixtures are in conftest.py (a `charterplan serve` subprocess and Debian's Chromium). Each test also saves a
screenshot of the pages it visits to docs/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.web

HEADER = ("case_id,household_id,given_name,family_name,name_native,sex,date_of_birth,nationality,destination,"
          "location,testing_site,consent,consent_date,consent_note,document_type,document_number,document_expiry,"
          "exit_cleared,fitness,mobility,pregnant,evacuation_capable,unaccompanied_minor,best_interests_approved,"
          "reception_contact,vaccinated,last_positive_test,last_test_sample,last_test_result,registered_on,"
          "vulnerabilities,notes")


def _row(case_id: str, given: str, born: str) -> str:
    return (f"{case_id},HW900,{given},Barzani,{given} بارزانی,F,{born},IRQ,EBL,MINSK-HOTEL-1,,explicit,2022-01-07,,"
            f"passport,PW-{case_id},2023-05-02,yes,fit,none,no,yes,no,no,,no,,,,2022-01-02,,")


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_sign_in_shows_name_and_role_and_sign_out_ends_the_session(page: Any, server: Any, problems: Any,
                                                                  screenshot: Any) -> None:
    page.goto("/operations")
    assert "/login" in page.url  # not signed in: sent to the sign-in page
    screenshot(page, "sign-in")
    problems.allow(401)
    page.get_by_label("Username").fill(server.accounts["officer"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().strip() == "Wrong username or password."
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/operations")
    header = page.locator("header").inner_text()
    assert server.accounts["officer"] in header and "officer" in header
    cookie = next(c for c in page.context.cookies() if c["name"] == "cp_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    screenshot(page, "operations")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto("/operations")
    assert "/login" in page.url


def reported_plan(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan the dashboard reports against (`api.web.data.current_plan`): the newest published plan of the
    operation itself, else its newest draft, whichever other tests stored on the same server before."""
    own = [p for p in items if p["variant_id"] is None]
    return max(own, key=lambda p: (p["state"] == "published", p["number"]))


def test_dashboard_shows_funnel_flights_and_lab_load(page: Any, server: Any, sign_in: Any,
                                                      screenshot: Any) -> None:
    sign_in(page, "coordinator")
    page.goto(f"/operations/{server.operation_id}")
    plan = reported_plan(server.api("GET", f"/api/v1/operations/{server.operation_id}/plans?limit=1000")["items"])
    funnel = page.locator("table.funnel-table").first
    all_row = funnel.locator("tr.total td")
    on_flight = int(all_row.last.inner_text())
    assert on_flight == plan["assigned"]  # the funnel's last step is the plan's own count
    assert int(all_row.first.inner_text()) == plan["people"]
    flights = page.get_by_role("region", name="Flights")
    passengers = sum(int(x) for x in flights.locator("tbody td:nth-child(6)").all_inner_texts())
    assert passengers == plan["assigned"]
    assert page.locator("svg.bar-chart rect.bar").count() > 0
    screenshot(page, "dashboard", full_page=True)


@pytest.mark.web_postgresql  # also on PostgreSQL (conftest.py)
def test_import_reports_every_row_error_then_imports_the_fixed_file(page: Any, server: Any, sign_in: Any,
                                                                     problems: Any, screenshot: Any,
                                                                     tmp_path: Path) -> None:
    sign_in(page, "officer")
    page.goto(f"/operations/{server.operation_id}/import")
    bad = tmp_path / "new-people.csv"
    bad.write_text("\n".join([HEADER, _row("W9001", "Shilan", "1990-02-30"), _row("W9002", "Ronak", "1992-03-04")])
                   + "\n", encoding="utf-8")
    problems.allow(422)
    page.get_by_label("People file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() >= 1
    first = errors.first.locator("td").all_inner_texts()
    assert first[0] == "2" and first[1] == "date_of_birth"  # row 2 of the file (the header is row 1)
    assert "Nothing was imported" in page.inner_text("main")
    screenshot(page, "import-errors")
    found = server.api("GET", f"/api/v1/operations/{server.operation_id}/people?case_id=W900", "officer")
    assert found["total"] == 0

    good = tmp_path / "new-people-fixed.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace("1990-02-30", "1990-02-28"), encoding="utf-8")
    page.get_by_label("People file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    assert "2 rows: 2 new, 0 changed" in page.inner_text("main")
    page.get_by_role("button", name="Import these rows").click()
    page.wait_for_url(re.compile(r".*imported=1.*"))
    assert "Imported 2 rows: 2 new" in page.get_by_role("status").inner_text()
    found = server.api("GET", f"/api/v1/operations/{server.operation_id}/people?case_id=W900", "officer")
    assert found["total"] == 2


def test_people_search_person_page_edit_and_conflict(page: Any, server: Any, sign_in: Any, problems: Any,
                                                     screenshot: Any) -> None:
    sign_in(page, "officer")
    op = server.operation_id
    page.goto(f"/operations/{op}/people")
    assert "people found" in page.get_by_role("status").inner_text()
    screenshot(page, "people")
    page.get_by_role("searchbox", name="Search").fill("C0002")
    page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.people tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link", name="C0002").click()
    page.wait_for_url("**/people/C0002")
    assert page.get_by_role("heading", name="In the current plan").is_visible()
    assert page.locator("dt", has_text="Date of birth").count() == 1  # labels in words, not field names
    assert "household" in page.inner_text("main").lower()
    screenshot(page, "person", full_page=True)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Notes").fill("Prefers an aisle seat")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/people/C0002?saved=1")
    assert "Prefers an aisle seat" in page.inner_text("main")

    # Two officers open the same person; the second save must not overwrite the first.
    other = page.context.new_page()
    other.goto(f"/operations/{op}/people/C0002/edit")
    page.goto(f"/operations/{op}/people/C0002/edit")
    page.get_by_label("Notes").fill("Travels with her sister")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/people/C0002?saved=1")
    problems.allow(409)
    other.on("console", problems.console)
    other.get_by_label("Notes").fill("Needs a wheelchair at arrival")
    other.get_by_role("button", name="Save").click()
    alert = other.locator("#conflict")
    assert "Someone else changed this person" in alert.inner_text()
    assert "Travels with her sister" in alert.inner_text()
    screenshot(other, "person-edit-conflict")
    stored = server.api("GET", f"/api/v1/operations/{op}/people/C0002", "officer")
    assert stored["notes"] == "Travels with her sister"


def test_viewer_sees_no_edit_actions_and_a_forged_post_is_refused(page: Any, server: Any, sign_in: Any,
                                                                  problems: Any) -> None:
    sign_in(page, "viewer")
    op = server.operation_id
    page.goto(f"/operations/{op}/people/C0003")
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.get_by_role("link", name="Erase personal data").count() == 0
    assert page.get_by_role("link", name="Import people").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    problems.allow(403)
    response = page.request.post(f"/operations/{op}/people/C0003/edit",
                                 form={"csrf_token": token, "version": "1", "notes": "forged"})
    assert response.status == 403
    response = page.request.post(f"/operations/{op}/import/commit", form={"csrf_token": token, "token": "x"})
    assert response.status == 403
    page.goto(f"/operations/{op}/people/C0003/edit")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    stored = server.api("GET", f"/api/v1/operations/{op}/people/C0003", "viewer")
    assert stored["notes"] != "forged"


def test_a_form_without_the_csrf_token_is_refused(page: Any, server: Any, sign_in: Any, problems: Any) -> None:
    sign_in(page, "officer")
    problems.allow(403)
    response = page.request.post(f"/operations/{server.operation_id}/people/C0004/edit",
                                 form={"version": "1", "notes": "no token"})
    assert response.status == 403
    assert "The form has expired" in response.text()


def test_pages_have_no_serious_accessibility_violations(page: Any, server: Any, sign_in: Any, axe_check: Any,
                                                        screenshot: Any, problems: Any) -> None:
    op = server.operation_id
    page.goto("/login")
    assert axe_check(page) == []
    sign_in(page, "admin")
    for path, name in [("/operations", None), (f"/operations/{op}", None), (f"/operations/{op}/people", None),
                       (f"/operations/{op}/people/C0005", None), (f"/operations/{op}/people/C0005/edit", "person-edit"),
                       (f"/operations/{op}/people/C0005/erase", "person-erase"), (f"/operations/{op}/import", None),
                       ("/audit", "audit"), ("/users", "users")]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en"
        assert axe_check(page) == [], path
        if name:
            screenshot(page, name)


def test_api_description_works_offline(page: Any, server: Any, screenshot: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert all(url.startswith(server.url) for url in requested), requested
    screenshot(page, "api-docs")
