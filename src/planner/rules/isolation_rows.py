"""Rear isolation rows (docs/rules.md#blocked-seats-and-rear-isolation-rows).

Under a COVID-19 protocol (`protocol.covid`) the last `isolation_rows_rear` rows (`protocol.seating`) stay empty
on every flight, to isolate a passenger who falls ill. They count as unusable seats (`planner.rules.seats`), so
their reason code is the seats' `capacity.seats`; violation id: `seat.isolation_row`.
"""

from __future__ import annotations

from collections.abc import Iterator

from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.rules.base import SeatCheck, SeatContext
from planner.seating.seatmaps import SeatMap, isolation_rows

REASON = "capacity.seats"


def rear_rows(scenario: Scenario) -> int:
    """How many rear rows stay empty: `isolation_rows_rear` under COVID-19, else none."""
    return scenario.protocol.seating.isolation_rows_rear if scenario.protocol.covid else 0


def isolation_seats(seat_map: SeatMap, rear: int) -> frozenset[str]:
    """The seats of the last `rear` rows of the cabin."""
    rows = set(isolation_rows(seat_map, rear)) if rear else set()
    return frozenset(s.id for s in seat_map.seats if s.row in rows)


def _isolation(ctx: SeatContext) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in ctx.facts.isolation:
            yield ctx.v("seat.isolation_row",
                        f"seat {seat.id} is in a rear isolation row, which stays empty under COVID-19", pid)


CHECKS = ()
SEAT_CHECKS = (SeatCheck("seat.isolation_row", _isolation),)
