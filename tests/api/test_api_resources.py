"""CRUD, pagination and filters, problem details, versions and ETags, erasure, pins."""

from __future__ import annotations

import threading

from service_testkit import Api


def test_problem_details_for_404_422_409_428(api: Api) -> None:
    r = api.get("/api/v1/operations/999", "viewer")
    assert r.status_code == 404
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["status"] == 404 and body["type"].endswith("not-found") and body["instance"] == "/api/v1/operations/999"

    op = api.import_teaching()
    r = api.post(f"/api/v1/operations/{op}/flights", "officer", json={
        "id": "X1", "aircraft": "A320-180Y", "origin": "msq", "departure": "2021-12-01T10:00:00",
        "stops": [{"airport": "EBL"}]})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"body.origin", "body.departure", "body.stops[0].arrival"} <= fields

    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", json={"notes": "x"})
    assert r.status_code == 428
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=7, json={"notes": "x"})
    assert r.status_code == 409 and r.json()["current_version"] == 1
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", json={"notes": "x", "version": 1})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=2, json={"nickname": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.nickname"
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=2, json={"sex": "Q"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.sex"
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=2, json={"destination": "BGW"})
    assert r.status_code == 422 and "household" in r.json()["errors"][0]["message"]


def test_two_officers_updating_the_same_person_never_lose_an_update(api: Api) -> None:
    op = api.import_teaching()
    url = f"/api/v1/operations/{op}/people/C0002"
    version = api.get(url, "officer").json()["version"]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def edit(note: str) -> None:
        barrier.wait()
        results.append(api.patch(url, "officer", if_match=version, json={"notes": note}).status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert api.get(url).json()["version"] == version + 1


def test_flight_crud_with_etags(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/flights"
    flight = {"id": "MSQ-EBL-2", "aircraft": "A320-180Y", "origin": "MSQ",
              "departure": "2021-12-03T10:00:00+03:00", "stops": [{"airport": "EBL",
                                                                   "arrival": "2021-12-03T14:10:00+03:00"}]}
    r = api.post(base, "officer", json=flight)
    assert r.status_code == 201 and r.headers["etag"] == '"1"'
    assert api.post(base, "officer", json=flight).status_code == 409
    assert api.post(base, "viewer", json=flight).status_code == 403
    r = api.patch(f"{base}/MSQ-EBL-2", "officer", if_match=1, json={"check_in_minutes": 120})
    assert r.status_code == 200 and r.json()["check_in_minutes"] == 120 and r.json()["version"] == 2
    r = api.patch(f"{base}/MSQ-EBL-2", "officer", if_match=1, json={"check_in_minutes": 100})
    assert r.status_code == 409
    page = api.get(base, "viewer", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert api.delete(f"{base}/MSQ-EBL-2", "officer", if_match=1).status_code == 409
    assert api.delete(f"{base}/MSQ-EBL-2", "officer", if_match=2).status_code == 204
    assert api.get(f"{base}/MSQ-EBL-2", "viewer").status_code == 404


def test_people_filters_and_pagination(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/people"
    assert api.get(base, "viewer").json()["total"] == 24
    page = api.get(base, "viewer", params={"limit": 5, "offset": 20}).json()
    assert [p["case_id"] for p in page["items"]] == ["C0021", "C0022", "C0023", "C0024"]
    assert api.get(base, "viewer", params={"destination": "BGW"}).json()["total"] == 13
    assert api.get(base, "viewer", params={"location": "MINSK-HOTEL-1"}).json()["total"] == 10
    vul = api.get(base, "viewer", params={"vulnerability": "border_exposure"}).json()
    assert "C0001" in [p["case_id"] for p in vul["items"]]
    ineligible = {p["case_id"] for p in api.get(base, "viewer", params={"eligible": False}).json()["items"]}
    assert {"C0008", "C0009"} <= ineligible and "C0001" not in ineligible
    assert api.get(base, "viewer", params={"household_id": "H01"}).json()["total"] == 5
    households = api.get(f"/api/v1/operations/{op}/households", "viewer").json()
    assert households["total"] == 8 and households["items"][0] == {
        "household_id": "H01", "members": 5, "destination": "EBL", "location": "BRUZGI"}
    assert api.get(base, "viewer", params={"limit": 0}).status_code == 422


def test_erasure_keeps_a_tombstone_and_plan_counts(api: Api) -> None:
    from service_testkit import wait_job

    op = api.import_teaching()
    job = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 1}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]
    before = api.get(f"/api/v1/operations/{op}/plans/{plan_id}/reasons", "viewer").json()
    assert api.post(f"/api/v1/operations/{op}/people/C0009/erase", "officer").status_code == 403
    r = api.post(f"/api/v1/operations/{op}/people/C0009/erase", "coordinator")
    assert r.status_code == 200
    p = r.json()
    assert p["erased"] and p["given_name"] == "" and p["date_of_birth"] is None and p["document_number"] == ""
    assert api.get(f"/api/v1/operations/{op}/people/C0009", "viewer").json()["family_name"] == ""
    assert api.get(f"/api/v1/operations/{op}/people", "viewer").json()["total"] == 23
    assert api.get(f"/api/v1/operations/{op}/plans/{plan_id}/reasons", "viewer").json() == before
    assert api.patch(f"/api/v1/operations/{op}/people/C0009", "officer", if_match=p["version"],
                     json={"notes": "x"}).status_code == 409


def test_pins_are_passed_to_the_solver(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/pins"
    assert api.put(f"{base}/C0014", "officer", json={"case_id": "C0014", "flight_id": "NOPE"}).status_code == 422
    assert api.put(f"{base}/C9999", "officer", json={"case_id": "C9999", "flight_id": "MSQ-BGW-1"}).status_code == 404
    r = api.put(f"{base}/C0014", "officer", json={"case_id": "C0014", "flight_id": "MSQ-BGW-1"})
    assert r.status_code == 200
    assert [p["case_id"] for p in api.get(base, "viewer").json()] == ["C0014"]
    from service_testkit import wait_job

    job = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 1}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]
    why = api.get(f"/api/v1/operations/{op}/plans/{plan_id}/people/C0014", "viewer").json()
    assert why["flight_id"] == "MSQ-BGW-1"
    assert api.delete(f"{base}/C0014", "officer").status_code == 204


def test_operation_and_protocol_updates(api: Api) -> None:
    op = api.import_teaching()
    r = api.get(f"/api/v1/operations/{op}/protocol", "viewer")
    protocol = r.json()["protocol"]
    protocol["lab_turnaround_hours"] = 12
    r = api.put(f"/api/v1/operations/{op}/protocol", "coordinator", if_match=r.json()["version"],
                json={"protocol": protocol})
    assert r.status_code == 200 and r.json()["protocol"]["lab_turnaround_hours"] == 12
    r = api.patch(f"/api/v1/operations/{op}", "coordinator", if_match=1, json={"timezone": "Mars/Olympus"})
    assert r.status_code == 422
    r = api.patch(f"/api/v1/operations/{op}", "coordinator", if_match=1, json={"name": "Renamed"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    r = api.put(f"/api/v1/operations/{op}/testing-sites/MINSK-LAB/slots", "officer", if_match=1, json={
        "slots": [{"start": "2021-11-30T09:00:00+03:00", "end": "2021-11-30T10:00:00+03:00", "capacity": 3}]})
    assert r.status_code == 200 and len(r.json()["slots"]) == 1
    site = {"id": "NEW-LAB", "serves": ["BRUZGI"], "days": {"from": "2021-11-29", "to": "2021-11-30"},
            "slots": [{"start": "2021-11-29T09:00:00+03:00", "end": "2021-11-29T10:00:00+03:00", "capacity": 2}]}
    assert api.post(f"/api/v1/operations/{op}/testing-sites", "officer", json=site).status_code == 201
    assert len(api.get(f"/api/v1/operations/{op}/testing-sites/NEW-LAB/slots").json()["slots"]) == 1
    assert api.delete(f"/api/v1/operations/{op}", "coordinator", if_match=2).status_code == 204
    assert api.get(f"/api/v1/operations/{op}", "viewer").status_code == 404
