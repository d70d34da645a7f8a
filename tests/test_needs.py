"""A passenger's needs in the airline's words for the manifest (docs/documents.md)."""

import pytest

from planner.report.needs import (
    Need,
    care_needs,
    carries_lap_infant,
    escort_role,
    lap_infant_of,
    travel_category,
)


@pytest.mark.parametrize(("age", "on_lap", "expected"), [
    (0, True, ("infant on a lap", "infant")),
    (1, False, ("infant with own seat", "infant")),
    (2, False, ("child", "child")),
    (11, False, ("child", "child")),
    (12, False, ("adult", "adult")),
    (None, False, ("", "unknown")),
])
def test_iata_passenger_types(age: int | None, on_lap: bool, expected: tuple[str, str]) -> None:
    assert travel_category(age, on_lap) == expected


def test_care_needs_with_their_codes_and_totals() -> None:
    assert care_needs("none", "fit", False, False) == []
    needs = care_needs("WCHC", "fit_with_escort", True, True)
    assert [n.counts for n in needs] == ["wheelchair", "medical", "uasc", None]
    assert "(WCHC)" in needs[0].words and "(MEDA)" in needs[1].words and "UMNR" in needs[2].words
    assert care_needs("STCR", "pending", False, False) == [Need("stretcher (STCR)", "stretcher")]


def test_lap_infants_and_escorts_in_words() -> None:
    assert lap_infant_of("C1 Ali Hassan", "12A") == "lap infant (INF) of C1 Ali Hassan, seat 12A"
    assert lap_infant_of("C1", None) == "lap infant (INF) of C1"
    assert carries_lap_infant("C7") == "carries lap infant C7 (INFT)"
    assert escort_role("medical") == "medical escort" and escort_role("unknown") == "escort"
