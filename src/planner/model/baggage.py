"""Baggage, passenger masses and aircraft load limits.

Only declares the data; the payload rule and the load summary live in `planner.rules` and `planner.report`
(docs/rules.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class PersonBaggage(Model):
    """The people file's columns about a person's baggage and mobility aids carried in the hold."""


class BaggageRules(Model):
    """The protocol's baggage allowance and default masses."""


class AircraftLoad(Model):
    """An aircraft type's payload limit, standard masses and cabin zones."""
