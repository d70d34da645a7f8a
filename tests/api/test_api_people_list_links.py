"""The people list's household links (docs/web.md, "Speed": the link's query is built once per page, not per row):
each one searches for its household, keeps the other filters and starts again on the first page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from service_testkit import Api
from web_sign_in import browser

LINK = re.compile(r'<td><a href="([^"]*)" title="People of this household">([^<]+)</a></td>')


def _links(page: str) -> list[tuple[dict[str, list[str]], str]]:
    found = [(parse_qs(urlsplit(html.unescape(href)).query), household) for href, household in LINK.findall(page)]
    assert found, "no household links on the people list"
    return found


def test_household_links_search_the_household_and_keep_the_other_filters(api: Api) -> None:
    op = api.import_teaching()
    viewer = browser(api, "viewer1")
    for query, household in _links(viewer.get(f"/operations/{op}/people").text):
        assert query == {"q": [household]}
    page = viewer.get(f"/operations/{op}/people", params={"q": "a", "status": "eligible", "page": "1"}).text
    for query, household in _links(page):
        assert query == {"q": [household], "status": ["eligible"]}  # the search replaced, the page dropped
    household = _links(page)[0][1]
    followed = viewer.get(f"/operations/{op}/people", params={"q": household, "status": "eligible"}).text
    assert all(h == household for _, h in _links(followed))
