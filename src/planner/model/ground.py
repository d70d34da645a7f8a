"""Where people are and how they reach the airport: locations, vehicles and travel times.

This module only declares the data; transfer planning lives in its own pipeline stage (docs/architecture.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class PersonTravel(Model):
    """The people file's columns about travelling together beyond the household."""


class GroundTransport(Model):
    """The scenario's locations, vehicles and travel times."""
