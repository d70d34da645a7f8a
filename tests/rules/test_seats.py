"""Cabin capacity family (planner.rules.seats): `seat_capacity`, `seat.missing`, `seat.unknown`, `seat.double`,
`seat.blocked`, and the one definition of unusable seats."""

from builders import flight
from planner.oracle.validate import validate
from planner.rules.seats import unusable_seats
from planner.seating.seatmaps import resolve_aircraft
from rules.kit import board, found, person, world

ROWS_1_TO_5 = [f"{r}{c}" for r in range(1, 6) for c in "ABCDEF"]


def _blocked(n: int):
    """Two passengers and an escort on the 36-seat cabin, whose last row is an isolation row, with n more seats
    blocked on the flight."""
    return world([person("A"), person("B")], flights=[flight("F1", blocked_seats=ROWS_1_TO_5[:n])])


def test_unusable_seats_are_operator_blocked_and_isolation_rows():
    s = _blocked(2)
    sm = resolve_aircraft("SMALL", s)
    assert unusable_seats(sm, s, s.flights[0]) == {"1A", "1B"} | {f"6{c}" for c in "ABCDEF"}


def test_seated_escorts_and_blocked_seats_within_the_seats_keep_the_rule():
    s = _blocked(27)  # 2 + 1 + 6 + 27 = 36
    assert validate(s, board(s, ["A", "B"])) == []


def test_one_seat_too_many_breaks_seat_capacity():
    s = _blocked(28)  # 37 > 36
    assert found(s, board(s, ["A", "B"])) == {"seat_capacity"}


SEATED = {"A": "1A", "B": "1B", "OPS-1": "2A"}


def test_everyone_on_an_existing_usable_seat_of_their_own_keeps_the_rules():
    s = world([person("A"), person("B")])
    assert validate(s, board(s, ["A", "B"], seats=SEATED)) == []


def test_each_seat_rule_names_its_break():
    s = world([person("A"), person("B")], flights=[flight("F1", blocked_seats=["4F"])])
    assert found(s, board(s, ["A", "B"], seats={**SEATED, "B": "1A"})) == {"seat.double"}
    assert found(s, board(s, ["A", "B"], seats={**SEATED, "B": "9Z"})) == {"seat.unknown"}
    assert found(s, board(s, ["A", "B"], seats={"A": "1A", "OPS-1": "2A"})) == {"seat.missing"}
    assert found(s, board(s, ["A", "B"], seats={**SEATED, "B": "4F"})) == {"seat.blocked"}


def test_once_seating_ran_an_unseated_passenger_breaks_seat_missing():
    s = world([person("A")])
    plan = board(s, ["A"])
    assert validate(s, plan) == []
    plan.stages.seating = {"F1": "optimal"}
    assert found(s, plan) == {"seat.missing"}
