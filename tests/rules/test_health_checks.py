"""Health checks in the validator (planner.rules.testing_windows, planner.rules.lab_capacity,
planner.rules.health_checks): a hand-made plan that keeps every check, and one break per rule."""

from __future__ import annotations

from datetime import datetime

from builders import site
from planner.model.plan import TestBooking
from planner.model.scenario import Scenario
from planner.oracle.validate import validate
from rules.kit import board, found, person, world

FIT = {"id": "FIT", "kind": "fit_to_travel", "window_hours": 72, "closes_hours": 24, "turnaround_hours": 2,
       "providers": ["CLINIC"]}
PCR = {"id": "PCR", "kind": "pcr", "window_hours": 72, "turnaround_hours": 24, "providers": ["PCRLAB"],
       "prerequisite": "FIT"}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text + ":00+03:00")


def _book(pid: str, where: str, start: str) -> TestBooking:
    begin = _at(start)
    return TestBooking(person_id=pid, flight_id="F1", site_id=where, start=begin,
                       end=begin.replace(hour=begin.hour + 1))


def _world(**kw: object) -> Scenario:
    """Two vaccinated passengers to Erbil on 12-01 10:00 (no COVID-19 test), a clearance 24-72 h before
    departure at CLINIC and a PCR at PCRLAB after it."""
    sites = [site("LAB"), site("CLINIC", capacity_per_slot=2, daily_capacity=3), site("PCRLAB")]
    return world([person("A", "H1"), person("B", "H2")], sites=sites, checks=[FIT, PCR], **kw)


GOOD = [_book("A", "CLINIC", "2021-11-29T08:00"), _book("B", "CLINIC", "2021-11-29T09:00"),
        _book("A", "PCRLAB", "2021-11-29T14:00"), _book("B", "PCRLAB", "2021-11-29T14:00")]


def test_a_plan_keeping_every_check_is_valid() -> None:
    s = _world()
    assert validate(s, board(s, ["A", "B"], tests=GOOD)) == []


def test_a_missing_check_is_test_required() -> None:
    s = _world()
    assert found(s, board(s, ["A", "B"], tests=GOOD[1:])) == {"test_required"}


def test_a_clearance_after_it_closes_is_test_slot() -> None:
    s = _world()
    late = [_book("A", "CLINIC", "2021-11-30T10:00"), *GOOD[1:]]  # ends 11:00, closes 24 h before: 11-30 10:00
    assert found(s, board(s, ["A", "B"], tests=late)) == {"test_slot", "check_prerequisite"}  # and A's PCR is first
    s.protocol.checks = s.protocol.checks[:1]
    assert found(s, board(s, ["A", "B"], tests=late[:2])) == {"test_slot"}


def test_a_check_at_another_checks_provider_is_test_required() -> None:
    s = _world()
    wrong = [_book("A", "LAB", "2021-11-29T08:00"), *GOOD[1:]]  # LAB does the COVID-19 tests, A is exempt
    assert found(s, board(s, ["A", "B"], tests=wrong)) == {"test_required"}


def test_a_sample_before_its_prerequisites_result_is_check_prerequisite() -> None:
    s = _world()
    early = [*GOOD[:3], _book("B", "PCRLAB", "2021-11-29T10:00")]  # B's clearance ends 10:00, result 12:00
    assert found(s, board(s, ["A", "B"], tests=early)) == {"check_prerequisite"}


def test_a_provider_over_its_daily_capacity_is_test_capacity() -> None:
    s = _world()
    s.testing_sites[1] = site("CLINIC", capacity_per_slot=2, daily_capacity=1)
    assert found(s, board(s, ["A", "B"], tests=GOOD)) == {"test_capacity"}


def test_a_check_for_a_passenger_it_does_not_apply_to_is_test_required() -> None:
    s = _world()
    s.protocol.checks[0].destinations = ["BGW"]
    s.protocol.checks[1].prerequisite = None
    assert found(s, board(s, ["A", "B"], tests=GOOD)) == {"test_required"}
