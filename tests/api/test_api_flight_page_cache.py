"""What the flight page keeps between views is never stale (docs/web.md, "Speed"): the airline and border section
follows every message sent, every caseload change and every new or published plan, also when the message is
sent through another replica; a parsed plan document is shared per plan version, and publishing (which writes
the locked flights) gives a new one."""

from __future__ import annotations

import os
import re

import pytest
from fastapi.testclient import TestClient
from service_testkit import Api
from sqlmodel import Session
from test_api_airline import FLIGHT, _on_flight, _patch, _publish, _solve
from web_sign_in import browser

from api.app import create_app
from api.export_cache import plan_document
from api.sent_messages import sent_marker

NOTHING_SENT = "Nothing has been sent for this flight yet."
ALL_COMPLETE = "Every person on this flight has the data the PAXLST needs."


def _number(api: Api, op: int, plan: int) -> int:
    return int(api.get(f"/api/v1/operations/{op}/plans/{plan}", "viewer").json()["number"])


def _sent_kinds(html: str) -> list[str]:
    return re.findall(r"<tr><td>(PNL|ADL|PAXLST)</td><td>Plan \d+</td>", html)


def test_airline_section_follows_messages_caseload_and_plans(api: Api) -> None:
    op = api.import_teaching()
    first = _solve(api, op)
    _publish(api, op, first)
    incomplete = _on_flight(api, op, first)[0]
    assert _patch(api, op, incomplete, country_of_birth=None).status_code == 200
    url = f"/operations/{op}/plans/{_number(api, op, first)}/flights/{FLIGHT}"
    officer = browser(api, "officer1")

    html = officer.get(url).text
    assert NOTHING_SENT in html and f">{incomplete}</a></td><td>country of birth</td>" in html
    assert officer.get(url).text.count("country of birth") == html.count("country of birth")  # kept: the same
    r = api.post(f"/api/v1/operations/{op}/plans/{first}/flights/{FLIGHT}/pnl", "officer")
    assert r.status_code == 200, r.text
    html = officer.get(url).text
    assert _sent_kinds(html) == ["PNL"] and "Download the ADL and mark it sent" in html  # a new message shows
    assert api.post(f"/api/v1/operations/{op}/plans/{first}/flights/{FLIGHT}/adl", "officer").status_code == 200
    assert _sent_kinds(officer.get(url).text) == ["ADL", "PNL"]  # newest first

    assert _patch(api, op, incomplete, country_of_birth="IRQ").status_code == 200  # the caseload changes
    html = officer.get(url).text
    assert ALL_COMPLETE in html and 'id="paxlst-warnings"' not in html

    second = _solve(api, op)  # a new plan: its own page, a draft, with the flight's messages of any plan
    url_two = f"/operations/{op}/plans/{_number(api, op, second)}/flights/{FLIGHT}"
    html = officer.get(url_two).text
    assert "Publish this plan before sending its messages" in html and _sent_kinds(html) == ["ADL", "PNL"]
    _publish(api, op, second)  # a new version of the same plan
    html = officer.get(url_two).text
    assert "Publish this plan before sending" not in html and "Download the PNL and mark it sent" in html
    # deleting a plan deletes its messages (ON DELETE CASCADE): the first plan's rows go with it
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert sent_marker(session, op, FLIGHT)[0] == 2
        assert sent_marker(session, op, "NOPE") == (0, 0)


def test_plan_document_is_shared_per_version_and_publishing_gives_a_new_one(api: Api) -> None:
    op = api.import_teaching()
    plan = _solve(api, op)
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    version = api.get(f"/api/v1/operations/{op}/plans/{plan}", "viewer").json()["version"]
    with Session(engine) as session:
        draft = plan_document(session, plan, version)
        assert plan_document(session, plan, version) is draft  # parsed once
        assert not any(f.locked for f in draft.flights)
    _publish(api, op, plan)
    published = api.get(f"/api/v1/operations/{op}/plans/{plan}", "viewer").json()["version"]
    assert published != version
    with Session(engine) as session:
        assert all(f.locked for f in plan_document(session, plan, published).flights)


@pytest.mark.skipif(not os.environ.get("CHARTERPLAN_TEST_PG_URL"), reason="replicas share PostgreSQL only")
def test_airline_section_on_another_replica_shows_what_this_one_sent_and_changed(api: Api) -> None:
    if not api.settings.database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database; the embedded SQLite store has one process")
    op = api.import_teaching()
    plan = _solve(api, op)
    _publish(api, op, plan)
    incomplete = _on_flight(api, op, plan)[0]
    url = f"/operations/{op}/plans/{_number(api, op, plan)}/flights/{FLIGHT}"
    with TestClient(create_app(api.settings)) as other:
        officer = browser(api, "officer1", other.app)  # type: ignore[arg-type]
        html = officer.get(url).text
        assert NOTHING_SENT in html and ALL_COMPLETE in html  # kept by the other replica
        assert api.post(f"/api/v1/operations/{op}/plans/{plan}/flights/{FLIGHT}/pnl", "officer").status_code == 200
        assert _patch(api, op, incomplete, country_of_birth=None).status_code == 200
        html = officer.get(url).text
        assert _sent_kinds(html) == ["PNL"] and f">{incomplete}</a></td><td>country of birth</td>" in html


