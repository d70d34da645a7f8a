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


def test_eligible_filter_is_the_gates_at_as_of(api: Api) -> None:
    """Proxy consent with an empty note and a missing document expiry fail their gates (planner.rules.gates);
    the answer follows every edit, and erased people are never eligible."""
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/people"

    def split() -> tuple[set[str], set[str]]:
        found = [{p["case_id"] for p in api.get(base, "viewer", params={"eligible": flag, "limit": 1000,
                                                                        "include_erased": True}).json()["items"]}
                 for flag in (True, False)]
        return found[0], found[1]

    eligible, ineligible = split()
    assert {"C0001", "C0002"} <= eligible and not eligible & ineligible and len(eligible | ineligible) == 24
    for case_id, patch in (("C0001", {"consent": "proxy", "consent_note": ""}), ("C0002", {"document_expiry": None})):
        assert api.patch(f"{base}/{case_id}", "officer", json={**patch, "version": 1}).status_code == 200
    eligible, ineligible = split()
    assert {"C0001", "C0002"} <= ineligible and not {"C0001", "C0002"} & eligible
    assert api.patch(f"{base}/C0001", "officer", json={"consent_note": "signed by the spouse", "version": 2}
                     ).status_code == 200
    assert api.post(f"{base}/C0003/erase", "coordinator").status_code == 200
    eligible, ineligible = split()
    assert "C0001" in eligible and "C0003" in ineligible and len(eligible | ineligible) == 24


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
    assert p["erased"] and p["case_id"] == "C0009"
    # every personal and health field is blank or neutral; only the case_id links the tombstone to plans
    blank = {"household_id": "", "given_name": "", "family_name": "", "name_native": "", "sex": "",
             "date_of_birth": None, "nationality": "", "destination": "", "location": "", "testing_site": None,
             "consent": "", "consent_date": None, "consent_note": "", "document_type": "", "document_number": "",
             "document_expiry": None, "exit_cleared": False, "fitness": "pending", "mobility": "none",
             "pregnant": False, "evacuation_capable": True, "unaccompanied_minor": False,
             "best_interests_approved": False, "reception_contact": "", "vaccinated": False,
             "last_positive_test": None, "last_test_sample": None, "last_test_result": None,
             "registered_on": None, "vulnerabilities": [], "notes": ""}
    assert {k: p[k] for k in blank} == blank
    from api.person_rows import ERASURE_VALUES, EXTRA_FIELDS, PERSON_FIELDS

    # a new field is erased unless kept on purpose: in its column, or with every field without one (`extra`)
    assert set(PERSON_FIELDS) - set(ERASURE_VALUES) - set(EXTRA_FIELDS) == {"case_id"}
    assert ERASURE_VALUES["extra"] == {}
    listed = api.get(f"/api/v1/operations/{op}/people", "viewer", params={"include_erased": True,
                                                                          "case_id": "C0009"}).json()
    assert listed["items"][0]["erased"] and listed["items"][0]["sex"] == ""
    assert api.get(f"/api/v1/operations/{op}/people/C0009", "viewer").json()["family_name"] == ""
    assert api.get(f"/api/v1/operations/{op}/people", "viewer").json()["total"] == 23
    assert api.get(f"/api/v1/operations/{op}/plans/{plan_id}/reasons", "viewer").json() == before
    assert api.patch(f"/api/v1/operations/{op}/people/C0009", "officer", if_match=p["version"],
                     json={"notes": "x"}).status_code == 409


def test_an_erased_passenger_shows_only_the_case_id_on_the_manifest(api: Api) -> None:

    from service_testkit import wait_job

    op = api.import_teaching()
    job = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 1}).json()
    plan_id = wait_job(api, op, job["id"])["plan_id"]

    from test_api_e2e import table

    def c0002() -> dict[str, str]:
        r = api.get(f"/api/v1/operations/{op}/plans/{plan_id}/flights/MSQ-EBL-1/manifest", "officer",
                    params={"format": "csv"})
        return next(x for x in table(r.content) if x["Case or escort number"] == "C0002")

    def exports() -> int:
        entries = api.get("/api/v1/audit", "admin", params={"action": "export", "limit": 1000}).json()["items"]
        return sum(1 for e in entries if e["resource"] == "manifest")

    # manifests are rendered once and kept until the caseload changes; each download is still audited
    assert c0002() == c0002() and exports() == 2
    person = api.get(f"/api/v1/operations/{op}/people/C0002", "viewer").json()
    r = api.patch(f"/api/v1/operations/{op}/people/C0002", "officer", if_match=person["version"],
                  json={"family_name": "Renamed"})
    assert r.status_code == 200, r.text
    assert c0002()["Family name"] == "Renamed"
    assert api.post(f"/api/v1/operations/{op}/people/C0002/erase", "coordinator").status_code == 200
    row = c0002()
    assert exports() == 4
    assert row["Family name"] == row["Given names"] == row["Date of birth"] == "[erased]"
    assert row["Sex"] == row["Nationality"] == row["Travel document"] == row["Destination"] == ""
    assert row["Needs, infants and escorts"] == row["Name in own script"] == ""


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
    assert api.delete(f"{base}/C0014", "officer", if_match=1).status_code == 204


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


