"""What the destination's reception partners need to know about an arriving person.

Only declares the people file's columns; the arrival list is built in `planner.report` (docs/architecture.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class PersonReception(Model):
    """The people file's columns for the reception handover (place of return, referrals)."""
