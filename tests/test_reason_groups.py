"""Reasons said once per person with the flights they apply to (docs/rules.md#explanations, docs/architecture.md
#plan-json): the plan grows with the people left out, not with people × flights, and older plans still load."""

import json

from builders import flight, person, scenario
from planner import SolveOptions, solve, validate
from planner.model.plan import Plan, Reason, Unassigned, group_reasons
from planner.model.reasons import reason, serving_flights

FAST = SolveOptions(time_limit=1, seat=False, deterministic=True)


def _flights(n: int) -> list:
    return [flight(f"F{i:02d}", day=1 + i % 20) for i in range(n)]


def test_a_gate_failed_on_every_flight_is_one_reason_for_all_flights():
    s = scenario([person("A", consent="none"), person("B", "H2")], flights=_flights(6))
    plan = solve(s, options=FAST)
    assert validate(s, plan) == []
    [a] = [u for u in plan.unassigned if u.person_id == "A"]
    assert [(r.code, r.flights) for r in a.reasons] == [("gate.consent", "all")]
    assert [fid for fid, _ in a.flight_reasons(serving_flights(s, "EBL"))] == [f"F{i:02d}" for i in range(6)]


def test_reasons_do_not_grow_with_the_flights():
    """Twice the flights, the same reasons: a per-flight reason made the file grow as people × flights."""
    people = [person(f"P{i}", f"H{i}", consent="none") for i in range(5)]
    sizes = []
    for n in (4, 8):
        plan = solve(scenario(people, flights=_flights(n)), options=FAST)
        assert sum(len(u.reasons) for u in plan.unassigned) == 5
        sizes.append(len(json.dumps([u.model_dump(mode="json") for u in plan.unassigned])))
    assert sizes[0] == sizes[1]


def test_different_words_on_some_flights_list_those_flights():
    """An expired document: its words name each departure date, so the flights of one date share a reason and
    each date has its own; none of them is "all"."""
    flights = [flight("F00", day=1), flight("F01", day=1), flight("F02", day=2)]
    s = scenario([person("A", document_expiry="2021-11-01")], flights=flights)
    plan = solve(s, options=FAST)
    assert validate(s, plan) == []
    [u] = plan.unassigned
    assert [(r.code, r.flights) for r in u.reasons] == [("gate.document", ["F00", "F01"]),
                                                        ("gate.document", ["F02"])]
    assert "2021-12-01" in u.reasons[0].message and "2021-12-02" in u.reasons[1].message


def test_plans_of_the_older_shape_load_grouped_and_are_written_grouped():
    old = {"person_id": "A", "reasons": [
        {"code": "capacity.seats", "flight_id": "F1", "message": "no seats left on this flight"},
        {"code": "gate.consent", "flight_id": "F2", "message": "no informed voluntary consent recorded"},
        {"code": "capacity.seats", "flight_id": "F3", "message": "no seats left on this flight"},
        {"code": "flight.no_destination", "flight_id": None, "message": "no flight serves destination DAM"}]}
    u = Unassigned.model_validate(old)
    assert [(r.code, r.flights) for r in u.reasons] == [
        ("capacity.seats", ["F1", "F3"]), ("gate.consent", ["F2"]), ("flight.no_destination", None)]
    written = u.model_dump(mode="json")
    assert "flight_id" not in json.dumps(written)
    assert Unassigned.model_validate(written) == u
    assert [(fid, r.code) for fid, r in u.flight_reasons(["F1", "F2", "F3"])] == [
        ("F1", "capacity.seats"), ("F3", "capacity.seats"), ("F2", "gate.consent"), (None, "flight.no_destination")]


def test_an_old_plan_file_validates_after_loading():
    """A plan written one reason per flight, read back: the validator sees the same explanations."""
    s = scenario([person("A", consent="none")], flights=_flights(3))
    plan = solve(s, options=FAST)
    per_flight = [{"code": r.code, "message": r.message, "flight_id": fid}
                  for fid, r in plan.unassigned[0].flight_reasons(serving_flights(s, "EBL"))]
    assert len(per_flight) == 3
    data = json.loads(plan.to_json())
    data["unassigned"][0]["reasons"] = per_flight
    old = Plan.model_validate(data)
    assert [(r.code, r.flights) for r in old.unassigned[0].reasons] == [("gate.consent", ["F00", "F01", "F02"])]
    assert validate(s, old) == []


