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
    return validate_part(scenario, plan, previous, 0, 1)


#: of the plan-wide checks, the share the second of two parts runs (with every seat-by-seat check): the two
#: parts then take about the same time on belarus-2021-iraq (0.19 s and 0.17 s of CPU after a stop)
SECOND_PART_SHARE = 0.4


def validate_part(scenario: Scenario, plan: Plan, previous: Plan | None, part: int, parts: int) -> list[Violation]:
    """One part of `validate`: with `parts` 1 all of it; with 2, part 0 the first plan-wide checks and part 1
    the rest and the seat-by-seat checks, so that two processes can share the work. Part 0's violations then
    part 1's are `validate`'s, in its order."""
    if parts not in (1, 2) or not 0 <= part < parts:
        raise ValueError(f"part {part} of {parts}: a validation is made of one or two parts")
    split = len(PLAN_CHECKS) - round(SECOND_PART_SHARE * len(PLAN_CHECKS)) if parts == 2 else len(PLAN_CHECKS)
    checks = PLAN_CHECKS[:split] if part == 0 else PLAN_CHECKS[split:]
    ctx = Context.build(scenario, plan, previous)
    out: list[Violation] = []
    for check in checks:
        out.extend(_run(check, ctx))
    if part == parts - 1:
        out.extend(seating_violations(scenario, plan))
    return out
