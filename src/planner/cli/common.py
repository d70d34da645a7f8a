"""What every `charterplan` subcommand shares: the command's deadline from the process start, the progress
display with Ctrl-C handling, loading a scenario, writing files, the plan summary (docs/cli.md)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from planner.io.input_limits import DEFAULT_LIMITS, InputLimits
from planner.io.loading import ScenarioInputError, load_scenario
from planner.model.options import Progress
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline, process_started
from planner.pipeline.interrupt import StoppedBeforePlan, StopRequest, stop_on_signals
from planner.pipeline.progress import Reporter, reporter

#: when the process started: the interpreter's start and the imports count against --time-limit
COMMAND_STARTED = process_started()


def command_deadline(seconds: float | None) -> Deadline:
    """The command's deadline, from when the command started (None or 0: no limit)."""
    return Deadline.after(seconds, start=COMMAND_STARTED)


@contextlib.contextmanager
def session(quiet: bool) -> Iterator[tuple[Reporter, StopRequest]]:
    """Progress display and Ctrl-C/SIGTERM handling for the length of a command's work. A stop before the
    command had a complete plan (`StopRequest.before_plan`) ends it here: said on stderr, nothing written,
    the signal's exit code (docs/cli.md, "Stopping")."""
    stop: StopRequest | None = None
    try:
        with reporter(quiet) as progress, stop_on_signals(progress.note) as stop:
            yield progress, stop
    except StoppedBeforePlan:
        assert stop is not None
        print(f"stopped by {stop.name} after {time.monotonic() - COMMAND_STARTED:.1f} s, before a first complete "
              "plan existed (loading the scenario or building the problem): nothing written", file=sys.stderr)
        raise SystemExit(exit_stopped(stop)) from None


def stage(progress: Reporter, deadline: Deadline, stage: str, message: str = "") -> None:
    progress(Progress(stage, elapsed=deadline.elapsed(), message=message,
                      limit=deadline.seconds if deadline.bounded else None))


def write_file(path: str, data: str | bytes) -> None:
    """Write through a temporary file, so an interrupted write never leaves half a plan (text as UTF-8)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, target)


def write_out(out: str | None, data: str | bytes) -> bool:
    """A command's output to the file `--out` names (`write_file`), or to standard output without one; True
    when a file was written, so that the command can say where (standard output carries only the data)."""
    if out:
        write_file(out, data)
        return True
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data)
    return False


def stopped_line(stop: StopRequest, deadline: Deadline) -> str:
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
    o = plan.objective
    if o.level2_spread is not None:
        lines.append(f"  households together (level 2): spread {o.level2_spread:,}; seat comfort (level 4): "
                     f"cost {o.level4_seat_cost or 0:,}")
    if o.level4_non_robust is not None:
        lines.append(f"  samples a delay could invalidate (level 4): {o.level4_non_robust:,}")
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


def input_errors(exc: ScenarioInputError) -> int:
    print(f"{len(exc.issues)} input error(s)", file=sys.stderr)
    for issue in exc.issues:
        print(f"  {issue}", file=sys.stderr)
    return 2


#: the service's settings of the input limits, which the CLI reads from the environment too (docs/input.md)
LIMIT_SETTINGS = {"max_file_bytes": "CHARTERPLAN_MAX_UPLOAD_BYTES",
                  "max_expanded_bytes": "CHARTERPLAN_MAX_XLSX_EXPANDED_BYTES",
                  "max_zip_members": "CHARTERPLAN_MAX_ZIP_MEMBERS"}


def input_limits() -> InputLimits:
    """The default input limits, or the service's settings of them where the environment sets them: a people
    file of 100,000 people is about 21 MiB, over the default 20 MiB (docs/input.md)."""
    changed: dict[str, int] = {}
    for field, variable in LIMIT_SETTINGS.items():
        text = os.environ.get(variable)
        if text is None:
            continue
        if not text.strip().isdigit() or int(text) < 1:
            raise SystemExit(f"{variable} must be a whole number of bytes (or files), not {text[:40]!r}")
        changed[field] = int(text)
    return replace(DEFAULT_LIMITS, **changed)


def load(path: str, people: str | None = None) -> Scenario:
    """The scenario folder; `people` (from --people) may name a people file outside it, as only the command
    line may (docs/input.md)."""
    try:
        return load_scenario(path, people_file=people, limits=input_limits())
    except ScenarioInputError as exc:
        print(f"{path}:", file=sys.stderr)
        raise SystemExit(input_errors(exc)) from None


def read_plan(path: str) -> Plan | None:
    """A plan file, or None after saying on stderr, in one line, why it is not a readable plan."""
    from pydantic import ValidationError

    try:
        return Plan.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        print(f"{path}: not a readable plan ({type(exc).__name__}: {str(exc).splitlines()[0]})", file=sys.stderr)
        return None


def write_tables(table: Any, args: argparse.Namespace) -> None:
    if args.csv:
        Path(args.csv).write_text(table.to_csv(), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(table.to_json(), indent=2), encoding="utf-8")
    print(table.to_text(), end="")


def finish_table(table: Any, args: argparse.Namespace, stop: StopRequest, deadline: Deadline, each: str) -> int:
    """Write a compare or sweep table, then its exit code: 1 when a point's plan is invalid, the signal's code
    when a stop cut the solves short (each `each` of the table then holds the best plan its solve had found)."""
    write_tables(table, args)
    if invalid_points(table.invalid):
        return 1
    if stop.is_set():
        print(f"stopped by {stop.name} after {deadline.elapsed():.1f} s: each {each} is the best complete, "
              "validated plan its solve had found")
        return exit_stopped(stop)
    return 0


def invalid_points(lines: list[str]) -> int:
    """Points whose plan the validator rejected: named after the table, and the command fails."""
    if not lines:
        return 0
    print(f"INVALID PLAN(S): {len(lines)} point(s) break hard rules; their figures are not to be trusted",
          file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    return 1


TIME_LIMIT_HELP = ("wall-clock seconds for the whole command, from its start to the file written (loading, "
                   "solving, seating, validating and writing); Ctrl-C stops earlier with the best plan so far")


def exit_stopped(stop: StopRequest) -> int:
    """End a command a signal stopped, once its output is written and flushed: at once, without the
    interpreter's teardown, which frees every object of the solve one by one (a second or more for 7,000
    people on a busy machine) and is pointless after a stop (docs/cli.md, "Stopping"). Only when a signal
    did stop it (never for an in-process caller, who gets the exit code back)."""
    if stop.signal is None:
        return stop.exit_code
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(stop.exit_code)