def test_grouping_keeps_first_appearance_order_and_says_all_only_for_every_serving_flight():
    rs = [reason("capacity.seats", "F2"), reason("gate.consent", "F1"), reason("capacity.seats", "F3"),
          reason("gate.consent", "F2"), reason("gate.consent", "F3"), reason("capacity.seats", "F2")]
    grouped = group_reasons(rs, ["F1", "F2", "F3"])
    assert [(r.code, r.flights) for r in grouped] == [("capacity.seats", ["F2", "F3"]), ("gate.consent", "all")]
    assert rs[0].flights == ["F2"]  # the per-flight reasons it was given are left as they were
    assert [(r.code, r.flights) for r in group_reasons(rs)] == [
        ("capacity.seats", ["F2", "F3"]), ("gate.consent", ["F1", "F2", "F3"])]


def test_the_validator_checks_grouped_reasons():
    s = scenario([person("A", consent="none")], flights=_flights(3))
    plan = solve(s, options=FAST)
    u = plan.unassigned[0]
    u.reasons = [Reason(code="gate.consent", message=u.reasons[0].message, flights=["F00", "F02"])]
    assert [str(v) for v in validate(s, plan)] == [
        "reason_per_flight: [F01] A no reason given for flight F01, which serves EBL"]
    u.reasons = [Reason(code="gate.consent", message="x", flights=["F00", "F01", "F02", "F99"])]
    assert "reasons: A reason gate.consent names unknown flight F99" in [str(v) for v in validate(s, plan)]
    u.reasons = [Reason(code="gate.consent", message="x", flights="all"),
                 Reason(code="gate.consent", message="x", flights=["F01"])]
    assert "reasons: A reason gate.consent is given twice with the same words" in [
        str(v) for v in validate(s, plan)]
    u.reasons = [Reason(code="capacity.vibes", message="x", flights="all")]
    assert "reasons: A unknown reason code capacity.vibes" in [str(v) for v in validate(s, plan)]


def test_a_gate_said_for_all_flights_is_checked_on_each():
    """"all" is no blanket: the gate must fail on every flight it stands for (the validator spells it out)."""
    s = scenario([person("A", document_expiry="2021-12-02")], flights=_flights(3))  # valid on day 1 only
    plan = solve(s, options=FAST)
    plan.flights = [fp.model_copy(update={"passengers": []}) for fp in plan.flights]
    plan.tests = []
    plan.unassigned = [Unassigned(person_id="A", reasons=[reason("gate.document", None)])]
    plan.unassigned[0].reasons[0].flights = "all"
    found = [str(v) for v in validate(s, plan) if v.rule == "reason_true"]
    assert found and all("passes that gate" in v for v in found)


def test_deterministic_plans_are_byte_identical():
    people = [person(f"P{i}", f"H{i // 2}", consent="none" if i % 3 == 0 else "explicit") for i in range(12)]
    s = scenario(people, flights=_flights(5))
    assert solve(s, options=FAST).to_json() == solve(s, options=FAST).to_json()


def test_held_back_for_all_flights_is_checked_on_each():
    """A member held back on every flight: the validator checks the named member's gate on each flight's date."""
    s = scenario([person("A", consent="none"), person("B")], flights=_flights(2))
    plan = solve(s, options=FAST)
    assert validate(s, plan) == []
    [b] = [u for u in plan.unassigned if u.person_id == "B"]
    assert [(r.code, r.flights) for r in b.reasons] == [("household.held_back", "all")]
    consented = s.model_copy(deep=True)
    consented.people[0].consent = "explicit"  # A now passes: B's reason is false on both flights
    held = [v for v in validate(consented, plan) if v.rule == "held_back"]
    assert sorted(v.flight_id for v in held) == ["F00", "F01"]
    assert all("names A for gate.consent, but they pass that gate" in v.message for v in held)


def test_people_with_the_same_reasons_share_them_in_the_file_and_validate_read_back():
    """Three people without consent in three households: one says the reasons, the others `reasons_of` them
    (docs/architecture.md#plan-json); read back, each has them and the validator finds nothing."""
    s = scenario([person(f"P{i}", f"H{i}", consent="none") for i in range(3)] + [person("Q", "HQ")],
                 flights=_flights(3))
    plan = solve(s, options=FAST)
    text = plan.to_json()
    assert [line.strip() for line in text.splitlines() if "reasons_of" in line] == [
        '{"person_id": "P1", "reasons_of": "P0"},', '{"person_id": "P2", "reasons_of": "P0"}']
    again = Plan.model_validate_json(text)
    assert again == plan and [len(u.reasons) for u in again.unassigned] == [1, 1, 1]
    assert validate(s, again) == []
