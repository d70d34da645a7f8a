"""Where people are and how they reach the airport: vehicles and travel times (docs/transfers.md).

People stay at a location (a reception centre, a camp, a hotel: the `location` column); flights leave from an
origin airport. When the scenario lists vehicles, every household on a flight needs a seat on a vehicle trip
from its location to the airport, arriving before check-in opens. This module only declares the data; the
schedule is planned in `planner.transfers` and checked by `planner.rules.transfers`.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, model_validator

from planner.model.fields import ClockTime, Code, Model


class PersonTravel(Model):
    """The people file's column about travelling together beyond the household: households sharing a
    `travel_group` (an extended family, people of one village) ride the same vehicle when seats allow."""

    travel_group: str = Field(default="", max_length=64)


class Vehicle(Model):
    """A bus or minibus with its seats, the location it starts from each day and its daily duty window."""

    id: Code
    seats: int = Field(ge=1, le=100)
    base: str = Field(min_length=1, max_length=100)
    duty_from: ClockTime = time(6, 0)
    duty_hours: int = Field(default=16, ge=1, le=24)  # may run past midnight


class TravelTime(Model):
    """Driving minutes between two places (locations or airport codes), the same both ways."""

    between: str = Field(min_length=1, max_length=100)
    and_: str = Field(alias="and", min_length=1, max_length=100)
    minutes: int = Field(ge=0, le=24 * 60)

    model_config = Model.model_config | {"populate_by_name": True}


class GroundTransport(Model):
    """The scenario's vehicles and travel times; without vehicles no transfer is planned (people reach the
    airport by other means, as before)."""

    vehicles: list[Vehicle] = Field(default_factory=list, max_length=500)
    travel_minutes: list[TravelTime] = Field(default_factory=list, max_length=10_000)
    #: a vehicle arrives at the airport at most this long before check-in opens (people wait no longer)
    transfer_wait_minutes: int = Field(default=240, ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _unique_vehicles(self) -> GroundTransport:
        ids = [v.id for v in self.vehicles]
        if len(ids) != len(set(ids)):
            raise ValueError("vehicle ids must be unique")
        return self

    def travel_table(self) -> dict[frozenset[str], int]:
        """Minutes by unordered pair of places; look up with `minutes_between`."""
        return {frozenset((t.between, t.and_)): t.minutes for t in self.travel_minutes}


def minutes_between(table: dict[frozenset[str], int], a: str, b: str) -> int | None:
    """Minutes from `a` to `b` (0 when they are the same place), or None when no time is given."""
    return 0 if a == b else table.get(frozenset((a, b)))
