"""Distancing family (planner.rules.distancing): one id per relation."""

import pytest

from planner.oracle.validate import validate
from rules.kit import board, found, person, world

SINGLES = [person("A", household="H1"), person("B", household="H2")]


@pytest.mark.parametrize(("relation", "b_seat", "rule"), [
    ("side", "1B", "distancing.side"),
    ("across-aisle", "1D", "distancing.across_aisle"),
    ("front-back", "2C", "distancing.front_back"),
    ("diagonal", "2B", "distancing.diagonal"),
])
def test_each_relation_names_its_break(relation, b_seat, rule):
    s = world(SINGLES, seating={"distancing": [relation]})
    assert validate(s, board(s, ["A", "B"], seats={"A": "1C", "B": "4F", "OPS-1": "5A"})) == []
    assert found(s, board(s, ["A", "B"], seats={"A": "1C", "B": b_seat, "OPS-1": "5A"})) == {rule}


def test_a_household_needs_no_gap_among_itself():
    s = world([person("A"), person("B")], seating={"distancing": ["side"]})
    assert validate(s, board(s, ["A", "B"], seats={"A": "1A", "B": "1B", "OPS-1": "5D"})) == []
