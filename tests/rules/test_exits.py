"""Exit rows family (planner.rules.exits): `exit.barred`."""

from datetime import date

from planner.oracle.validate import validate
from rules.kit import board, found, person, world


def test_an_adult_travelling_alone_may_sit_in_an_exit_seat():
    s = world([person("A")])
    assert validate(s, board(s, ["A"], seats={"A": "3A", "OPS-1": "1A"})) == []


def test_an_adult_with_a_young_household_member_breaks_exit_barred():
    s = world([person("A"), person("C", date_of_birth=date(2013, 6, 1))])
    broken = board(s, ["A", "C"], seats={"A": "3A", "C": "2A", "OPS-1": "1A"})
    assert [(v.rule, v.person_id) for v in validate(s, broken)] == [("exit.barred", "A")]


def test_too_few_non_exit_seats_break_exit_barred_before_seating():
    s = world([person("A", pregnant=True)])
    s.aircraft = [s.aircraft[0].model_copy(update={"exit_rows": [1, 2, 3, 4, 5, 6]})]  # every seat an exit seat
    assert found(s, board(s, ["A"])) == {"exit.barred"}
