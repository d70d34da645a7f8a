"""Boarding conditions (docs/rules.md#boarding-conditions): what must still hold at the aircraft door for a
passenger the plan puts on a flight. Publishing reports every passenger who does not meet them yet; the plan
stays valid (fitness `pending` may be planned, and a test result may come in after planning).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Fitness values that may board: fit, or fit with a medical escort.
BOARDING_FITNESS = ("fit", "fit_with_escort")


@dataclass(frozen=True)
class Boarder:
    """The facts of one assigned passenger the conditions read."""

    case_id: str
    flight_id: str
    fitness: str
    last_test_result: str | None


def boarding_issues(boarder: Boarder) -> list[str]:
    """The conditions one passenger does not meet yet, in words."""
    issues = []
    if boarder.fitness not in BOARDING_FITNESS:
        issues.append(f"fitness is {boarder.fitness}")
    if boarder.last_test_result == "positive":
        issues.append("last test result is positive")
    return issues


def boarding_warnings(boarders: Iterable[Boarder]) -> list[dict[str, str]]:
    """One warning per passenger and unmet condition, in the order given (the service sorts by flight, case)."""
    return [{"case_id": b.case_id, "flight_id": b.flight_id, "issue": issue}
            for b in boarders for issue in boarding_issues(b)]
