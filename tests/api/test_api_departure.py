"""The departure day through the real app (docs/departure-day.md): marks stored once by their client id, the
check-in view's counts, freed seats and standby, the final manifest and the no-shows handed to re-planning."""

from __future__ import annotations

import json
from contextlib import contextmanager, nullcontext
from typing import Any

from service_testkit import Api, make_api, wait_job
from test_api_exports import lines
from web_sign_in import browser, csrf

AT = "2021-12-01T06:00:00+03:00"


def _planned(api: Api) -> tuple[str, int, str, dict[str, Any]]:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    job = api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]
    plan = api.get(f"{base}/plans/{plan_id}/plan.json", "officer").json()
    flight = max(plan["flights"], key=lambda f: len(f["passengers"]))
    return base, plan_id, flight["flight_id"], flight


def _mark(client_id: str, case_id: str, status: str, reason: str = "") -> dict[str, str]:
    return {"client_id": client_id, "case_id": case_id, "status": status, "reason": reason, "marked_at": AT}


def test_marks_are_stored_once_and_counted(api: Api) -> None:
    base, plan_id, flight_id, flight = _planned(api)
    url = f"{base}/plans/{plan_id}/flights/{flight_id}"
    seated = [p["person_id"] for p in flight["passengers"] if p.get("lap_of") is None]
    assert len(seated) >= 4
    marks = [_mark("tablet-0001", seated[0], "no_show"), _mark("tablet-0002", seated[1], "offloaded", "unwell"),
             _mark("tablet-0003", seated[2], "boarded"), _mark("tablet-0004", seated[3], "checked_in")]
    first = api.post(f"{url}/check-in-marks", "officer", json={"marks": marks})
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 4, "duplicates": 0}
    again = api.post(f"{url}/check-in-marks", "officer", json={"marks": marks})  # the answer was lost: resent
    assert again.json() == {"stored": 0, "duplicates": 4}
    view = api.get(f"{url}/departure", "viewer").json()
    counts = view["counts"]
    assert (counts["no_show"], counts["offloaded"], counts["boarded"], counts["checked_in"]) == (1, 1, 1, 1)
    assert counts["expected"] == len(flight["passengers"]) - 4 and view["freed_seats"] == 2
    assert {"case_id": seated[1], "household_id": next(p["household_id"] for p in view["passengers"]
                                                        if p["case_id"] == seated[1]),
            "status": "offloaded", "reason": "unwell"} in view["passengers"]
    for sb in view["standby"]:  # only households that fit the freed seats, not on this flight, by priority
        assert len(sb["members"]) <= 2 and not set(sb["members"]) & set(seated)
    waiting = [sb["weight"] for sb in view["standby"] if sb["booked_on"] is None]
    assert waiting == sorted(waiting, reverse=True)


