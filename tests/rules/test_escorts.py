"""Escorts family (planner.rules.escorts): `escorts`, `medical.escort_adjacent`, `uasc.escort_adjacent`, and the
one definition of the ratios."""

from planner.model.scenario import Escort, EscortRules
from planner.oracle.validate import validate
from planner.rules.escorts import escorts_needed
from rules.kit import board, found, person, world

TEAM = [Escort(id="OPS-1", role="operational"), Escort(id="MED-1", role="medical")]


def test_escorts_needed_is_one_per_started_ratio():
    rules = EscortRules(operational_per_passengers=50, medical_per_cases=2, uasc_per_escort=2)
    assert escorts_needed(rules, {"passengers": 51, "medical": 1, "uasc": 0}) == {
        "operational": 2, "medical": 1, "uasc": 0}


def test_a_medical_case_with_a_medical_escort_beside_them_keeps_the_rules():
    s = world([person("P", fitness="fit_with_escort")], escorts=TEAM)
    plan = board(s, ["P"], escorts={"OPS-1": [], "MED-1": ["P"]}, seats={"P": "1A", "MED-1": "1B", "OPS-1": "5F"})
    assert validate(s, plan) == []


def test_a_medical_case_without_a_medical_escort_breaks_escorts():
    s = world([person("P", fitness="fit_with_escort")], escorts=TEAM)
    assert found(s, board(s, ["P"])) == {"escorts"}


def test_a_medical_escort_a_row_away_breaks_medical_escort_adjacent():
    s = world([person("P", fitness="fit_with_escort")], escorts=TEAM)
    plan = board(s, ["P"], escorts={"OPS-1": [], "MED-1": ["P"]}, seats={"P": "1A", "MED-1": "2A", "OPS-1": "5F"})
    assert found(s, plan) == {"medical.escort_adjacent"}


def test_an_unaccompanied_child_apart_from_their_escort_breaks_uasc_escort_adjacent():
    child = person("U", date_of_birth=person("x").date_of_birth.replace(year=2006), unaccompanied_minor=True,
                   best_interests_approved=True, reception_contact="uncle")
    s = world([child], escorts=[Escort(id="OPS-1", role="operational"), Escort(id="UA-1", role="uasc")])
    esc = {"OPS-1": [], "UA-1": ["U"]}
    assert validate(s, board(s, ["U"], escorts=esc, seats={"U": "1A", "UA-1": "1B", "OPS-1": "5F"})) == []
    assert found(s, board(s, ["U"], escorts=esc, seats={"U": "1A", "UA-1": "4F", "OPS-1": "5F"})) == {
        "uasc.escort_adjacent"}
