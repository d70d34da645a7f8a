"""The flight page's airline and border messages and a person's API fields in the web pages, through the real app:
viewers see the warnings but no actions (and are refused on the server), officers download and mark sent."""

from __future__ import annotations

import re

from service_testkit import SQLITE_ONLY, Api
from test_api_airline import FLIGHT, _on_flight, _parts, _patch, _publish, _solve
from web_sign_in import browser, csrf

from airline.teletype_reader import read

# SQLite only (tests/api/conftest.py): the flight and person pages over what test_api_airline.py stores
pytestmark = SQLITE_ONLY


def test_flight_page_messages_for_officers_and_viewers(api: Api) -> None:
    op = api.import_teaching()
    plan = _solve(api, op)
    _publish(api, op, plan)
    incomplete = _on_flight(api, op, plan)[0]
    assert _patch(api, op, incomplete, country_of_birth=None).status_code == 200
    number = api.get(f"/api/v1/operations/{op}/plans/{plan}", "viewer").json()["number"]
    page_url = f"/operations/{op}/plans/{number}/flights/{FLIGHT}"

    viewer = browser(api, "viewer1")
    html = viewer.get(page_url).text
    assert "Airline and border messages" in html and 'id="paxlst-warnings"' in html
    assert f">{incomplete}</a></td><td>country of birth</td>" in html
    assert "mark it sent" not in html and "Look at the PNL" not in html
    assert viewer.get(f"{page_url}/messages/pnl").status_code == 403
    r = viewer.post(f"{page_url}/messages", data={"kind": "pnl", "csrf_token": csrf(html)})
    assert r.status_code == 403

    officer = browser(api, "officer1")
    html = officer.get(page_url).text
    assert "Download the PNL and mark it sent" in html and "Send the PAXLST although 1 person" in html
    token = csrf(html)
    r = officer.post(f"{page_url}/messages", data={"kind": "pnl", "designator": "zz0101", "csrf_token": token})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"], r.text
    assert read(_parts(r.text), "PNL").flight.startswith("ZZ0101/")
    r = officer.post(f"{page_url}/messages", data={"kind": "paxlst", "csrf_token": token},
                     headers={"Accept": "text/html"})
    assert r.status_code == 409 and "missing" in r.text
    r = officer.post(f"{page_url}/messages", data={"kind": "paxlst", "force": "on", "csrf_token": token})
    assert r.status_code == 200 and r.text.startswith("UNA:+.? '"), r.text
    html = officer.get(page_url).text
    assert "Download the ADL and mark it sent" in html
    assert re.search(r"<td>PAXLST</td><td>Plan \d+</td>", html) and "<td>PNL</td>" in html
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "send", "limit": 20}).json()["items"]
    forced = [e for e in audit if e["resource"] == "paxlst"]
    assert forced[0]["details"]["incomplete"] == 1 and forced[0]["actor"] == "officer1"


def test_person_page_shows_and_edits_the_api_fields(api: Api) -> None:
    op = api.import_teaching()
    officer = browser(api, "officer1")
    page = officer.get(f"/operations/{op}/people/C0001").text
    assert "Country of birth (country code)" in page and "Document issued by (country code)" in page
    form = officer.get(f"/operations/{op}/people/C0001/edit").text
    assert re.search(r'name="document_issuing_state"[^>]*value="IRQ"', form)
    stored = api.get(f"/api/v1/operations/{op}/people/C0001").json()
    data: dict[str, object] = {"csrf_token": csrf(form), "version": stored["version"]}
    for name, value in stored.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif name not in ("id", "version", "updated_at", "erased"):
            data[name] = "" if value is None else value
    data.update(place_of_birth="Koya", document_issuing_state="")
    r = officer.post(f"/operations/{op}/people/C0001/edit", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    person = api.get(f"/api/v1/operations/{op}/people/C0001").json()
    assert person["place_of_birth"] == "Koya" and person["document_issuing_state"] is None
    assert person["given_name"] == "Rebin" and person["exit_cleared"] is True
    assert "Koya" in officer.get(f"/operations/{op}/people/C0001").text
