"""The `charterplan` command: plan, validate, re-plan, compare and size charter operations.

`--time-limit S` is wall-clock seconds for the whole command, counted from its start (loading, solving,
validating and writing included); Ctrl-C or SIGTERM stops a run and still writes the best complete, validated
plan; progress is a live display on a terminal and plain lines otherwise (docs/cli.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from planner.io.loading import ScenarioInputError, load_scenario
from planner.model.options import Progress, SolveOptions
from planner.model.plan import Plan
from planner.pipeline.deadline import Deadline, process_started
from planner.pipeline.interrupt import StopRequest, stop_on_signals
from planner.pipeline.progress import Reporter, reporter

#: when the process started: the interpreter's start and the imports count against --time-limit
COMMAND_STARTED = process_started()


def _deadline(seconds: float | None) -> Deadline:
    """The command's deadline, from when the command started (None or 0: no limit)."""
    return Deadline.after(seconds, start=COMMAND_STARTED)


@contextlib.contextmanager
def _session(quiet: bool) -> Iterator[tuple[Reporter, StopRequest]]:
    """Progress display and Ctrl-C/SIGTERM handling for the length of a command's work."""
    with reporter(quiet) as progress, stop_on_signals(progress.note) as stop:
        yield progress, stop


def _stage(progress: Reporter, deadline: Deadline, stage: str, message: str = "") -> None:
    progress(Progress(stage, elapsed=deadline.elapsed(), message=message,
                      limit=deadline.seconds if deadline.bounded else None))


