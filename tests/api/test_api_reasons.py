"""Reasons as the service stores and shows them: once per reason with the flights it applies to, whether the row
was stored so or, before that, one reason per flight (docs/rules.md#explanations, docs/api.md)."""

from __future__ import annotations

from service_testkit import Api, wait_job
from sqlalchemy import update
from sqlmodel import Session, select

from api import models as m
from api.db import make_engine
from api.stored_reasons import flights_of, grouped, in_words
from api.web.routes_people import _reasons
from api.worker import plan_rows, plan_summary
from planner.model.plan import Plan, Reason, ScenarioRef, Unassigned

OLD_ROW = [{"code": "capacity.seats", "message": "no seats left on this flight", "flight_id": "F1"},
           {"code": "capacity.seats", "message": "no seats left on this flight", "flight_id": "F2"},
           {"code": "gate.consent", "message": "no informed voluntary consent recorded", "flight_id": None}]


def test_rows_stored_one_reason_per_flight_read_grouped() -> None:
    assert grouped(OLD_ROW) == [
        {"code": "capacity.seats", "message": "no seats left on this flight", "flights": ["F1", "F2"]},
        {"code": "gate.consent", "message": "no informed voluntary consent recorded", "flights": None}]
    new = [{"code": "gate.consent", "message": "x", "flights": "all"}]
    assert grouped(new) == new


def test_reasons_in_plain_words_say_each_reason_once_with_its_flights() -> None:
    words = [in_words(r, "EBL") for r in grouped(OLD_ROW)]
    assert words == ["no seats left on this flight (flights F1, F2)", "no informed voluntary consent recorded"]
    every = {"code": "gate.consent", "message": "no consent", "flights": "all"}
    assert in_words(every, "EBL") == "no consent (every flight to EBL)"
    assert flights_of(every, ["F1", "F2"]) == ["F1", "F2"] and flights_of(every, None) is None


def test_person_page_groups_say_every_flight_for_all_and_name_the_others() -> None:
    stored = [{"code": "capacity.seats", "message": "full", "flights": ["F1"]},
              {"code": "household.held_back", "message": "held", "flights": "all"}]
    groups = _reasons(stored, serving=3)
    assert [(g.code, g.flights, g.every_flight) for g in groups] == [
        ("capacity.seats", ["F1"], False), ("household.held_back", [], True)]
    old = _reasons(OLD_ROW, serving=2)  # both flights to the destination, from a row of the older shape
    assert [(g.code, g.flights, g.every_flight) for g in old] == [
        ("capacity.seats", [], True), ("gate.consent", [], False)]


def test_reason_counts_per_flight_spell_out_all_flights() -> None:
    from builders import flight, person, scenario

    s = scenario([person("A"), person("B", "H2")], flights=[flight("F1", day=1), flight("F2", day=2)])
    plan = Plan(scenario=ScenarioRef(name="t", sha256="0"), unassigned=[
        Unassigned(person_id="A", reasons=[Reason(code="gate.consent", message="c", flights="all")]),
        Unassigned(person_id="B", reasons=[Reason(code="capacity.seats", message="s", flights=["F2"])])])
    rows, counts = plan_rows(plan)
    assert counts == {"capacity.seats": 1, "gate.consent": 1}
    assert rows[0]["reasons"] == [{"code": "gate.consent", "message": "c", "flights": "all"}]
    assert plan_summary(rows, s)["by_flight"] == {"F1": {"gate.consent": 1},
                                                  "F2": {"capacity.seats": 1, "gate.consent": 1}}
    assert plan_summary(rows)["by_flight"] == {"(all)": {"gate.consent": 1}, "F2": {"capacity.seats": 1}}


def test_explanation_of_a_stored_plan_old_rows_included(api: Api) -> None:
    op = api.import_teaching()
    base = f"/api/v1/operations/{op}"
    job = wait_job(api, op, api.post(f"{base}/solve-jobs", "officer", json={"time_limit": 2}).json()["id"])
    assert job["status"] == "succeeded", job
    plan_id = job["plan_id"]
    why = api.get(f"{base}/plans/{plan_id}/people/C0008", "viewer").json()
    assert not why["assigned"] and why["reasons"][0]["code"] == "gate.document"
    assert all(set(r) == {"code", "message", "flights"} for r in why["reasons"])
    codes = [r["code"] for r in why["reasons"]]
    assert len(codes) == len({(r["code"], r["message"]) for r in why["reasons"]})  # each reason once
    with Session(make_engine(api.settings.database_url)) as s:  # a row stored before reasons were grouped
        s.execute(update(m.Assignment).where(m.Assignment.plan_id == plan_id, m.Assignment.case_id == "C0008")
                  .values(reasons=OLD_ROW))
        s.commit()
        assert s.exec(select(m.Assignment.reasons).where(m.Assignment.plan_id == plan_id,
                                                         m.Assignment.case_id == "C0008")).one() == OLD_ROW
    old = api.get(f"{base}/plans/{plan_id}/people/C0008", "viewer").json()
    assert old["reasons"] == grouped(OLD_ROW)
    assert old["summary"] == ("C0008 is not on a flight: no seats left on this flight (flights F1, F2); "
                              "no informed voluntary consent recorded")
