"""Seating comfort and safety settings of the protocol beyond distancing.

Only declares the data; the rules live in `planner.rules` (`exits.staffed_rows`, `zones`) and the comfort
weights in `planner.oracle.objective` (docs/seating.md#comfort-and-safety).
"""

from __future__ import annotations

from pydantic import Field

from planner.model.fields import Model


class SeatingComfort(Model):
    """Optional comfort and safety rules for seating."""

    # At least one able-bodied adult (an adult who may sit in an exit seat) in each exit row, when the flight
    # carries enough of them (docs/seating.md#comfort-and-safety). Off by default: an operator's choice.
    staffed_exits: bool = Field(default=False)
