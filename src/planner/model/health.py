"""Health checks before departure, of which a COVID-19 test is one configuration.

This module only declares the protocol's data; the rules live in `planner.rules` (docs/rules.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class HealthChecks(Model):
    """The protocol's health checks beyond the COVID-19 settings."""
