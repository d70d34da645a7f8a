"""Test windows family (planner.rules.testing_windows): `test_required`, `test_slot`, `test_flight`,
`test_in_past`, checked with the same window formula the planner books by."""

from datetime import datetime

from builders import flight
from planner.model.caseload import households
from planner.model.plan import Plan, TestBooking
from planner.oracle.validate import validate
from planner.rules.testing_windows import person_window
from rules.kit import board, found, person, world


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text + ":00+03:00")


def _booking(start: str, end: str, fid: str = "F1") -> TestBooking:
    return TestBooking(person_id="P", flight_id=fid, site_id="LAB", start=_at(start), end=_at(end))


def _world(**kw):
    """An unvaccinated passenger to Erbil (48 h before arrival at 12-01 14:10) with a vaccinated escort."""
    s = world([person("P")], vaccinated=False, **kw)
    s.escorts = [e.model_copy(update={"vaccinated": True}) for e in s.escorts]
    return s


GOOD = _booking("2021-11-29T15:00", "2021-11-29T16:00")


def test_one_sample_inside_the_window_keeps_the_rules():
    s = _world()
    assert validate(s, board(s, ["P"], tests=[GOOD])) == []
    window = person_window(s.people[0], households(s)[0], s.flights[0], s)
    assert window is not None and window.earliest_start == _at("2021-11-29T14:10")
    assert window.latest_end == _at("2021-11-30T07:00")


def test_each_testing_rule_names_its_break():
    s = _world(flights=[flight("F1"), flight("F2", day=3)])
    assert found(s, board(s, ["P"])) == {"test_required"}
    assert found(s, board(s, ["P"], tests=[_booking("2021-11-29T13:00", "2021-11-29T14:00")])) == {"test_slot"}
    wrong = GOOD.model_copy(update={"flight_id": "F2"})
    assert found(s, board(s, ["P"], tests=[wrong])) == {"test_flight"}


def test_a_new_booking_before_as_of_breaks_test_in_past():
    s = _world()
    s.as_of = _at("2021-11-29T18:00")
    plan = board(s, ["P"], tests=[GOOD])
    assert validate(s, plan, previous=plan) == []  # carried over from the previous plan
    assert found(s, plan, previous=Plan(scenario=plan.scenario)) == {"test_in_past"}
