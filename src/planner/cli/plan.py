"""The plan subcommands: solve, replan, validate and seatmap (docs/cli.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from planner.cli.common import (
    command_deadline,
    exit_stopped,
    input_errors,
    load,
    read_plan,
    session,
    stage,
    stopped_line,
    summary,
    write_file,
)
from planner.io.loading import ScenarioInputError
from planner.model.options import SolveOptions
from planner.model.plan import Plan
from planner.model.violations import Violation
from planner.pipeline.deadline import Deadline
from planner.pipeline.progress import Reporter

if TYPE_CHECKING:  # imported with the solver, inside the commands
    from planner.cli.validate_two import Validation


def _validate_and_write(progress: Reporter, deadline: Deadline, out: str | None, plan: Plan,
                        checking: Validation) -> list[Violation]:
    """Write the plan while its validation, started when the solve had its reasons, runs in forked children
    (docs/cli.md, "Stopping"); then its violations. The file is written either way, as before."""
    if out:
        stage(progress, deadline, "writing", out)
        write_file(out, plan.to_json())
    stage(progress, deadline, "validate")
    return checking.result()


def cmd_solve(args: argparse.Namespace) -> int:
    deadline = command_deadline(args.time_limit)
    with session(args.quiet) as (progress, stop):
        stage(progress, deadline, "loading", args.scenario)
        stop.single_plan = True  # a stop before the plan exists writes nothing (docs/cli.md, "Stopping")
        with stop.before_plan():
            from planner.cli.validate_two import start_validation
            from planner.pipeline.solve import solve

            scenario = load(args.scenario, getattr(args, "people", None))
        options = SolveOptions(time_limit=args.time_limit, deterministic=args.deterministic, workers=args.workers,
                               seat=not args.no_seating, seating_time_limit=args.seating_time_limit,
                               on_progress=progress, stop=stop, deadline=deadline)
        checking: list[Validation] = []

        def check(final: Plan) -> None:  # a first plan: nothing carried over
            checking.append(start_validation(scenario, final, Plan(scenario=final.scenario)))

        plan = solve(scenario, options=options, checkable=check)
        violations = _validate_and_write(progress, deadline, args.out, plan, checking[0])
    print(summary(plan))
    if args.out:
        print(f"  plan written to {args.out}")
    if violations:
        print(f"INVALID PLAN: {len(violations)} violation(s)", file=sys.stderr)
        for v in violations[:50]:
            print(f"  {v}", file=sys.stderr)
        return 1
    print("  validated: no hard rule violated")
    if stop.is_set():
        print(stopped_line(stop, deadline))
        return exit_stopped(stop)
    return 0


def cmd_replan(args: argparse.Namespace) -> int:
    limit = args.time_limit or None
    deadline = command_deadline(limit)
    with session(args.quiet) as (progress, stop):
        stage(progress, deadline, "loading", args.scenario)
        stop.single_plan = True  # a stop before the plan exists writes nothing (docs/cli.md, "Stopping")
        with stop.before_plan():
            from planner.cli.validate_two import start_validation
            from planner.pipeline.solve import solve
            from planner.whatif.events import apply_events, load_events
            from planner.whatif.replan import departed_only, diff_plans

            scenario = load(args.scenario, getattr(args, "people", None))
            try:
                updated = apply_events(scenario, load_events(args.events), Path(args.events).name)
            except ScenarioInputError as exc:
                return input_errors(exc)
            previous = Plan.model_validate_json(Path(args.plan).read_text(encoding="utf-8"))
        unlock: set[str] | Literal["all"] | None = "all" if args.unlock == ["all"] else set(args.unlock or []) or None
        options = SolveOptions(time_limit=limit or 0.0, deterministic=args.deterministic, seat=not args.no_seating,
                               on_progress=progress, stop=stop, deadline=deadline, unlock=unlock)
        # a full re-optimisation keeps only the departed flights (always locked), so nobody on them is planned again
        start = departed_only(updated, previous) if args.full else previous
        if args.full:
            options.unlock = "all"
        checking: list[Validation] = []

        def check(final: Plan) -> None:
            checking.append(start_validation(updated, final, start if start is not None else
                                             Plan(scenario=final.scenario)))

        plan = solve(updated, previous=start, options=options, checkable=check)
        violations = _validate_and_write(progress, deadline, args.out, plan, checking[0])
        changes = diff_plans(previous, plan)
    print(summary(plan))
    print(f"  changes against the previous plan: {len(changes)}")
    for c in changes:
        print(f"    {c.person_id:<10} {c.kind:<13} {c.before or '-':>26} -> {c.after or '-':<26} {c.reason}")
    if args.out:
        print(f"  plan written to {args.out}")
    for v in violations[:50]:
        print(f"  {v}", file=sys.stderr)
    if violations:
        return 1
    print("  validated: no hard rule violated")
    if stop.is_set():
        print(stopped_line(stop, deadline))
        return exit_stopped(stop)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:

    from planner.oracle.validate import validate

    scenario = load(args.scenario, getattr(args, "people", None))
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    from planner.pipeline.solve import scenario_digest

    digest = scenario_digest(scenario)
    if plan.scenario.sha256 != digest:
        made_for = f"{plan.scenario.name!r} (digest {plan.scenario.sha256[:12]})"
        here = f"{scenario.name!r} (digest {digest[:12]})"
        if plan.scenario.name != scenario.name and not args.anyway:
            print(f"{args.plan} was made for the scenario {made_for}, not for {args.scenario}, which is {here}: "
                  "its violations would only say so. Give the scenario the plan was made for, or --anyway to "
                  "check it against this one.", file=sys.stderr)
            return 2
        print(f"warning: {args.plan} was made for {made_for}; {args.scenario} is {here} (a changed version?): "
              "violations may come from the changes", file=sys.stderr)
    violations = validate(scenario, plan)
    for v in violations:
        print(v)
    print(f"{len(violations)} violation(s)")
    return 1 if violations else 0


def cmd_seatmap(args: argparse.Namespace) -> int:
    """Print one flight's seat map; a flight missing from the plan or the scenario is an error, not a crash."""

    from planner.pipeline.solve import scenario_digest
    from planner.seating.render import render_svg, render_text
    from planner.seating.seatmaps import SeatMapError

    scenario = load(args.scenario, getattr(args, "people", None))
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    in_plan = sorted(f.flight_id for f in plan.flights)
    in_scenario = sorted(f.id for f in scenario.flights)
    if args.flight_id not in in_plan:
        print(f"flight {args.flight_id!r} is not in the plan {args.plan} (its flights: {', '.join(in_plan) or 'none'})",
              file=sys.stderr)
        return 2
    if args.flight_id not in in_scenario:
        print(f"flight {args.flight_id!r} is not in the scenario {args.scenario} (its flights: "
              f"{', '.join(in_scenario) or 'none'}); was the plan made for another scenario "
              f"({plan.scenario.name!r})?", file=sys.stderr)
        return 2
    if plan.scenario.sha256 != scenario_digest(scenario):
        print(f"warning: the plan was made for {plan.scenario.name!r} (digest {plan.scenario.sha256[:12]}), "
              f"not for this version of {args.scenario}: the map may not match", file=sys.stderr)
    try:
        text = render_svg(scenario, plan, args.flight_id) if args.svg else render_text(scenario, plan, args.flight_id)
    except SeatMapError as exc:
        print(f"flight {args.flight_id!r}: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    return 0
