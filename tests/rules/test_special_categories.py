"""Special categories family (planner.rules.special_categories): `special_categories`, one id before and after
seating."""

from planner.oracle.validate import validate
from planner.rules.special_categories import is_able_bodied_adult, is_special_category
from rules.kit import board, found, person, world


def test_special_categories_up_to_the_able_bodied_adults_and_escorts_keep_the_rule():
    s = world([person("A", household="H1", mobility="WCHR"), person("B", household="H2")])
    assert validate(s, board(s, ["A", "B"])) == []


def test_more_special_categories_than_able_bodied_adults_breaks_special_categories():
    s = world([person(x, household=x, mobility="WCHR") for x in ("A", "B")])
    plan = board(s, ["A", "B"])
    assert found(s, plan) == {"special_categories"}
    seated = board(s, ["A", "B"], seats={"A": "1A", "B": "2A", "OPS-1": "5F"})
    assert found(s, seated) == {"special_categories"}  # reported once, under the same id


def test_definitions():
    s = world([person("A", mobility="WCHR"), person("B", pregnant=True), person("C")])
    from planner.model.caseload import households

    hh = households(s)[0]
    on = s.flights[0].departure.date()
    assert [is_special_category(p, hh, on, False) for p in hh.members] == [True, False, False]
    assert [is_able_bodied_adult(p, hh, on, False) for p in hh.members] == [False, False, True]
    assert not is_able_bodied_adult(hh.members[2], hh, on, carries_infant=True)