def test_pin_versions_etags_and_two_officers_racing(api: Api) -> None:
    op = api.import_teaching()
    url = f"/api/v1/operations/{op}/pins/C0014"
    body = {"case_id": "C0014", "flight_id": "MSQ-BGW-1"}
    assert api.put(url, "officer", if_match=1, json=body).status_code == 409  # expects a pin that is not there
    r = api.put(url, "officer", json=body)  # a new pin needs no version
    assert r.status_code == 200 and r.headers["etag"] == '"1"' and r.json()["version"] == 1
    r = api.get(url, "viewer")
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert api.put(url, "officer", json={**body, "seat": "12A"}).status_code == 428
    r = api.put(url, "officer", json={**body, "seat": "12A", "version": 1})
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["seat"] == "12A"
    r = api.put(url, "officer", if_match=1, json=body)
    assert r.status_code == 409 and r.json()["current_version"] == 2
    assert api.delete(url, "officer").status_code == 428
    assert api.delete(url, "officer", if_match=1).status_code == 409
    assert api.get(url, "viewer").json()["seat"] == "12A"  # nothing was lost

    results: list[int] = []
    barrier = threading.Barrier(2)

    def race(call) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        results.append(call().status_code)

    def run(*calls) -> list[int]:  # type: ignore[no-untyped-def]
        results.clear()
        threads = [threading.Thread(target=race, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(results)

    # two officers re-pin from the same version: one wins, the other is told
    assert run(lambda: api.put(url, "officer", if_match=2, json={**body, "seat": "3C"}),
               lambda: api.put(url, "officer", if_match=2, json={**body, "seat": "4D"})) == [200, 409]
    assert api.get(url, "viewer").json()["version"] == 3
    # one deletes while the other re-pins from the same version
    assert run(lambda: api.delete(url, "officer", if_match=3),
               lambda: api.put(url, "officer", if_match=3, json=body)) in ([200, 409], [204, 409])
    # two officers create the same new pin at once: one creates it; the other is told, never a 500 — 409 when
    # both found no pin, 428 when the winner had committed first (changing a pin needs its version)
    left = api.get(url, "viewer")
    assert left.status_code == (200 if 200 in results else 404)
    other = f"/api/v1/operations/{op}/pins/C0001"
    assert run(lambda: api.put(other, "officer", json={"case_id": "C0001", "flight_id": "MSQ-EBL-1"}),
               lambda: api.put(other, "officer", json={"case_id": "C0001", "flight_id": "MSQ-BGW-1"})) in (
        [200, 409], [200, 428])
    assert api.get(other, "viewer").json()["version"] == 1  # the loser changed nothing


def test_over_long_text_is_a_422_with_the_field_not_a_database_error(api: Api) -> None:
    from api import models as m
    from api.columns import column_length

    op = api.import_teaching()
    people = f"/api/v1/operations/{op}/people"
    name = "N" * (column_length(m.Person, "given_name") + 1)
    r = api.patch(f"{people}/C0001", "officer", if_match=1, json={"given_name": name})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["body.given_name"]
    assert "at most 200" in r.json()["errors"][0]["message"]
    ok = api.patch(f"{people}/C0001", "officer", if_match=1, json={"given_name": "N" * 200})
    assert ok.status_code == 200  # exactly the column's length is fine
    new = {**api.get(f"{people}/C0002").json(), "case_id": "C0100", "document_number": "D" * 100,
           "notes": "x" * 4001}
    for key in ("id", "erased", "updated_at", "version"):
        new.pop(key)
    r = api.post(people, "officer", json=new)
    assert r.status_code == 422
    assert sorted(e["field"] for e in r.json()["errors"]) == ["body.document_number", "body.notes"]
    assert api.get(f"{people}/C0100").status_code == 404

    flight = {"id": "F" * 65, "aircraft": "A320-180Y", "origin": "MSQ", "departure": "2021-12-03T10:00:00+03:00",
              "stops": [{"airport": "EBL", "arrival": "2021-12-03T14:10:00+03:00"}]}
    r = api.post(f"/api/v1/operations/{op}/flights", "officer", json=flight)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.id"
    r = api.post(f"/api/v1/operations/{op}/escorts", "officer", json={"id": "E" * 65, "role": "operational"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.id"
    site = {"id": "S" * 65, "serves": ["BRUZGI"], "days": {"from": "2021-11-29", "to": "2021-11-30"}}
    r = api.post(f"/api/v1/operations/{op}/testing-sites", "officer", json=site)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.id"
    r = api.put(f"/api/v1/operations/{op}/pins/C0001", "officer",
                json={"case_id": "C0001", "flight_id": "X" * 65})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.flight_id"
    r = api.patch(f"/api/v1/operations/{op}", "coordinator", if_match=1, json={"name": "O" * 201})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.name"


def test_list_reads_of_personal_data_are_audited(api: Api) -> None:
    op = api.import_teaching()
    people = f"/api/v1/operations/{op}/people"
    r = api.get(people, "viewer", params={"limit": 1000, "destination": "BGW"})
    assert r.status_code == 200 and r.json()["total"] == 13
    entries = api.get("/api/v1/audit", "coordinator", params={"action": "read"}).json()["items"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["actor"] == "viewer1" and entry["resource"] == "people" and entry["operation_id"] == op
    assert entry["details"] == {"count": 13, "total": 13, "limit": 1000, "offset": 0,
                                "filters": {"destination": "BGW"}}
    first = r.json()["items"][0]
    assert first["family_name"] not in str(entry) and first["document_number"] not in str(entry)
    assert api.get(people, "viewer", params={"case_id": "NOPE"}).json()["total"] == 0  # nothing shown
    assert len(api.get("/api/v1/audit", "coordinator", params={"action": "read"}).json()["items"]) == 1
