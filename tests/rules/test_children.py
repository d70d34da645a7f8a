"""Children family (planner.rules.children): `child.adult_nearby`, before and after seating, and the
definition the allocation keeps so that it never plans a child the validator would refuse."""

from datetime import date

from builders import flight
from planner import SolveOptions, solve
from planner.model.caseload import households
from planner.oracle.validate import validate
from planner.rules.children import without_partner
from rules.kit import board, found, person, world

FAMILY = [person("A"), person("C", date_of_birth=date(2013, 6, 1))]  # 8 at departure


def test_a_child_near_a_household_adult_keeps_the_rule():
    s = world(FAMILY)
    assert validate(s, board(s, ["A", "C"], seats={"A": "1A", "C": "2B", "OPS-1": "5F"})) == []


def test_a_child_rows_away_from_their_adult_breaks_child_adult_nearby():
    s = world(FAMILY)
    assert found(s, board(s, ["A", "C"], seats={"A": "1A", "C": "4F", "OPS-1": "5F"})) == {"child.adult_nearby"}


CHILDREN = [person("C1", date_of_birth=date(2013, 6, 1)), person("C2", date_of_birth=date(2011, 6, 1))]


def test_children_with_no_adult_on_board_break_the_rule_even_before_seating():
    s = world(CHILDREN)
    assert [(v.rule, v.person_id) for v in validate(s, board(s, ["C1", "C2"]))] == [
        ("child.adult_nearby", "C1"), ("child.adult_nearby", "C2")]
    assert without_partner(households(s)[0], date(2021, 12, 1), s) == ["C1", "C2"]
    assert without_partner(households(world(FAMILY))[0], date(2021, 12, 1), world(FAMILY)) == []


def test_the_planner_leaves_children_without_an_adult_off_and_says_why():
    s = world(CHILDREN, flights=[flight("F1")])
    plan = solve(s, options=SolveOptions(time_limit=1, seat=False, deterministic=True))
    assert validate(s, plan) == []
    assert {u.person_id: [r.code for r in u.reasons] for u in plan.unassigned} == {
        "C1": ["seating.no_fit"], "C2": ["seating.no_fit"]}
