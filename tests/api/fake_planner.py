"""Stand-ins for `planner.pipeline.solve` / `planner.oracle.validate` so the job machinery is tested on its own.

`slow_solve` reports progress until it is stopped (or its time limit passes) and then returns a plan with
everyone unassigned; `broken_solve` returns a plan the fake validator rejects; `solve` is the real planner's
when it exists, else a trivial plan.
"""

from __future__ import annotations

import time
from typing import Any

from planner.model.options import Progress, SolveOptions
from planner.model.plan import Plan, Reason, ScenarioRef, Unassigned
from planner.model.violations import Violation


def _empty_plan(scenario: Any, status: str) -> Plan:
    return Plan(scenario=ScenarioRef(name=scenario.name, sha256="0" * 64), status=status,
                unassigned=[Unassigned(person_id=p.case_id, reasons=[Reason(code="capacity.seats",
                                                                           message="fake")])
                            for p in scenario.people])


def slow_solve(scenario: Any, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    options = options or SolveOptions()
    start = time.monotonic()
    while not options.stopped() and time.monotonic() - start < options.time_limit:
        elapsed = time.monotonic() - start
        options.report(Progress(stage="allocation", objective=1.0, bound=2.0, gap=0.5, elapsed=elapsed))
        time.sleep(0.05)
    return _empty_plan(scenario, "stopped" if options.stopped() else "feasible")


def broken_solve(scenario: Any, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    plan = _empty_plan(scenario, "greedy")
    plan.unassigned[0].reasons = [Reason(code="broken", message="fake")]
    return plan


def validate(scenario: Any, plan: Plan, previous: Plan | None = None) -> list[Violation]:
    return [Violation(rule="fake_rule", message="reason code 'broken' is not in the registry", person_id=u.person_id)
            for u in plan.unassigned if any(r.code == "broken" for r in u.reasons)]


def crash_solve(scenario: Any, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    raise ValueError("the solver gave up")


def nice_probe(scenario: Any, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    import os

    raise RuntimeError(f"nice={os.nice(0)} pid={os.getpid()}")


def stubborn_solve(scenario: Any, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    """Ignores its time limit; only the stop signal ends it (the job's wall-clock limit)."""
    options = options or SolveOptions()
    while not options.stopped():
        time.sleep(0.05)
    return _empty_plan(scenario, "stopped")
