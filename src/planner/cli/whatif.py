"""The what-if subcommands: compare, sweep and fleet, and the files-only ones: generate and schema
(docs/cli.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planner.cli.common import (
    command_deadline,
    exit_stopped,
    finish_table,
    input_errors,
    load,
    session,
    stage,
)
from planner.io.loading import ScenarioInputError
from planner.model.options import SolveOptions
from planner.model.plan import Plan


def cmd_compare(args: argparse.Namespace) -> int:
    deadline = command_deadline(args.time_limit)
    with session(args.quiet) as (progress, stop):
        stage(progress, deadline, "loading", f"{len(args.inputs)} input(s)")
        from planner.whatif.compare import compare_paths

        try:
            table = compare_paths(args.inputs, time_limit=args.time_limit, processes=args.processes,
                                  seat=not args.no_seating, deadline=deadline, stop=stop, on_progress=progress)
        except ScenarioInputError as exc:
            return input_errors(exc)
    return finish_table(table, args, stop, deadline, "column")


def cmd_sweep(args: argparse.Namespace) -> int:
    deadline = command_deadline(args.time_limit)
    with session(args.quiet) as (progress, stop):
        stage(progress, deadline, "loading", args.spec)
        from planner.whatif.sweep import run_sweep

        try:
            table = run_sweep(args.spec, time_limit=args.time_limit, processes=args.processes,
                              deterministic=args.deterministic, deadline=deadline, stop=stop, on_progress=progress)
        except ScenarioInputError as exc:
            return input_errors(exc)
    return finish_table(table, args, stop, deadline, "row")


def cmd_fleet(args: argparse.Namespace) -> int:
    from datetime import date

    deadline = command_deadline(args.time_limit)
    with session(args.quiet) as (progress, stop):
        stage(progress, deadline, "loading", args.scenario)
        from planner.whatif.fleet import size_fleet

        scenario = load(args.scenario, getattr(args, "people", None))
        by = date.fromisoformat(args.by) if args.by else None
        result = size_fleet(scenario, by=by, minimise=args.minimise,
                            options=SolveOptions(time_limit=args.time_limit, on_progress=progress, stop=stop,
                                                 deadline=deadline))
    print(result.to_text(), end="")
    if stop.is_set():
        print(f"stopped by {stop.name} after {deadline.elapsed():.1f} s: the best choice found so far")
        return exit_stopped(stop)
    return 0


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
    from planner.whatif.variant_files import Variant

    schemas = {"scenario": ScenarioFile.model_json_schema(by_alias=True), "person": Person.model_json_schema(),
               "plan": Plan.model_json_schema(), "variant": Variant.model_json_schema(by_alias=True),
               "events": EventsFile.model_json_schema(by_alias=True),
               "sweep": SweepSpec.model_json_schema(by_alias=True)}
    chosen = schemas if args.which == "all" else {args.which: schemas[args.which]}
    print(json.dumps(chosen if args.which == "all" else chosen[args.which], indent=2, sort_keys=True))
    return 0
