"""Households an escort serves together that cannot be seated together are tried apart
(planner.seating.seat_plan._apart): only the smallest leaves the flight, not all of them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.rules.base import Occupant
from planner.seating import seat_plan
from planner.seating.job import FlightJob, FlightResult


def _person(pid: str, household: str, escorts: tuple[str, ...] = ()) -> Occupant:
    return Occupant(id=pid, escort=False, household=household, age=40, adult=True, medical=bool(escorts),
                    escorts=escorts)


def _job() -> FlightJob:
    occupants = [_person("A1", "HA", ("MED",)), _person("A2", "HA"), _person("A3", "HA"),
                 _person("B1", "HB", ("MED",)), _person("B2", "HB"),
                 _person("C1", "HC"),
                 Occupant(id="MED", escort=True, household="escort:MED", age=99, adult=True, role="medical",
                          serves=("A1", "B1"))]
    return FlightJob(flight_id="F1", spec=None, occupants=occupants, unusable=frozenset(),  # type: ignore[arg-type]
                     relations=(), infants_per_block=1, multi_stop=False, time_limit=0.0, deterministic=True)


def _seated_unless_together(job: FlightJob, should_stop: object = None) -> FlightResult:
    """A stand-in for one flight's seating: HA and HB fit only apart, everyone else always fits."""
    households = {o.household for o in job.occupants}
    together = {"HA", "HB"} <= households
    left = sorted({"HA", "HB"}) if together else []
    seats = {o.id: f"{i}A" for i, o in enumerate(job.occupants) if o.household not in left}
    return FlightResult(job.flight_id, seats, left, "greedy", 0, 0)


def test_only_the_smallest_household_an_escort_serves_leaves_the_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[FlightJob] = []

    def seat(job: FlightJob, should_stop: object = None) -> FlightResult:
        seen.append(job)
        return _seated_unless_together(job)

    monkeypatch.setattr(seat_plan, "_seat_flight", seat)
    result = seat_plan.seat_flight(_job())
    assert result.unplaced == ["HB"]  # two people, against three in HA
    assert set(result.seats) == {"A1", "A2", "A3", "C1", "MED"}
    escort = next(o for o in seen[-1].occupants if o.escort)
    assert escort.serves == ("A1",)  # the second try seats the escort beside HA's case only


def test_households_left_out_for_other_reasons_stay_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def seat(job: FlightJob, should_stop: object = None) -> FlightResult:  # nothing fits, together or apart
        left = sorted({o.household for o in job.occupants if not o.escort})
        return FlightResult(job.flight_id, {}, left, "greedy", 0, 0)

    monkeypatch.setattr(seat_plan, "_seat_flight", seat)
    assert seat_plan.seat_flight(_job()).unplaced == ["HA", "HB", "HC"]
    fast = replace(_job(), fast=True)  # after a stop request: no second try
    monkeypatch.setattr(seat_plan, "_seat_flight", _seated_unless_together)
    assert seat_plan.seat_flight(fast).unplaced == ["HA", "HB"]
