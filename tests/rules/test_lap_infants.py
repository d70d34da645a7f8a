"""Lap infants family (planner.rules.lap_infants): `lap.carrier`, `lap.mask_block`, and `lap_pairs`, the one
definition of who carries whom that the planner and the validator share."""

from datetime import date

from planner.model.caseload import households
from planner.oracle.validate import validate
from planner.rules.lap_infants import lap_pairs
from rules.kit import board, found, person, world

FAMILY = [person("M", sex="F"), person("F", sex="M"), person("I", date_of_birth=date(2021, 1, 1))]


def test_an_infant_on_a_household_adult_keeps_the_rule():
    s = world(FAMILY)
    assert validate(s, board(s, ["M", "F", "I"], laps={"I": "M"})) == []


def test_a_carrier_with_reduced_mobility_breaks_lap_carrier_and_is_never_paired():
    """The planner's pairing skips carriers with reduced mobility; the validator refuses them the same way."""
    s = world([FAMILY[0].model_copy(update={"mobility": "WCHR"}), *FAMILY[1:], person("G")])
    assert lap_pairs(households(s)[0], date(2021, 12, 1), s) == {"I": "F"}
    assert validate(s, board(s, ["M", "F", "I", "G"], laps={"I": "F"})) == []
    assert found(s, board(s, ["M", "F", "I", "G"], laps={"I": "M"})) == {"lap.carrier"}


def test_a_carrier_of_another_household_breaks_lap_carrier():
    s = world([*FAMILY, person("X", household="H2")])
    assert found(s, board(s, ["M", "F", "I", "X"], laps={"I": "X"})) == {"lap.carrier"}


def test_more_infants_than_mask_blocks_breaks_lap_mask_block():
    s = world(FAMILY, seating={"infants_per_mask_block": 0})
    assert found(s, board(s, ["M", "F", "I"], laps={"I": "M"})) == {"lap.mask_block"}


def test_two_infants_in_one_mask_block_break_lap_mask_block():
    second = [person("M2", household="H2", sex="F"), person("I2", household="H2", date_of_birth=date(2021, 2, 1))]
    s = world([*FAMILY, *second])
    on = ["M", "F", "I", "M2", "I2"]
    seats = {"M": "1A", "F": "1B", "M2": "2D", "OPS-1": "2F"}
    assert validate(s, board(s, on, laps={"I": "M", "I2": "M2"}, seats=seats)) == []
    broken = board(s, on, laps={"I": "M", "I2": "M2"}, seats={**seats, "M2": "1C"})
    assert found(s, broken) == {"lap.mask_block"}