def test_a_plans_flight_pages_are_built_before_their_first_view(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up after a solve (`api.web.flight_warm`) builds each flight's view under the key the page reads,
    and renders its load summary and airline sections for both kinds of reader: the page's first view, by an
    officer or by a viewer, then builds and renders nothing of its own."""
    from api.routers import exports
    from api.web import flight_view, routes_airline, routes_load
    from api.web.flight_warm import build_flight_pages

    op = api.import_teaching()
    plan = _solve(api, op)
    app = api.client.app
    assert build_flight_pages(app.state.engine, app.state.pages, plan) >= 1

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a part of the flight's page was built on its first view")

    monkeypatch.setattr(flight_view, "flight_page", refuse)
    monkeypatch.setattr(flight_view, "seat_map_svg", refuse)
    monkeypatch.setattr(exports, "build_manifest", refuse)
    monkeypatch.setattr(routes_load, "section_figures", refuse)  # the load summary's figures, read to render it
    monkeypatch.setattr(routes_airline, "section_of", refuse)  # the airline section's, likewise
    url = f"/operations/{op}/plans/{_number(api, op, plan)}/flights/{FLIGHT}"
    r = browser(api, "officer1").get(url)
    assert r.status_code == 200 and "Passengers by household" in r.text and "Load summary" in r.text
    assert "Printable load summary" in r.text and "Look at the PNL" in r.text  # the officers' sections
    r = browser(api, "viewer1").get(url)
    assert r.status_code == 200 and "Airline and border messages" in r.text
    assert "Printable load summary" not in r.text and "Look at the PNL" not in r.text  # the other readers'
    r = api.get(f"/api/v1/operations/{op}/plans/{plan}/flights/{FLIGHT}/manifest", "officer")  # CSV: built too
    assert r.status_code == 200 and FLIGHT in r.text
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 5}).json()["items"]
    assert audit[0]["resource"] == "manifest" and audit[0]["actor"] == "officer1"  # a kept file is still audited


def test_the_sections_the_warm_up_renders_keep_no_token(api: Api) -> None:
    """The airline sections the warm-up renders hold the CSRF token's slot, never a token, and the officer
    reading them gets their own token in its place."""
    from api.export_cache import store_for
    from api.web.flight_warm import build_flight_pages
    from api.web.templating import FRAGMENTS_KEPT

    op = api.import_teaching()
    plan = _solve(api, op)
    _publish(api, op, plan)
    app = api.client.app
    build_flight_pages(app.state.engine, app.state.pages, plan)
    parts = store_for(app.state.engine, "page parts", FRAGMENTS_KEPT)
    kept = [v for v in parts._items.values() if "airline-heading" in v]
    assert kept and all('name="csrf_token" value="csrf-slot-' in v for v in kept if "airline-send" in v)
    assert any("airline-send" in v for v in kept)  # the officers' form is among them
    url = f"/operations/{op}/plans/{_number(api, op, plan)}/flights/{FLIGHT}"
    officer = browser(api, "officer1")
    html = officer.get(url).text
    form = re.search(r'class="airline-send">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert form is not None and "csrf-slot-" not in html
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', html)) == {form.group(1)}  # the page's own token


def test_kept_sections_carry_each_readers_own_token_and_role(api: Api) -> None:
    """The load and airline sections are rendered once per kind of reader and kept: a viewer's kept sections
    never give an officer's actions, an officer's never show a viewer the downloads, and the kept airline form
    carries the token of whoever reads it (the slot itself never shows)."""
    op = api.import_teaching()
    plan = _solve(api, op)
    _publish(api, op, plan)
    url = f"/operations/{op}/plans/{_number(api, op, plan)}/flights/{FLIGHT}"
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    pages = {}
    for user in ("viewer1", "officer1", "coordinator1", "viewer1"):
        html = browser(api, user).get(url).text
        assert "Load summary" in html and "Airline and border messages" in html and "csrf-slot-" not in html
        officer = user != "viewer1"
        assert ("Printable load summary" in html) is officer
        assert ("Download the PNL and mark it sent" in html) is officer
        tokens = set(token.findall(html))
        assert len(tokens) == 1  # the page's forms (the airline form among them) all carry this reader's token
        pages[user] = tokens.pop()
    assert len(set(pages.values())) == 3
