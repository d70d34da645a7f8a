"""Household family (planner.rules.household): `household_unity`, `held_back`, and `household_failure`."""

from builders import flight, person, scenario
from planner.model.caseload import households
from planner.model.reasons import reason
from planner.oracle.validate import validate
from planner.rules.household import household_failure
from rules.kit import board, found, world


def test_a_household_flying_together_keeps_the_rule():
    s = world([person("A"), person("B")])
    assert validate(s, board(s, ["A", "B"])) == []


def test_a_split_household_breaks_household_unity():
    s = world([person("A"), person("B")])
    plan = board(s, ["A"], out={"B": [reason("capacity.seats", "F1")]})
    assert found(s, plan) == {"household_unity"}


def _held(member: str, code: str):
    s = world([person("A", consent="none"), person("B")])
    out = {"A": [reason("gate.consent", "F1", detail="")],
           "B": [reason("household.held_back", "F1", member=member, member_code=code)]}
    return s, board(s, [], out=out)


def test_held_back_naming_the_failing_member_keeps_the_rule():
    assert validate(*_held("A", "gate.consent")) == []


def test_held_back_naming_a_gate_the_member_passes_breaks_held_back():
    s, plan = _held("A", "gate.document")
    assert found(s, plan) == {"held_back"}


def test_household_failure_holds_back_the_others_naming_the_first_failing_member():
    s = scenario([person("A"), person("B", document_type="none"), person("C", consent="none")],
                 flights=[flight("F1")])
    failures = household_failure(households(s)[0], s.flights[0], s)
    assert failures["B"].code == "gate.document" and failures["C"].code == "gate.consent"
    assert failures["A"].code == "household.held_back" and "member B" in failures["A"].message
