"""Seating comfort and safety settings of the protocol beyond distancing.

Only declares the data; the rules live in `planner.rules` (docs/seating.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class SeatingComfort(Model):
    """Optional comfort and safety rules for seating."""
