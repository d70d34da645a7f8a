"""Baggage, passenger masses and aircraft load limits.

Only declares the data; the payload rule and the load summary live in `planner.rules` and `planner.report`
(docs/rules.md).
"""

from __future__ import annotations

from pydantic import Field

from planner.model.fields import Code, Model


class PersonBaggage(Model):
    """The people file's columns about a person's baggage and mobility aids carried in the hold."""


class BaggageRules(Model):
    """The protocol's baggage allowance and default masses."""


class CabinZone(Model):
    """A block of rows whose passengers move the aircraft's balance the same way (a load sheet's cabin section).

    `index_per_passenger` is the balance index change one standard passenger causes in this zone (negative
    forward of the reference, positive aft); `max_passengers` is the aircraft's limit for the zone, if any."""

    id: Code
    first_row: int = Field(ge=1, le=120)
    last_row: int = Field(ge=1, le=120)
    max_passengers: int | None = Field(default=None, ge=0, le=1000)
    index_per_passenger: float = Field(default=0.0, ge=-100.0, le=100.0)


class AircraftLoad(Model):
    """An aircraft type's payload limit, standard masses and cabin zones."""

    zones: list[CabinZone] = Field(default_factory=list, max_length=20)
