"""Seat-map library and checks (docs/architecture.md#seat-maps): documented types, clear errors, exit seats,
geometry."""

from __future__ import annotations

import pytest

from planner.model.scenario import AircraftType
from planner.seating.seatmaps import SeatMapError, build_seat_map, check_flight_seats, library, resolve_aircraft
from planner.seating.synth import scenario_with

EXPECTED = {
    "A320-180Y": 180,
    "B737-800-189Y": 189,
    "A321-220Y": 220,
    "B767-300ER-259Y": 259,
    "A330-300-352Y": 352,
    "B747-400-440Y": 440,
}


def test_library_types_and_seat_counts() -> None:
    assert {t: resolve_aircraft(t).seat_count for t in library()} == EXPECTED
    assert resolve_aircraft("B747-400-440Y").seat_count >= 430


def spec(**kw) -> AircraftType:
    base = {"type": "X", "rows": {"first": 1, "last": 10}, "layout": "ABC DEF"}
    return AircraftType.model_validate(base | kw)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"row_layouts": {3: "ABX"}}, "letter 'X' is not in the layout"),
        ({"exit_rows": [11]}, "exit row 11 is outside the cabin"),
        ({"bassinet_rows": [0]}, "bassinet row 0 is outside the cabin"),
        ({"blocked_seats": ["4G"]}, "blocked_seats: seat '4G' is not in the cabin"),
        ({"mask_blocks": [["1A", "1B"], ["1B"]]}, "in two mask blocks"),
        ({"stretcher_zone": ["99A"]}, "stretcher_zone: seat '99A'"),
        ({"movable_armrests": ["1A"]}, "not an aisle seat"),
        ({"layout": "ABC  DEF"}, "two spaces"),
        ({"layout": "ABA DEF"}, "repeats a letter"),
        ({"row_layouts": {2: "CBA"}}, "not in the order of the layout"),
        ({"rows": {"first": 1, "last": 10, "skip": [12]}}, "rows.skip: row 12"),
        ({"rows": {"first": 1, "last": 10, "skip": [3]}, "exit_rows": [3]}, "exit row 3 is outside the cabin"),
        ({"row_layouts": {2: "AB CDEF"}}, "has an aisle between B and C that the layout 'ABC DEF' does not have"),
        ({"row_layouts": {2: "ABC DE F"}}, "has an aisle between E and F"),
        ({"row_layouts": {2: "ABCDEF"}}, "puts C and D together, but the layout 'ABC DEF' has an aisle"),
        ({"row_layouts": {2: "A BC DEF"}}, "has an aisle between A and B that the layout 'ABC DEF' does not have"),
    ],
)
def test_clear_errors(changes: dict, needle: str) -> None:
    with pytest.raises(SeatMapError) as err:
        build_seat_map(spec(**changes))
    assert any(needle in p for p in err.value.problems), err.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SeatMapError) as err:
        build_seat_map(spec(exit_rows=[11], bassinet_rows=[12]))
    assert len(err.value.problems) == 2


def test_problems_of_every_stage_come_in_one_batch() -> None:
    with pytest.raises(SeatMapError) as err:
        build_seat_map(spec(exit_rows=[11], blocked_seats=["4G"], row_layouts={2: "AB CDEF"}))
    assert len(err.value.problems) == 3, err.value.problems


def test_reversed_row_range_is_one_clear_error() -> None:
    with pytest.raises(SeatMapError) as err:
        build_seat_map(spec(rows={"first": 10, "last": 1, "skip": [5]}, exit_rows=[3], row_layouts={2: "ABC"},
                            blocked_seats=["2A"]))
    assert err.value.problems == ["rows: last 1 is before first 10 (write the range front to back)"]


@pytest.mark.parametrize("layout", [" DEF", "BC DE", "ABC", " DEF", "C D", "A F", "ABC "])
def test_row_layouts_that_only_leave_seats_out_are_accepted(layout: str) -> None:
    assert build_seat_map(spec(row_layouts={2: layout})).seat_count == 60 - 6 + len(layout.replace(" ", ""))


def test_windows_are_the_outer_seats_of_the_outer_blocks() -> None:
    seats = build_seat_map(spec(layout="AB CDE FG", row_layouts={1: "CDE FG", 2: "B CDE F"})).by_id()
    assert [sid for sid in ("1C", "1E", "1G") if seats[sid].window] == ["1G"]
    assert seats["2B"].window and seats["2F"].window and not seats["2C"].window


def test_exit_seats_are_the_outer_blocks_of_exit_rows() -> None:
    sm = build_seat_map(spec(layout="ABC DEFG HJK", exit_rows=[5]))
    exits = {s.id for s in sm.seats if s.exit}
    assert exits == {"5A", "5B", "5C", "5H", "5J", "5K"}


def test_per_row_layout_keeps_columns_and_geometry() -> None:
    sm = resolve_aircraft("B737-800-189Y")
    seats = sm.by_id()
    assert "1A" not in seats and seats["1D"].aisle and seats["1F"].window
    assert not seats["1D"].window  # row 1 lacks the left block: D is an aisle seat, not a window
    assert seats["2C"].column == 2 and seats["2D"].column == 4
    a321 = resolve_aircraft("A321-220Y").by_id()
    assert a321["38B"].window and a321["38C"].aisle


def test_default_mask_blocks_are_row_sides() -> None:
    sm = build_seat_map(spec())
    assert ["1A", "1B", "1C"] in sm.mask_blocks and ["1D", "1E", "1F"] in sm.mask_blocks
    assert len(sm.mask_blocks) == 20


def test_flight_blocked_seats_are_checked() -> None:
    sc = scenario_with([], aircraft="A320-180Y")
    f = sc.flights[0].model_copy(update={"blocked_seats": ["31A", "1A"]})
    assert check_flight_seats(resolve_aircraft("A320-180Y"), f) == [
        "flight F01: blocked seat '31A' is not in the cabin of A320-180Y"
    ]


def test_scenario_types_come_first() -> None:
    own = spec(type="A320-180Y", rows={"first": 1, "last": 2})
    sc = scenario_with([], aircraft=own)
    assert resolve_aircraft("A320-180Y", sc).seat_count == 12
