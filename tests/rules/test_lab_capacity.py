"""Lab capacity family (planner.rules.lab_capacity): `test_capacity`, and the daily capacity the planner and the
validator both count on every day a site has a slot."""

from datetime import date, datetime

from builders import site
from planner.model.plan import TestBooking
from planner.oracle.validate import validate
from planner.rules.lab_capacity import daily_capacities
from rules.kit import board, found, person, world


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text + ":00+03:00")


def _bookings(*starts: str) -> list[TestBooking]:
    return [TestBooking(person_id=p, flight_id="F1", site_id="LAB", start=_at(t), end=_at(t.replace("T15", "T16")))
            for p, t in zip(("P", "Q"), starts, strict=False)]


def _world(**site_kw):
    s = world([person("P", household="H1"), person("Q", household="H2")], vaccinated=False,
              sites=[site(**site_kw)])
    s.escorts = [e.model_copy(update={"vaccinated": True}) for e in s.escorts]
    return s


def test_within_slot_capacity_keeps_the_rule():
    s = _world(capacity_per_slot=2)
    assert validate(s, board(s, ["P", "Q"], tests=_bookings("2021-11-29T15:00", "2021-11-29T15:00"))) == []


def test_over_slot_capacity_breaks_test_capacity():
    s = _world(capacity_per_slot=1)
    assert found(s, board(s, ["P", "Q"], tests=_bookings("2021-11-29T15:00", "2021-11-29T15:00"))) == {
        "test_capacity"}


def test_daily_capacity_counts_on_a_listed_slot_day_outside_the_site_days():
    """A site's listed slots may fall outside its `days`: the daily limit holds there too, for the planner
    (`daily_capacities`, which the allocation reads) and the validator alike."""
    slots = [{"start": "2021-11-29T15:00:00+03:00", "end": "2021-11-29T16:00:00+03:00", "capacity": 5}]
    s = _world(slots=slots, days={"from": "2021-12-05", "to": "2021-12-06"}, daily_capacity=1)
    assert daily_capacities(s)[("LAB", date(2021, 11, 29))] == 1
    assert found(s, board(s, ["P", "Q"], tests=_bookings("2021-11-29T15:00", "2021-11-29T15:00"))) == {
        "test_capacity"}
