"""A violated hard rule, as reported by `planner.oracle.validate`."""

from __future__ import annotations

from pydantic import BaseModel


class Violation(BaseModel):
    rule: str  # the rule's name, e.g. "household_unity"
    message: str
    flight_id: str | None = None
    person_id: str | None = None

    def __str__(self) -> str:
        where = " ".join(x for x in (self.flight_id and f"[{self.flight_id}]", self.person_id) if x)
        return f"{self.rule}: {where + ' ' if where else ''}{self.message}"
