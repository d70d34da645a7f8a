"""The oracle: check a Plan against a Scenario and list every violated hard rule.

It walks the checks of every rule family (`planner.rules.registry`, docs/rules.md), each a pure function of the
scenario and the plan's output. It imports rule definitions, the model and the seat-map geometry only, never
solver code (allocation, seating solver, pipeline, report, OR-Tools: tests/test_import_boundaries.py), so a
solver bug cannot hide itself from the oracle. A violation's `rule` is always one of `RULE_IDS`.
"""

from __future__ import annotations

from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.oracle.seating_checks import seating_violations
from planner.rules.base import Context, PlanCheck
from planner.rules.registry import PLAN_CHECKS


def _run(check: PlanCheck, ctx: Context) -> list[Violation]:
    """The violations of one check, refusing an id it did not declare (the ids of docs/rules.md are closed)."""
    out = list(check.check(ctx))
    stray = {v.rule for v in out} - set(check.ids)
    if stray:
        raise ValueError(f"check {check.check.__name__} reported undeclared ids {sorted(stray)}")
    return out


def validate(scenario: Scenario, plan: Plan, previous: Plan | None = None) -> list[Violation]:
    """Every violated hard rule of `plan` for `scenario` (empty when the plan is valid).

    `previous`: the plan a re-plan started from, or an empty plan for a first plan; it lets the validator tell
    carried-over bookings and departed flights from new ones (None: not known, those checks are partial)."""
    ctx = Context.build(scenario, plan, previous)
    out: list[Violation] = []
    for check in PLAN_CHECKS:
        out.extend(_run(check, ctx))
    out.extend(seating_violations(scenario, plan))
    return out
