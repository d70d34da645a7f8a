"""Boarding conditions reported when a plan is published (docs/rules.md#boarding-conditions)."""

import pytest

from planner.rules.boarding import Boarder, boarding_issues, boarding_warnings


@pytest.mark.parametrize(("fitness", "result", "issues"), [
    ("fit", "negative", []),
    ("fit_with_escort", None, []),
    ("pending", None, ["fitness is pending"]),
    ("unfit", "negative", ["fitness is unfit"]),
    ("fit", "positive", ["last test result is positive"]),
    ("pending", "positive", ["fitness is pending", "last test result is positive"]),
])
def test_each_condition_in_words(fitness: str, result: str | None, issues: list[str]) -> None:
    assert boarding_issues(Boarder("C1", "F1", fitness, result)) == issues


def test_one_warning_per_passenger_and_condition_in_the_order_given() -> None:
    boarders = [Boarder("C2", "F1", "pending", "positive"), Boarder("C1", "F1", "fit", None),
                Boarder("C3", "F2", "unfit", None)]
    assert boarding_warnings(boarders) == [
        {"case_id": "C2", "flight_id": "F1", "issue": "fitness is pending"},
        {"case_id": "C2", "flight_id": "F1", "issue": "last test result is positive"},
        {"case_id": "C3", "flight_id": "F2", "issue": "fitness is unfit"},
    ]
