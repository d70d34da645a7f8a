"""Every rule family and the violation ids its checks report: one set of ids (docs/rules.md#violation-ids).

The validator walks `PLAN_CHECKS` in order over the plan and `SEAT_CHECKS` over each seated flight; `RULE_IDS`
is the union of the ids they declare, and the only ids a violation may carry.
"""

from __future__ import annotations

from types import ModuleType

from planner.rules import (
    base,
    children,
    distancing,
    escorts,
    exits,
    explanations,
    gates,
    health_checks,
    household,
    integrity,
    isolation_rows,
    lab_capacity,
    lap_infants,
    mobility,
    payload,
    seats,
    special_categories,
    stability,
    testing_windows,
    transfers,
    zones,
)

#: The families in the order the validator runs them.
FAMILIES: tuple[ModuleType, ...] = (
    integrity, gates, household, seats, isolation_rows, lap_infants, children, exits, mobility,
    special_categories, escorts, distancing, testing_windows, lab_capacity, health_checks, explanations, stability,
    payload, zones, transfers,
)

PLAN_CHECKS: tuple[base.PlanCheck, ...] = tuple(c for f in FAMILIES for c in f.CHECKS)
SEAT_CHECKS: tuple[base.SeatCheck, ...] = tuple(c for f in FAMILIES for c in f.SEAT_CHECKS)
RULE_IDS: frozenset[str] = frozenset({i for c in PLAN_CHECKS for i in c.ids} | {c.id for c in SEAT_CHECKS})


def family_of(rule_id: str) -> str:
    """The module name of the family whose checks report `rule_id`."""
    for f in FAMILIES:
        ids = {i for c in f.CHECKS for i in c.ids} | {c.id for c in f.SEAT_CHECKS}
        if rule_id in ids:
            return f.__name__.rsplit(".", 1)[-1]
    raise KeyError(rule_id)
