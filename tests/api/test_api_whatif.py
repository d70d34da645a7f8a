"""What-if through the service: stored variants, parallel runs, comparisons as JSON and CSV, events, re-plans."""

from __future__ import annotations

import csv
import io
from typing import Any

from service_testkit import Api, wait_job

from planner.model.plan import Plan

NO_BAGHDAD = """\
format: charterplan.variant/1
name: no Baghdad flight
description: What if the Baghdad charter is not booked?
flights:
  remove: [MSQ-BGW-1]   # the only flight to BGW
"""
MORE_LAB = {
    "format": "charterplan.variant/1",
    "name": "more lab",
    "base": "ignored/path",
    "testing_sites": {"scale": {"daily_capacity": 2, "capacity_per_slot": 2}},
    "people_filter": {"exclude_households": ["H07"]},
}


def url(op: int, tail: str) -> str:
    return f"/api/v1/operations/{op}/{tail}"


def run(api: Api, op: int, **body: Any) -> list[dict[str, Any]]:
    r = api.post(url(op, "variant-runs"), "officer", json={"time_limit": 2, "seat": False, **body})
    assert r.status_code == 202, r.text
    return [wait_job(api, op, j["id"]) for j in r.json()["jobs"]]


def test_variants_run_in_parallel_and_compare(api: Api) -> None:
    op = api.import_teaching()
    r = api.post(url(op, "variants"), "coordinator", json={"document": NO_BAGHDAD})
    assert r.status_code == 201, r.text
    no_bgw = r.json()
    assert no_bgw["name"] == "no Baghdad flight" and "# the only flight" in no_bgw["document"]
    assert r.headers["etag"] == '"1"'
    formula = api.post(url(op, "variants"), "coordinator", json={"document": {**MORE_LAB, "name": "=more lab"}})
    assert formula.status_code == 422 and "formula" in formula.text  # docs/input.md: refused on every write
    more_lab = api.post(url(op, "variants"), "coordinator", json={"document": MORE_LAB}).json()
    assert "base" not in more_lab["data"]
    assert api.post(url(op, "variants"), "coordinator", json={"document": NO_BAGHDAD}).status_code == 409
    listed = api.get(url(op, "variants"), "viewer").json()
    assert listed["total"] == 2

    jobs = run(api, op, base=True, variant_ids=[no_bgw["id"], more_lab["id"]])
    assert [j["status"] for j in jobs] == ["succeeded"] * 3, jobs
    assert [j["variant_id"] for j in jobs] == [None, no_bgw["id"], more_lab["id"]]
    assert not any(j["seat"] for j in jobs)
    base_plan, bgw_plan, lab_plan = (j["plan_id"] for j in jobs)
    plans = api.get(url(op, f"plans?variant_id={no_bgw['id']}"), "viewer").json()["items"]
    assert [p["id"] for p in plans] == [bgw_plan] and plans[0]["variant_id"] == no_bgw["id"]
    r = api.post(url(op, f"plans/{bgw_plan}/publish"), "coordinator", if_match=1)
    assert r.status_code == 409 and r.json()["type"].endswith("variant-plan")
    excluded = api.get(url(op, f"plans/{lab_plan}/people/C0018"), "viewer").json()
    assert [x["code"] for x in excluded["reasons"]] == ["variant.excluded"]

    r = api.get(url(op, f"comparison?plans={base_plan},{bgw_plan},{lab_plan}"), "viewer")
    assert r.status_code == 200, r.text
    table = r.json()
    assert table["columns"][1:] == ["no Baghdad flight", "more lab"]
    assert [p["plan_id"] for p in table["plans"]] == [base_plan, bgw_plan, lab_plan]
    moved = {row["key"]: row["values"] for row in table["rows"]}["moved"]
    assert moved[1] < moved[0] and moved[2] <= moved[0]
    bgw = {row["key"]: row["values"] for row in table["rows"]}["moved.destination.BGW"]
    assert bgw[1] == 0 < bgw[0]
    assert table["differences"][0] == "reference"
    assert f"-{moved[0] - moved[1]} moved" in table["differences"][1]
    assert "BGW" in table["differences"][1] and table["warnings"] == []

    for kwargs in ({"params": {"plans": f"{base_plan},{bgw_plan},{lab_plan}", "format": "csv"}},
                   {"params": {"plans": f"{base_plan},{bgw_plan},{lab_plan}"}, "headers": {"Accept": "text/csv"}}):
        r = api.get(url(op, "comparison"), "viewer", **kwargs)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert lines[0][:4] == ["key", "section", "label", table["columns"][0]]
        assert lines[0][5] == "more lab"
        by_key = {line[0]: line[3:] for line in lines[1:]}
        assert [int(v) for v in by_key["moved"]] == moved
        assert by_key["differences"][1].startswith("'-")  # "-N moved" would be a formula

    # Plans keep the variant they were solved with: deleting the variant leaves them comparable.
    assert api.delete(url(op, f"variants/{no_bgw['id']}"), "coordinator", if_match=1).status_code == 204
    again = api.get(url(op, f"comparison?plans={base_plan},{bgw_plan}"), "viewer").json()
    assert again["columns"][1] == "no Baghdad flight" and again["differences"][1] == table["differences"][1]

    assert api.get(url(op, f"comparison?plans={base_plan},abc"), "viewer").status_code == 422
    assert api.get(url(op, "comparison?plans=999999"), "viewer").status_code == 404

    # Plan numbers within the operation instead of ids, in the order given; labels stay the same.
    numbers = [p["number"] for p in table["plans"]]
    assert [j["plan_number"] for j in jobs] == numbers
    by_number = api.get(url(op, f"comparison?numbers={numbers[2]},{numbers[0]}"), "viewer")
    assert by_number.status_code == 200, by_number.text
    assert [p["plan_id"] for p in by_number.json()["plans"]] == [lab_plan, base_plan]
    assert by_number.json()["columns"][0] == "more lab"
    missing = api.get(url(op, f"comparison?numbers={numbers[0]},999"), "viewer")
    assert missing.status_code == 404 and "plan 999" in missing.json()["detail"]
    assert api.get(url(op, "comparison"), "viewer").status_code == 422
    assert api.get(url(op, f"comparison?numbers={numbers[0]}&plans={base_plan}"), "viewer").status_code == 422
    assert api.get(url(op, "comparison?numbers=1,x"), "viewer").status_code == 422