def _write(path: str, text: str) -> None:
    """Write through a temporary file, so an interrupted write never leaves half a plan."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def _stopped_line(stop: StopRequest, deadline: Deadline) -> str:
    return (f"  stopped by {stop.name} after {deadline.elapsed():.1f} s: this is the best complete plan found "
            "so far, validated")


def summary(plan: Plan) -> str:
    """A readable summary of a plan: who moves, who waits and why, flights and lab load."""
    k = plan.kpis
    lines = [f"Plan for {plan.scenario.name!r}: status {plan.status}",
             f"  moved {k.moved} of {k.people} people on {k.flights_used} flight(s); "
             f"{len(plan.unassigned)} not this time",
             f"  priority (level 1): {plan.objective.level1_value:,} of bound {plan.objective.level1_bound:,} "
             f"(gap {plan.objective.gap:.2%})"]
    if k.unassigned_by_reason:
        lines.append("  not this time, by main reason:")
        lines += [f"    {code:<28} {n:>6}" for code, n in sorted(k.unassigned_by_reason.items(), key=lambda x: -x[1])]
    lines.append("  passengers per flight (seats used incl. escorts):")
    for fp in plan.flights:
        lines.append(f"    {fp.flight_id:<20} {len(fp.passengers):>4} passengers  {len(fp.escorts):>2} escorts  "
                     f"{k.seats_used_by_flight.get(fp.flight_id, 0):>4} seats  {len(fp.provisional):>3} provisional")
    if k.tests_by_site_day:
        lines.append(f"  lab load per site and day (peak {k.lab_peak_ratio:.0%} of daily capacity):")
        for site, days in k.tests_by_site_day.items():
            lines.append(f"    {site:<20} " + "  ".join(f"{d[5:]}:{n}" for d, n in days.items()))
    return "\n".join(lines)


def _input_errors(exc: ScenarioInputError) -> int:
    print(f"{len(exc.issues)} input error(s)", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)
    return 2


def _load(path: str, people: str | None = None):
    """The scenario folder; `people` (from --people) may name a people file outside it, as only the command
    line may (docs/input.md)."""
    try:
        return load_scenario(path, people_file=people)
    except ScenarioInputError as exc:
        print(f"{path}:", file=sys.stderr)
        raise SystemExit(_input_errors(exc)) from None


def cmd_solve(args: argparse.Namespace) -> int:
    deadline = _deadline(args.time_limit)
    with _session(args.quiet) as (progress, stop):
        _stage(progress, deadline, "loading", args.scenario)
        from planner.oracle.validate import validate
        from planner.pipeline.solve import solve

        scenario = _load(args.scenario, getattr(args, "people", None))
        options = SolveOptions(time_limit=args.time_limit, deterministic=args.deterministic, workers=args.workers,
                               seat=not args.no_seating, seating_time_limit=args.seating_time_limit,
                               on_progress=progress, stop=stop, deadline=deadline)
        plan = solve(scenario, options=options)
        _stage(progress, deadline, "validate")
        violations = validate(scenario, plan, Plan(scenario=plan.scenario))  # a first plan: nothing carried over
        if args.out:
            _stage(progress, deadline, "writing", args.out)
            _write(args.out, plan.to_json())
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
        print(_stopped_line(stop, deadline))
        return stop.exit_code
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from planner.oracle.validate import validate

    scenario = _load(args.scenario, getattr(args, "people", None))
    try:
        plan = Plan.model_validate_json(Path(args.plan).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        print(f"{args.plan}: not a readable plan: {exc}", file=sys.stderr)
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


def cmd_generate(args: argparse.Namespace) -> int:
    from planner.io.writing import write_scenario
    from planner.synth.generate import generate_scenario

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        what = "folder is not empty" if out.is_dir() else "path is a file"
        print(f"{args.out}: the {what}; choose another --out or add --force to overwrite", file=sys.stderr)
        return 2
    scenario = generate_scenario(people=args.people, seed=args.seed, flights=args.flights, days=args.days)
    write_scenario(scenario, out)
    print(f"wrote {len(scenario.people)} people, {len(scenario.flights)} flights to {args.out}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from planner.model.scenario import Person, ScenarioFile
    from planner.whatif.events import EventsFile
    from planner.whatif.sweep import SweepSpec
    from planner.whatif.variants import Variant

    schemas = {"scenario": ScenarioFile.model_json_schema(by_alias=True), "person": Person.model_json_schema(),
               "plan": Plan.model_json_schema(), "variant": Variant.model_json_schema(by_alias=True),
               "events": EventsFile.model_json_schema(by_alias=True),
               "sweep": SweepSpec.model_json_schema(by_alias=True)}
    chosen = schemas if args.which == "all" else {args.which: schemas[args.which]}
    print(json.dumps(chosen if args.which == "all" else chosen[args.which], indent=2, sort_keys=True))
    return 0


def cmd_seatmap(args: argparse.Namespace) -> int:
    """Print one flight's seat map; a flight missing from the plan or the scenario is an error, not a crash."""
    from pydantic import ValidationError

    from planner.pipeline.solve import scenario_digest
    from planner.seating.render import render_svg, render_text
    from planner.seating.seatmaps import SeatMapError

    scenario = _load(args.scenario, getattr(args, "people", None))
    try:
        plan = Plan.model_validate_json(Path(args.plan).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        print(f"{args.plan}: not a readable plan ({type(exc).__name__}: {str(exc).splitlines()[0]})", file=sys.stderr)
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


def cmd_replan(args: argparse.Namespace) -> int:
    limit = args.time_limit or None
    deadline = _deadline(limit)
    with _session(args.quiet) as (progress, stop):
        _stage(progress, deadline, "loading", args.scenario)
        from planner.oracle.validate import validate
        from planner.pipeline.solve import solve
        from planner.whatif.events import apply_events, load_events
        from planner.whatif.replan import departed_only, diff_plans

        scenario = _load(args.scenario, getattr(args, "people", None))
        try:
            updated = apply_events(scenario, load_events(args.events), Path(args.events).name)
        except ScenarioInputError as exc:
            return _input_errors(exc)
        previous = Plan.model_validate_json(Path(args.plan).read_text(encoding="utf-8"))
        unlock: set[str] | str | None = "all" if args.unlock == ["all"] else set(args.unlock or []) or None
        options = SolveOptions(time_limit=limit or 0.0, deterministic=args.deterministic, seat=not args.no_seating,
                               on_progress=progress, stop=stop, deadline=deadline, unlock=unlock)
        # a full re-optimisation keeps only the departed flights (always locked), so nobody on them is planned again
        start = departed_only(updated, previous) if args.full else previous
        if args.full:
            options.unlock = "all"
        plan = solve(updated, previous=start, options=options)
        changes = diff_plans(previous, plan)
        _stage(progress, deadline, "validate")
        violations = validate(updated, plan, start if start is not None else Plan(scenario=plan.scenario))
        if args.out:
            _stage(progress, deadline, "writing", args.out)
            _write(args.out, plan.to_json())
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
        print(_stopped_line(stop, deadline))
        return stop.exit_code
    return 0


def _write_tables(table, args: argparse.Namespace) -> None:
    if args.csv:
        Path(args.csv).write_text(table.to_csv(), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(table.to_json(), indent=2), encoding="utf-8")
    print(table.to_text(), end="")


def _invalid_points(lines: list[str]) -> int:
    """Points whose plan the validator rejected: named after the table, and the command fails."""
    if not lines:
        return 0
    print(f"INVALID PLAN(S): {len(lines)} point(s) break hard rules; their figures are not to be trusted",
          file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    return 1


def cmd_compare(args: argparse.Namespace) -> int:
    deadline = _deadline(args.time_limit)
    with _session(args.quiet) as (progress, stop):
        _stage(progress, deadline, "loading", f"{len(args.inputs)} input(s)")
        from planner.whatif.compare import compare_paths

        try:
            table = compare_paths(args.inputs, time_limit=args.time_limit, processes=args.processes,
                                  seat=not args.no_seating, deadline=deadline, stop=stop, on_progress=progress)
        except ScenarioInputError as exc:
            return _input_errors(exc)
    _write_tables(table, args)
    if _invalid_points(table.invalid):
        return 1
    if stop.is_set():
        print(f"stopped by {stop.name} after {deadline.elapsed():.1f} s: each column is the best complete, "
              "validated plan its solve had found")
        return stop.exit_code
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    deadline = _deadline(args.time_limit)
    with _session(args.quiet) as (progress, stop):
        _stage(progress, deadline, "loading", args.spec)
        from planner.whatif.sweep import run_sweep

        try:
            table = run_sweep(args.spec, time_limit=args.time_limit, processes=args.processes,
                              deterministic=args.deterministic, deadline=deadline, stop=stop, on_progress=progress)
        except ScenarioInputError as exc:
            return _input_errors(exc)
    _write_tables(table, args)
    if _invalid_points(table.invalid):
        return 1
    if stop.is_set():
        print(f"stopped by {stop.name} after {deadline.elapsed():.1f} s: each row is the best complete, "
              "validated plan its solve had found")
        return stop.exit_code
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    from datetime import date

    deadline = _deadline(args.time_limit)
    with _session(args.quiet) as (progress, stop):
        _stage(progress, deadline, "loading", args.scenario)
        from planner.whatif.fleet import size_fleet

        scenario = _load(args.scenario, getattr(args, "people", None))
        by = date.fromisoformat(args.by) if args.by else None
        result = size_fleet(scenario, by=by, minimise=args.minimise,
                            options=SolveOptions(time_limit=args.time_limit, on_progress=progress, stop=stop,
                                                 deadline=deadline))
    print(result.to_text(), end="")
    if stop.is_set():
        print(f"stopped by {stop.name} after {deadline.elapsed():.1f} s: the best choice found so far")
        return stop.exit_code
    return 0


TIME_LIMIT_HELP = ("wall-clock seconds for the whole command, from its start to the file written (loading, "
                   "solving, seating, validating and writing); Ctrl-C stops earlier with the best plan so far")


def build_parser(extend: Callable[[argparse._SubParsersAction], None] | None = None) -> argparse.ArgumentParser:
    """The command's parser; `extend` adds subcommands of other packages (the service's serve and users)."""
    parser = argparse.ArgumentParser(prog="charterplan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    if extend is not None:
        extend(sub)

    p = sub.add_parser("solve", help="plan a scenario folder and print a summary")
    p.add_argument("scenario", help="scenario folder (scenario.yaml + people file)")
    p.add_argument("--people", metavar="FILE",
                   help="people file to use instead of the one scenario.yaml names (may be outside the folder)")
    p.add_argument("--out", help="write the plan JSON here")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help=TIME_LIMIT_HELP + " (default: %(default)g)")
    p.add_argument("--seating-time-limit", type=float, default=0.5,
                   help="at most this many CP-SAT seconds per flight for seating, within --time-limit")
    p.add_argument("--workers", type=int, default=2, help="CP-SAT search workers")
    p.add_argument("--deterministic", action="store_true", help="byte-identical plans for the same input")
    p.add_argument("--no-seating", action="store_true", help="allocation and tests only")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("validate", help="check a plan against a scenario; exit 1 on violations")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE",
                   help="people file to use instead of the one scenario.yaml names (may be outside the folder)")
    p.add_argument("plan")
    p.add_argument("--anyway", action="store_true",
                   help="check the plan even when it was made for another scenario (by name)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("generate", help="write a synthetic scenario folder")
    p.add_argument("--people", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--flights", type=int, default=None)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("replan", help="apply events to a scenario and re-plan from a previous plan")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE",
                   help="people file to use instead of the one scenario.yaml names (may be outside the folder)")
    p.add_argument("plan", help="the previous (published) plan JSON")
    p.add_argument("events", help="events YAML (format: charterplan.events/1)")
    p.add_argument("--out", help="write the new plan JSON here")
    p.add_argument("--unlock", nargs="*", help="flight ids to unlock, or 'all'")
    p.add_argument("--time-limit", type=float, default=0.0, metavar="S",
                   help=TIME_LIMIT_HELP + "; CP-SAT improves how freed seats are filled with the time left "
                   "(default 0: no limit, freed seats are filled by priority)")
    p.add_argument("--full", action="store_true",
                   help="full re-optimisation from scratch (nothing kept); the changes are listed")
    p.add_argument("--deterministic", action="store_true")
    p.add_argument("--no-seating", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_replan)

    p = sub.add_parser("compare", help="solve variants or scenarios in parallel and compare their KPIs")
    p.add_argument("inputs", nargs="+",
                   help="variant YAML, scenario folder, or PLAN.json@SCENARIO_DIR; the first is the reference")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help=TIME_LIMIT_HELP + ", all inputs together (default: %(default)g)")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--no-seating", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--csv", help="also write the table as CSV")
    p.add_argument("--json", help="also write the table as JSON")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("sweep", help="evaluate a parameter grid (charterplan.sweep/1) into one table")
    p.add_argument("spec")
    p.add_argument("--time-limit", type=float, default=120.0, metavar="S",
                   help=TIME_LIMIT_HELP + ", all points together (default: %(default)g)")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--deterministic", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--csv")
    p.add_argument("--json")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("fleet", help="fewest (or cheapest) optional charters that move everyone eligible by a date")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE",
                   help="people file to use instead of the one scenario.yaml names (may be outside the folder)")
    p.add_argument("--by", help="last departure date (YYYY-MM-DD); default: all flights")
    p.add_argument("--minimise", choices=["count", "cost"], default="count")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help=TIME_LIMIT_HELP + " (default: %(default)g)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_fleet)

    p = sub.add_parser("schema", help="print the JSON Schemas of the file formats")
    p.add_argument("which", nargs="?", default="all",
                   choices=["all", "scenario", "person", "plan", "variant", "events", "sweep"])
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("seatmap", help="print a flight's seat map from a plan")
    p.add_argument("plan")
    p.add_argument("flight_id")
    p.add_argument("--scenario", required=True, help="the scenario folder the plan was made for")
    p.add_argument("--svg", action="store_true", help="SVG instead of text")
    p.set_defaults(func=cmd_seatmap)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; a reader that stops early (`charterplan schema | head`) ends it quietly."""
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away: send the rest of stdout nowhere so the interpreter's final flush stays quiet
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a command killed by the closed pipe would report


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
