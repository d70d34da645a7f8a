"""The people list keeps the case numbers a search matched (`api.web.people_search`), yet never shows a stale
match: an edit to the caseload or a new plan gives the same search a new answer."""

from __future__ import annotations

import re

import pytest
from service_testkit import Api
from test_api_airline import _patch, _solve
from web_sign_in import browser

from api.web import people_search


def _found(html: str) -> int:
    match = re.search(r"(\d+) (?:people|person) found", html)
    assert match, "no result count on the people list"
    return int(match.group(1))


def test_search_matches_are_kept_until_the_caseload_or_the_plan_changes(api: Api,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    op = api.import_teaching()
    viewer = browser(api, "viewer1")
    search = f"/operations/{op}/people?q=zzyzx"
    assert _found(viewer.get(search).text) == 0

    calls: list[str] = []
    real = people_search._match

    def counted(*args: object) -> list[str]:
        calls.append("match")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(people_search, "_match", counted)
    assert _found(viewer.get(search).text) == 0 and calls == []  # kept
    person = api.get(f"/api/v1/operations/{op}/people", "viewer", params={"limit": 1}).json()["items"][0]
    assert _patch(api, op, person["case_id"], given_name="Zzyzx").status_code == 200
    html = viewer.get(search).text
    assert _found(html) == 1 and person["case_id"] in html and calls == ["match"]  # the edit is seen

    flying = f"/operations/{op}/people?status=flying"
    assert _found(viewer.get(flying).text) == 0  # no plan yet
    _solve(api, op)
    assert _found(viewer.get(flying).text) > 0  # the new plan's passengers
    assert calls == ["match", "match", "match"]
