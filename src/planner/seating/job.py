"""One flight's seating problem and its answer, as they cross into and out of a worker process.

Both are small and picklable, so that a worker gets no whole scenario (docs/architecture.md#seating).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.model.scenario import AircraftType
from planner.rules.base import Occupant


@dataclass
class FlightJob:
    """One flight's seating problem: the cabin, who sits in it, the rule settings and the time allowed."""

    flight_id: str
    spec: AircraftType
    occupants: list[Occupant]
    unusable: frozenset[str]
    relations: tuple[str, ...]
    infants_per_block: int
    multi_stop: bool
    time_limit: float
    deterministic: bool
    cpsat: bool = True
    previous: dict[str, str] = field(default_factory=dict)  # person or escort id -> seat in the previous plan
    deadline_at: float = math.inf  # time.monotonic() instant after which the flight is seated greedily only
    fast: bool = False  # after a stop request: the fast greedy (planner.seating.fast_greedy), no CP-SAT
    staffed_exits: bool = False  # every exit row holds an adult allowed there (docs/seating.md#comfort-and-safety)


@dataclass
class FlightResult:
    """One flight's seats, the households left out of it, and how the seats were found (greedy, feasible...)."""

    flight_id: str
    seats: dict[str, str]
    unplaced: list[str]  # household ids
    status: str
    cost: int
    greedy_cost: int
