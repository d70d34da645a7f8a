"""Notices to returnees in their own language: the language column and the operation's notice settings.

Only declares the data; notices are rendered in `planner.report` (docs/architecture.md).
"""

from __future__ import annotations

from planner.model.fields import Model


class PersonLanguage(Model):
    """The people file's column for the language a person reads."""


class NoticeSettings(Model):
    """What every notice says beyond the plan: meeting points and what to bring."""
