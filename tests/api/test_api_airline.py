"""Airline and border messages through the real app (docs/airline.md, "In the service"): the PNL and ADLs read
back by the independent reader of tests/airline give the current manifest after a re-plan; the PAXLST refuses
incomplete data unless forced by an officer, audited with a count; the API fields of a person."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from service_testkit import SQLITE_ONLY, Api, wait_job
from sqlmodel import Session, select

from airline.teletype_reader import Pax, apply, read
from airline.test_paxlst import passengers, segments
from api.sent_messages import SentMessage

FLIGHT = "MSQ-EBL-1"
Key = tuple[str, str, str, str, str]


def _parts(text: str) -> list[str]:
    """The parts of a downloaded teletype message (each ends ENDPARTn, the last END<kind>)."""
    out, current = [], []
    for line in text.splitlines(keepends=True):
        current.append(line)
        if line.startswith("END"):
            out.append("".join(current))
            current = []
    assert not current, "text after the end element"
    return out


def _as_set(state: dict[Key, Pax]) -> set[tuple[object, ...]]:
    return {(*p.key, p.seat, tuple(p.ssrs), p.infant) for p in state.values()}


def _solve(api: Api, op: int, **body: Any) -> int:
    r = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 3, **body})
    assert r.status_code == 202, r.text
    job = wait_job(api, op, r.json()["id"], timeout=120)
    assert job["status"] == "succeeded", job
    return int(job["plan_id"])


def _publish(api: Api, op: int, plan_id: int) -> None:
    plan = api.get(f"/api/v1/operations/{op}/plans/{plan_id}", "viewer").json()
    r = api.post(f"/api/v1/operations/{op}/plans/{plan_id}/publish", "coordinator", if_match=plan["version"])
    assert r.status_code == 200, r.text


def _patch(api: Api, op: int, case_id: str, **fields: Any) -> Any:
    person = api.get(f"/api/v1/operations/{op}/people/{case_id}").json()
    return api.patch(f"/api/v1/operations/{op}/people/{case_id}", "officer", if_match=person["version"],
                     json=fields)


def _on_flight(api: Api, op: int, plan_id: int) -> list[str]:
    page = api.get(f"/api/v1/operations/{op}/people", "viewer",
                   params={"flight": FLIGHT, "plan_id": plan_id, "limit": 200}).json()
    return [p["case_id"] for p in page["items"]]


def test_person_api_fields_read_edit_import_and_export(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}/people"
    person = api.get(f"{base}/C0001").json()
    assert person["document_issuing_state"] == "IRQ" and person["country_of_birth"] == "IRQ"
    assert person["place_of_birth"] == ""
    r = _patch(api, op, "C0001", place_of_birth="Koya", country_of_birth="SYR")
    assert r.status_code == 200, r.text
    assert r.json()["place_of_birth"] == "Koya" and r.json()["country_of_birth"] == "SYR"
    again = api.get(f"{base}/C0001").json()
    assert (again["place_of_birth"], again["country_of_birth"], again["given_name"]) == ("Koya", "SYR", "Rebin")
    r = _patch(api, op, "C0001", document_issuing_state="iraq")
    assert r.status_code == 422 and "document_issuing_state" in r.text, r.text
    r = _patch(api, op, "C0001", document_issuing_state=None)
    assert r.status_code == 200 and r.json()["document_issuing_state"] is None

    # the people import reads the columns, and the scenario export writes them
    export = api.get(f"/api/v1/operations/{op}/scenario.zip", "officer")
    with zipfile.ZipFile(io.BytesIO(export.content)) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("people.csv").decode("utf-8-sig"))))
    row = next(r for r in rows if r["case_id"] == "C0001")
    assert (row["place_of_birth"], row["country_of_birth"], row["document_issuing_state"]) == ("Koya", "SYR", "")
    row.update(place_of_birth="Erbil", document_issuing_state="IRQ")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(row)
    r = api.post(f"{base}/import", "officer", files={"file": ("people.csv", out.getvalue().encode(), "text/csv")})
    assert r.status_code == 200 and r.json()["updated"] == 1, r.text
    imported = api.get(f"{base}/C0001").json()
    assert (imported["place_of_birth"], imported["document_issuing_state"]) == ("Erbil", "IRQ")
    row["country_of_birth"] = "XX"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerow(row)
    r = api.post(f"{base}/import", "officer", files={"file": ("people.csv", out.getvalue().encode(), "text/csv")})
    assert r.status_code == 422 and "country_of_birth" in r.text, r.text


@SQLITE_ONLY  # messages built from the stored plan (conftest.py); the person fields above run on both
def test_pnl_and_adls_give_the_current_manifest_after_a_replan(api: Api) -> None:
    op = api.import_teaching()
    first = _solve(api, op)
    url = f"/api/v1/operations/{op}/plans/{first}/flights/{FLIGHT}"
    assert api.get(f"{url}/pnl", "viewer").status_code == 403
    assert api.post(f"{url}/pnl", "officer").status_code == 409  # a draft is not sent
    assert api.post(f"{url}/adl", "officer").json()["type"].endswith("no-pnl-sent")
    _publish(api, op, first)
    r = api.post(f"{url}/pnl", "officer", params={"designator": "ZZ0101"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text
    assert "attachment" in r.headers["content-disposition"]
    pnl = read(_parts(r.text), "PNL")
    assert pnl.flight.startswith("ZZ0101/") and pnl.sections[""]
    state = {p.key: p for p in pnl.sections[""]}
    assert api.get(f"{url}/pnl", "officer", params={"designator": "Z1"}).status_code == 422

    # one passenger withdraws consent, one gets a new Latin spelling, C0008 gets a passport; re-plan, publish
    on = _on_flight(api, op, first)
    leaving, renamed = on[0], on[-1]
    assert _patch(api, op, leaving, consent="none").status_code == 200
    assert _patch(api, op, renamed, given_name="Newname").status_code == 200
    assert _patch(api, op, "C0008", document_type="passport", document_number="N0008123",
                  document_expiry="2026-01-01", document_issuing_state="IRQ").status_code == 200
    second = _solve(api, op, replan=True, unlock=["all"])
    _publish(api, op, second)
    url2 = f"/api/v1/operations/{op}/plans/{second}/flights/{FLIGHT}"
    r = api.post(f"{url2}/adl", "officer", params={"designator": "ZZ0101"})
    assert r.status_code == 200, r.text
    adl = read(_parts(r.text), "ADL")
    assert any(p.given.startswith("NEWNAME") for p in adl.sections["ADD"])
    assert len(adl.sections["DEL"]) >= 2  # the one who left and the old spelling
    apply(state, adl)
    current = read(_parts(api.get(f"{url2}/pnl", "officer", params={"designator": "ZZ0101"}).text), "PNL")
    assert _as_set(state) == _as_set({p.key: p for p in current.sections[""]})
    assert adl.totals == current.totals

    # a later ADL starts from the last one: nothing changed since
    later = read(_parts(api.post(f"{url2}/adl", "officer", params={"designator": "ZZ0101"}).text), "ADL")
    assert not any(later.sections[s] for s in ("DEL", "ADD", "CHG"))
    status = api.get(f"{url2}/messages", "viewer").json()
    assert [s["kind"] for s in status["sent"]] == ["ADL", "ADL", "PNL"]
    assert status["adl_base"]["plan_id"] == second
    audit = api.get("/api/v1/audit", "coordinator", params={"action": "send", "limit": 50}).json()["items"]
    assert sorted(e["resource"] for e in audit) == ["adl", "adl", "pnl"]

    # erasing a person removes them from the rosters kept for later ADLs
    r = api.post(f"/api/v1/operations/{op}/people/{on[1]}/erase", "coordinator")
    assert r.status_code == 200, r.text
    with Session(api.client.app.state.engine) as s:  # type: ignore[attr-defined]
        rosters = [m.roster for m in s.exec(select(SentMessage)).all()]
    assert all(r["case_id"] != on[1] for roster in rosters for r in roster)


def _warnings(api: Api, url: str) -> list[dict[str, str]]:
    r = api.get(f"{url}/paxlst/warnings", "viewer")
    assert r.status_code == 200, r.text
    return list(r.json()["warnings"])


@SQLITE_ONLY  # messages built from the stored plan (conftest.py)
def test_paxlst_refuses_incomplete_data_unless_an_officer_forces_it(api: Api) -> None:
    op = api.import_teaching()
    plan = _solve(api, op)
    url = f"/api/v1/operations/{op}/plans/{plan}/flights/{FLIGHT}"
    assert _warnings(api, url) == []
    on = _on_flight(api, op, plan)
    assert _patch(api, op, on[0], document_issuing_state=None, place_of_birth="Koya").status_code == 200
    assert _patch(api, op, on[1], country_of_birth=None).status_code == 200
    found = _warnings(api, url)
    assert {(w["case_id"], w["field"]) for w in found} == {(on[0], "document_issuing_state"),
                                                            (on[1], "country_of_birth")}
    r = api.get(f"{url}/paxlst", "officer")
    assert r.status_code == 409 and r.json()["people"] == 2, r.text
    assert {w["case_id"] for w in r.json()["warnings"]} == {on[0], on[1]}
    assert api.get(f"{url}/paxlst", "viewer", params={"force": "true"}).status_code == 403
    r = api.get(f"{url}/paxlst", "officer", params={"force": "true", "sender": "IOMBY", "receiver": "IQAPIS"})
    assert r.status_code == 200, r.text
    segs = segments(r.text)
    groups = passengers(segs)
    cnt = next(s for s in segs if s[0][0] == "CNT")
    assert cnt[1] == ["42", str(len(groups))] and len(groups) == len(on)
    assert any(s[1] == ["180"] and s[2][-1] == "KOYA" for g in groups for s in g if s[0][0] == "LOC")
    entry = api.get("/api/v1/audit", "coordinator", params={"action": "export", "limit": 50}).json()["items"]
    forced = [e for e in entry if e["resource"] == "paxlst"]
    assert len(forced) == 1 and forced[0]["details"]["incomplete"] == 2 and forced[0]["details"]["forced"]
    person = api.get(f"/api/v1/operations/{op}/people/{on[0]}").json()
    assert person["family_name"] not in str(forced[0])
