"""The dashboard's figures are rendered once and kept (`api.web.templating.Pages.fragment`), yet never stale: they
follow every caseload change, every new plan and every new version of a plan; the changes since the plan, above
them, are read on every view; and nothing that belongs to one reader (the CSRF token, the role) is kept in them."""

from __future__ import annotations

import re

import pytest
from service_testkit import SQLITE_ONLY, Api
from test_api_airline import _patch, _publish, _solve
from web_sign_in import browser

from api.web import routes_operations

# SQLite only (tests/api/conftest.py): the app's own cache of rendered figures
pytestmark = SQLITE_ONLY


def _registered(html: str) -> int:
    """The funnel's first bar: everyone registered (erased people left out)."""
    match = re.search(r'class="funnel-value">(\d+)<', html)
    assert match, "no funnel on the dashboard"
    return int(match.group(1))


def _plan_shown(html: str) -> str:
    match = re.search(r"Figures below come from plan (\d+)", html)
    assert match
    return match.group(1)


def test_dashboard_figures_are_kept_until_the_caseload_or_the_plan_changes(api: Api,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    op = api.import_teaching()
    first = _solve(api, op)
    _publish(api, op, first)
    viewer, officer = browser(api, "viewer1"), browser(api, "officer1")
    url = f"/operations/{op}"
    html = viewer.get(url).text
    registered = _registered(html)
    assert registered > 0 and 'id="funnel-heading"' in html

    calls: list[int] = []
    real = routes_operations._figures

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(routes_operations, "_figures", counted)
    again = officer.get(url).text  # another reader, another role: the kept figures, its own token
    assert calls == [] and _registered(again) == registered
    assert 'id="funnel-heading"' in again
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert not set(token.findall(html)) & set(token.findall(again))  # no reader's token kept for another

    # a caseload change (this person no longer consents): the figures are drawn anew, and the change is listed
    person = api.get(f"/api/v1/operations/{op}/people", "viewer", params={"limit": 1}).json()["items"][0]
    assert _patch(api, op, person["case_id"], consent="none").status_code == 200
    html = viewer.get(url).text
    assert calls == [1]
    consented = re.findall(r'class="funnel-value">(\d+)<', html)
    assert int(consented[0]) == registered and int(consented[1]) < registered
    assert "Changed since the plan was published" in html

    # a new plan: its figures, not the kept ones of the plan before
    second = _solve(api, op)
    _publish(api, op, second)
    number = api.get(f"/api/v1/operations/{op}/plans/{second}", "viewer").json()["number"]
    html = viewer.get(url).text
    assert calls == [1, 1] and _plan_shown(html) == str(number)
    assert "Changed since the plan was published" not in html
