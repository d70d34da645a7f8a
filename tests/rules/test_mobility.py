"""Mobility family (planner.rules.mobility): `mobility.aisle`, `mobility.companion`, `stretcher.zone`."""

from planner.model.scenario import Escort
from planner.oracle.validate import validate
from rules.kit import board, found, person, world

PAIR = [person("W", mobility="WCHC"), person("H")]


def test_a_wheelchair_user_on_the_aisle_next_to_their_companion_keeps_the_rules():
    s = world(PAIR)
    assert validate(s, board(s, ["W", "H"], seats={"W": "1C", "H": "1B", "OPS-1": "5F"})) == []


def test_a_window_seat_breaks_mobility_aisle():
    s = world(PAIR)
    assert found(s, board(s, ["W", "H"], seats={"W": "1A", "H": "1B", "OPS-1": "5F"})) == {"mobility.aisle"}


def test_a_companion_a_row_away_breaks_mobility_companion():
    s = world(PAIR)
    assert found(s, board(s, ["W", "H"], seats={"W": "1C", "H": "2B", "OPS-1": "5F"})) == {"mobility.companion"}


def test_no_aisle_seat_with_a_movable_armrest_breaks_mobility_aisle_before_seating():
    s = world(PAIR)
    s.aircraft = [s.aircraft[0].model_copy(update={"movable_armrests": []})]
    assert found(s, board(s, ["W", "H"])) == {"mobility.aisle"}


def test_a_stretcher_case_on_a_cabin_without_a_zone_breaks_stretcher_zone():
    s = world([person("S", mobility="STCR")],
              escorts=[Escort(id="OPS-1", role="operational"), Escort(id="MED-1", role="medical")])
    assert found(s, board(s, ["S"], escorts={"OPS-1": [], "MED-1": ["S"]})) == {"stretcher.zone"}
