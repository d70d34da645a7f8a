"""Isolation rows family (planner.rules.isolation_rows): `seat.isolation_row`."""

from planner.oracle.validate import validate
from rules.kit import board, found, person, world


def test_the_rear_row_stays_empty_under_covid():
    s = world([person("A")])
    assert validate(s, board(s, ["A"], seats={"A": "5A", "OPS-1": "5F"})) == []
    assert found(s, board(s, ["A"], seats={"A": "6A", "OPS-1": "5F"})) == {"seat.isolation_row"}


def test_without_covid_the_rear_row_may_be_used():
    s = world([person("A")], covid=False)
    assert validate(s, board(s, ["A"], seats={"A": "6A", "OPS-1": "5F"})) == []
