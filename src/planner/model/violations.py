"""A violated hard rule, as reported by `planner.oracle.validate`.

`rule` is a violation id: one of `planner.rules.registry.RULE_IDS`, listed in docs/rules.md#violation-ids.
"""

from __future__ import annotations

from pydantic import BaseModel


class Violation(BaseModel):
    rule: str  # the violation id, e.g. "household_unity" or "lap.mask_block"
    message: str
    flight_id: str | None = None
    person_id: str | None = None

    def __str__(self) -> str:
        where = " ".join(x for x in (self.flight_id and f"[{self.flight_id}]", self.person_id) if x)
        return f"{self.rule}: {where + ' ' if where else ''}{self.message}"