def test_unknown_case_and_viewer_are_refused(api: Api) -> None:
    base, plan_id, flight_id, flight = _planned(api)
    url = f"{base}/plans/{plan_id}/flights/{flight_id}/check-in-marks"
    known = flight["passengers"][0]["person_id"]
    bad = api.post(url, "officer", json={"marks": [_mark("tablet-1001", known, "boarded"),
                                                     _mark("tablet-1002", "NOBODY", "boarded")]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.marks[1].case_id"
    viewer = api.post(url, "viewer", json={"marks": [_mark("tablet-1003", known, "boarded")]})
    assert viewer.status_code == 403
    view = api.get(f"{base}/plans/{plan_id}/flights/{flight_id}/departure", "viewer").json()
    assert view["counts"]["boarded"] == 0  # nothing of the refused batches was stored


def test_final_manifest_and_no_shows_to_replanning(api: Api) -> None:
    base, plan_id, flight_id, flight = _planned(api)
    url = f"{base}/plans/{plan_id}/flights/{flight_id}"
    cases = [p["person_id"] for p in flight["passengers"]]
    marks = [_mark(f"tablet-2{i:03d}", c, "boarded") for i, c in enumerate(cases[1:])]
    marks.append(_mark("tablet-2999", cases[0], "no_show"))
    assert api.post(f"{url}/check-in-marks", "officer", json={"marks": marks}).status_code == 200
    assert api.get(f"{url}/final-manifest", "viewer", params={"format": "csv"}).status_code == 403
    rows = lines(api.get(f"{url}/final-manifest", "officer", params={"format": "csv"}).content)
    boarded = [r[1] for r in rows if len(r) > 1 and r[0].isdigit()]
    assert sorted(boarded) == sorted(cases[1:])
    assert any(r[1] == cases[0] and r[-1] == "did not come" for r in rows if len(r) > 1)
    result = api.post(f"{url}/departure/events", "officer")
    assert result.status_code == 200, result.text
    assert result.json()["events"] == 1
    assert api.post(f"{url}/departure/events", "viewer").status_code == 403
    entries = api.get("/api/v1/audit", "admin", params={"action": "check_in"}).json()["items"]
    assert [e["details"]["stored"] for e in entries] == [len(marks)]


def test_web_page_offers_standby_and_syncs_marks_once(api: Api) -> None:
    """The check-in page through the app: a resent queue is stored once, freed seats open standby households,
    a viewer's forged sync is refused."""
    base, plan_id, flight_id, flight = _planned(api)
    number = api.get(f"{base}/plans/{plan_id}", "viewer").json()["number"]
    page_url = f"/operations/{base.rsplit('/', 1)[1]}/plans/{number}/flights/{flight_id}/check-in"
    officer = browser(api, "officer1")
    html = officer.get(page_url).text
    assert 'data-count="freed">0<' in html and "Hand no-shows to re-planning" in html
    seated = [p["person_id"] for p in flight["passengers"] if p.get("lap_of") is None]
    queue = json.dumps([_mark(f"web-{i:04d}", c, "no_show") for i, c in enumerate(seated[:6])])
    for expected in ({"stored": 6, "duplicates": 0}, {"stored": 0, "duplicates": 6}):
        r = officer.post(f"{page_url}/marks", data={"csrf_token": csrf(html), "marks": queue})
        assert r.status_code == 200 and r.json() == expected, r.text
    bad = officer.post(f"{page_url}/marks", data={"csrf_token": csrf(html), "marks": "[{}]"})
    assert bad.status_code == 422 and bad.json()["errors"]
    html = officer.get(page_url).text
    assert 'data-count="freed">6<' in html and 'data-count="no_show">6<' in html
    standby = api.get(f"{base}/plans/{plan_id}/flights/{flight_id}/departure", "viewer").json()["standby"]
    for sb in standby:
        assert f'data-household="{sb["household_id"]}"' in html
    plan = api.get(f"{base}/plans/{plan_id}/plan.json", "officer").json()
    elsewhere = next(p["person_id"] for f in plan["flights"] if f["flight_id"] != flight_id for p in f["passengers"])
    stranger = api.get(f"{base}/people/{elsewhere}", "officer").json()
    r = officer.post(f"{page_url}/marks", data={"csrf_token": csrf(html), "marks": json.dumps(
        [_mark("web-9999", elsewhere, "checked_in")])})
    assert r.status_code == 200, r.text
    html = officer.get(page_url).text  # marked here though planned elsewhere: shown with the standby, by name
    assert f'data-household="{stranger["household_id"]}"' in html and stranger["family_name"] in html
    viewer = browser(api, "viewer1")
    html = viewer.get(page_url).text
    assert "Hand no-shows to re-planning" not in html and 'name="status"' not in html
    assert viewer.post(f"{page_url}/marks", data={"csrf_token": csrf(html), "marks": queue}).status_code == 403


def test_kept_view_shows_new_marks_and_caseload_changes_on_every_replica(api: Api, settings: Any) -> None:
    """The departure day is kept per plan version and caseload revision (`api.departure_view`): a mark or a
    person's change sent through one replica shows on the next view through another (PostgreSQL: a second app
    on the same database; the SQLite store has one process)."""
    base, plan_id, flight_id, flight = _planned(api)
    url = f"{base}/plans/{plan_id}/flights/{flight_id}"
    seated = [p["person_id"] for p in flight["passengers"] if p.get("lap_of") is None]
    shared = settings.database_url.startswith("postgresql")
    with contextmanager(make_api)(settings, users=False) if shared else nullcontext(api) as other:
        first = api.get(f"{url}/departure", "viewer").json()  # kept by this replica
        assert first["counts"]["no_show"] == 0 and first["freed_seats"] == 0 and first["standby"] == []
        marks = [_mark("tablet-3001", seated[0], "no_show"), _mark("tablet-3002", seated[1], "no_show")]
        assert other.post(f"{url}/check-in-marks", "officer", json={"marks": marks}).status_code == 200
        view = api.get(f"{url}/departure", "viewer").json()
        assert view["counts"]["no_show"] == 2 and view["freed_seats"] == 2
        mover = seated[2]
        person = other.get(f"{base}/people/{mover}", "officer").json()
        moved = other.patch(f"{base}/people/{mover}", "officer", if_match=person["version"],
                            json={"household_id": "HMOVED"})
        assert moved.status_code == 200, moved.text
        rows = {p["case_id"]: p for p in api.get(f"{url}/departure", "viewer").json()["passengers"]}
        assert rows[mover]["household_id"] == "HMOVED" and rows[seated[0]]["status"] == "no_show"


def test_final_manifest_of_a_flight_cancelled_after_check_in_comes_from_the_plan(api: Api) -> None:
    """Cancelling the flight (an event) removes it from the operation; its final manifest still lists who was
    planned and marked, while its check-in view is gone (404)."""
    base, plan_id, flight_id, flight = _planned(api)
    url = f"{base}/plans/{plan_id}/flights/{flight_id}"
    cases = [p["person_id"] for p in flight["passengers"]]
    marks = [_mark("tablet-4001", cases[0], "boarded"), _mark("tablet-4002", cases[1], "no_show")]
    assert api.post(f"{url}/check-in-marks", "officer", json={"marks": marks}).status_code == 200
    assert api.get(f"{url}/departure", "viewer").status_code == 200  # kept before the cancellation
    cancelled = api.post(f"{base}/events", "officer",
                         json={"events": [{"type": "flight_cancelled", "flight_id": flight_id}]})
    assert cancelled.status_code == 200, cancelled.text
    assert api.get(f"{url}/departure", "viewer").status_code == 404
    rows = lines(api.get(f"{url}/final-manifest", "officer", params={"format": "csv"}).content)
    assert [r[1] for r in rows if len(r) > 1 and r[0].isdigit()] == [cases[0]]
    assert any(r[1] == cases[1] and r[-1] == "did not come" for r in rows if len(r) > 1)
    assert api.get(f"{base}/plans/{plan_id}/flights/NOPE/final-manifest", "officer").status_code == 404