def test_bad_variants_are_422_with_field_paths(api: Api) -> None:
    op = api.import_teaching()
    cases = [
        ({"document": "format: charterplan.variant/1\nname: [unclosed"}, "body.document"),
        ({"document": "format: charterplan.variant/2\nname: x"}, "body.document.format"),
        ({"document": {"format": "charterplan.variant/1", "name": "x", "flights": {"keep_first": "many"}}},
         "body.document.flights.keep_first"),
        ({"document": {"format": "charterplan.variant/1", "name": "x", "flights": {"remove": ["NO-SUCH"]}}},
         "body.document.flights.remove[0]"),
        ({"document": "a: &x [1]\nb: *x\n"}, "body.document"),
    ]
    for body, field in cases:
        r = api.post(url(op, "variants"), "coordinator", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        fields = [e["field"] for e in r.json()["errors"]]
        assert any(f.startswith(field) for f in fields), (field, fields)
    assert api.get(url(op, "variants"), "viewer").json()["total"] == 0


def test_variant_update_versions_and_roles(api: Api) -> None:
    op = api.import_teaching()
    body = {"document": NO_BAGHDAD}
    assert api.post(url(op, "variants"), "officer", json=body).status_code == 403
    v = api.post(url(op, "variants"), "coordinator", json=body).json()
    assert api.get(url(op, f"variants/{v['id']}"), "viewer").status_code == 200
    changed = NO_BAGHDAD.replace("no Baghdad flight", "no BGW")
    r = api.patch(url(op, f"variants/{v['id']}"), "coordinator", if_match=1, json={"document": changed})
    assert r.status_code == 200 and r.json()["name"] == "no BGW" and r.json()["version"] == 2
    r = api.patch(url(op, f"variants/{v['id']}"), "coordinator", if_match=1, json={"document": NO_BAGHDAD})
    assert r.status_code == 409
    assert api.patch(url(op, f"variants/{v['id']}"), "coordinator", json=body).status_code == 428
    assert api.post(url(op, "variant-runs"), "viewer", json={"variant_ids": [v["id"]]}).status_code == 403
    assert api.post(url(op, "variant-runs"), "officer", json={"variant_ids": []}).status_code == 422
    assert api.post(url(op, "variant-runs"), "officer", json={"variant_ids": [999999]}).status_code == 404
    more = [api.post(url(op, "variants"), "coordinator", json={"document": {
        "format": "charterplan.variant/1", "name": f"keep {n}", "flights": {"keep_first": n}}}).json()["id"]
        for n in (1, 2, 3)]
    r = api.post(url(op, "variant-runs"), "officer", json={"variant_ids": [v["id"], *more], "base": True})
    assert r.status_code == 429 and r.headers["retry-after"]  # five jobs; the queue takes four: none queued
    assert api.get(url(op, "solve-jobs"), "viewer").json()["total"] == 0
    assert api.delete(url(op, f"variants/{v['id']}"), "officer", if_match=2).status_code == 403
    assert api.delete(url(op, f"variants/{v['id']}"), "coordinator", if_match=2).status_code == 204
    actions = {(e["action"], e["resource"]) for e in api.get("/api/v1/audit", "admin").json()["items"]}
    assert {("create", "variant"), ("update", "variant"), ("delete", "variant")} <= actions


def household(api: Api, op: int, code: str) -> set[str]:
    people = api.get(url(op, f"people?household_id={code}&limit=100"), "viewer").json()["items"]
    return {p["case_id"] for p in people}


def test_events_update_the_operation_and_a_replan_moves_only_that_household(api: Api) -> None:
    op = api.import_teaching()
    first = api.post(url(op, "solve-jobs"), "officer", json={"time_limit": 2}).json()
    plan_id = wait_job(api, op, first["id"])["plan_id"]
    assert api.post(url(op, f"plans/{plan_id}/publish"), "coordinator", if_match=1).status_code == 200
    on_flight = api.get(url(op, f"plans/{plan_id}/people/C0014"), "viewer").json()
    assert on_flight["assigned"], on_flight
    h06 = household(api, op, "H06")
    assert len(h06) == 4

    events = {"format": "charterplan.events/1", "events": [
        {"type": "positive_test", "case_id": "C0014", "date": "2021-11-28"}]}
    assert api.post(url(op, "events"), "viewer", json=events).status_code == 403
    r = api.post(url(op, "events"), "officer", json=events)
    assert r.status_code == 200, r.text
    assert r.json() == {"events": 1, "changes": [
        {"resource": "person", "id": "C0014", "change": "updated",
         "fields": ["last_positive_test", "last_test_result"]}]}
    person = api.get(url(op, "people/C0014"), "viewer").json()
    assert person["last_positive_test"] == "2021-11-28" and person["last_test_result"] == "positive"
    assert api.get(url(op, f"plans/{plan_id}"), "viewer").json()["stale"]
    audit = api.get("/api/v1/audit", "admin", params={"action": "events"}).json()["items"]
    assert audit[0]["details"]["case_ids"] == ["C0014"]

    replan = api.post(url(op, "solve-jobs"), "officer", json={"time_limit": 2, "replan": True}).json()
    done = wait_job(api, op, replan["id"])
    assert done["status"] == "succeeded", done
    diff = api.get(url(op, f"plans/{plan_id}/compare/{done['plan_id']}"), "viewer").json()
    changed = {c["case_id"] for c in diff["changes"]}
    assert changed and changed <= h06, diff
    assert diff["removed"] == len(changed) and diff["retested"] == 0
    # every change per person, with its reason: the household is held back by the positive test
    details = [d for c in diff["changes"] for d in c["details"]]
    assert {d["kind"] for d in details} == {"dropped"} and all(d["reason"].split(":")[0] in (
        "gate.isolation", "household.held_back") for d in details), details
    table = api.get(url(op, f"comparison?plans={plan_id},{done['plan_id']}"), "viewer").json()
    assert table["warnings"] == [f"plan {table['plans'][0]['number']} was solved before the operation's data "
                                 "last changed; its figures are read against the data as it is now"]


def test_bad_events_change_nothing(api: Api) -> None:
    op = api.import_teaching()
    events = {"format": "charterplan.events/1", "events": [
        {"type": "consent_withdrawn", "case_id": "C0001"},
        {"type": "flight_delayed", "flight_id": "NO-SUCH", "hours": 3}]}
    r = api.post(url(op, "events"), "officer", json=events)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.events[1]"
    assert api.get(url(op, "people/C0001"), "viewer").json()["consent"] == "explicit"
    r = api.post(url(op, "events"), "officer", json={"events": [{"type": "positive_test", "case_id": "C0001"}]})
    assert r.status_code == 422 and any("date" in e["field"] for e in r.json()["errors"])
    events = {"events": [{"type": "flight_delayed", "flight_id": "MSQ-BGW-1", "hours": 2},
                         {"type": "lab_slots_cancelled", "site_id": "MINSK-LAB",
                          "start": "2021-11-30T09:00:00+03:00", "end": "2021-11-30T13:00:00+03:00"},
                         {"type": "no_show", "case_id": "C0019", "flight_id": "MSQ-BGW-1"}]}
    r = api.post(url(op, "events"), "officer", json=events)
    assert r.status_code == 200, r.text
    got = {(c["resource"], c["id"]): c["fields"] for c in r.json()["changes"]}
    assert got == {("person", "C0019"): ["consent", "consent_note"], ("flight", "MSQ-BGW-1"): ["departure", "stops"],
                   ("testing_site", "MINSK-LAB"): ["closed"]}
    flight = api.get(url(op, "flights/MSQ-BGW-1"), "viewer").json()
    assert flight["departure"].startswith("2021-12-02T12:00") and flight["version"] == 2


def test_over_long_texts_in_events_and_variants_are_422(api: Api) -> None:
    """Column lengths hold for text arriving through events and variants too (PostgreSQL would refuse it)."""
    op = api.import_teaching()
    events = {"events": [{"type": "consent_withdrawn", "case_id": "C0001", "note": "x" * 5000}]}
    r = api.post(url(op, "events"), "officer", json=events)
    assert r.status_code == 422 and "note" in r.text and "2000" in r.text, r.text
    assert api.get(url(op, "people/C0001"), "viewer").json()["consent"] == "explicit"
    r = api.post(url(op, "variants"), "coordinator", json={"document": {**MORE_LAB, "name": "v" * 300}})
    assert r.status_code == 422 and "document.name" in r.text, r.text


def _solve(api: Api, op: int, **body: Any) -> dict[str, Any]:
    r = api.post(url(op, "solve-jobs"), "officer", json={"time_limit": 2, **body})
    assert r.status_code == 202, r.text
    done = wait_job(api, op, r.json()["id"])
    assert done["status"] == "succeeded", done
    return done


def test_published_flights_are_locked_until_unlocked_on_purpose(api: Api) -> None:
    op = api.import_teaching()
    plan_id = _solve(api, op)["plan_id"]
    assert api.post(url(op, f"plans/{plan_id}/publish"), "coordinator", if_match=1).status_code == 200
    body = api.get(url(op, f"plans/{plan_id}/plan.json"), "officer").json()
    assert body["flights"] and all(fp["locked"] for fp in body["flights"])  # the record says it, for the CLI too
    flight_of = {pa["person_id"]: fp["flight_id"] for fp in body["flights"] for pa in fp["passengers"]}
    waiting = [u.person_id for u in Plan.model_validate(body).unassigned  # the model resolves reasons_of
               if any(r.code == "capacity.seats" for r in u.reasons)]
    leaver = sorted(flight_of)[0]
    code = api.get(url(op, f"people/{leaver}"), "viewer").json()["household_id"]
    gone = household(api, op, code)
    freed = flight_of[leaver]
    assert api.post(url(op, "events"), "officer", json={"events": [
        {"type": "consent_withdrawn", "case_id": leaver}]}).status_code == 200

    locked = _solve(api, op, replan=True)
    assert locked["unlock"] is None and locked["full"] is False and locked["previous_plan_id"] == plan_id
    diff = api.get(url(op, f"plans/{plan_id}/compare/{locked['plan_id']}"), "viewer").json()
    # the household leaves and its seats stay empty; nobody else changes flight, seat or sample
    assert {(c["case_id"], d["kind"]) for c in diff["changes"] for d in c["details"]} == {
        (p, "dropped") for p in gone}
    assert diff["removed"] == len(gone) and diff["added"] == diff["moved"] == diff["seat_changed"] == 0
    assert all(d["reason"].startswith("gate.consent") for c in diff["changes"] for d in c["details"]
               if c["case_id"] == leaver)
    new = api.get(url(op, f"plans/{locked['plan_id']}/plan.json"), "officer").json()
    assert all(fp["locked"] for fp in new["flights"])

    # the draft is not published: re-plan from the published plan again, with the freed flight unlocked
    unlocked = _solve(api, op, replan=True, unlock=[freed])
    assert unlocked["unlock"] == [freed]
    new = api.get(url(op, f"plans/{unlocked['plan_id']}/plan.json"), "officer").json()
    assert {fp["flight_id"]: fp["locked"] for fp in new["flights"]} == {
        fp["flight_id"]: fp["flight_id"] != freed for fp in body["flights"]}
    diff = api.get(url(op, f"plans/{plan_id}/compare/{unlocked['plan_id']}"), "viewer").json()
    kinds = {(c["case_id"], d["kind"]) for c in diff["changes"] for d in c["details"]}
    assert {(p, "dropped") for p in gone} <= kinds
    added = {p for p, k in kinds if k == "added"}
    assert added <= set(waiting) and (bool(added) or not waiting)
    assert {k for p, k in kinds if p not in gone | added} <= {"retest"}

    full = _solve(api, op, replan=True, full=True)
    assert full["full"] is True and full["previous_plan_id"] == plan_id
    new = api.get(url(op, f"plans/{full['plan_id']}/plan.json"), "officer").json()
    assert not any(fp["locked"] for fp in new["flights"])  # nothing has departed: nothing is kept


def test_solve_requests_are_checked(api: Api) -> None:
    op = api.import_teaching()

    def post(body: dict[str, Any]) -> Any:
        return api.post(url(op, "solve-jobs"), "officer", json=body)

    r = post({"time_limit": 1, "unlok": ["MSQ-BGW-1"]})
    assert r.status_code == 422 and any(e["field"] == "body.unlok" for e in r.json()["errors"]), r.text
    r = post({"replan": True, "unlock": ["MSQ-BGW-1", "NO-SUCH"]})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["body.unlock[1]"], r.text
    assert "NO-SUCH" in r.json()["errors"][0]["message"]
    r = post({"unlock": ["all"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.unlock"
    r = post({"full": True})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.full"
    r = post({"replan": True, "full": True, "unlock": ["all"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.unlock"
    r = post({"replan": True, "unlock": ["all", "MSQ-BGW-1"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.unlock"
    assert post({"replan": True, "unlock": ["all"]}).status_code == 409  # valid, but nothing is published
    r = api.post(url(op, "variant-runs"), "officer", json={"base": True, "sead": False})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.sead"
    assert api.get(url(op, "solve-jobs"), "viewer").json()["total"] == 0


def test_simultaneous_solve_requests_queue_one_job(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    op = api.import_teaching()
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda _: api.post(url(op, "solve-jobs"), "officer",
                                                   json={"time_limit": 1}).status_code, range(4)))
    assert codes == [202, 409, 409, 409]
    jobs = api.get(url(op, "solve-jobs"), "viewer").json()["items"]
    assert len(jobs) == 1
    wait_job(api, op, jobs[0]["id"])
