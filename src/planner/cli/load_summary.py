"""`charterplan export load-summary`: a flight's (or every flight's) load summary for the airline, as CSV or a
printable HTML page (docs/load.md)."""

from __future__ import annotations

import argparse
import sys

from planner.cli.common import load, read_plan, write_out


def cmd_load_summary(args: argparse.Namespace) -> int:
    """Write the summary; a flight missing from the scenario or the plan is an error (exit 2)."""
    from planner.report.load_summary import flight_load, plan_loads
    from planner.report.load_summary_files import load_summary_csv, load_summary_html

    scenario = load(args.scenario, args.people)
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    try:
        loads = [flight_load(scenario, plan, args.flight)] if args.flight else plan_loads(scenario, plan)
    except KeyError as exc:
        print(f"cannot export: {exc.args[0]}", file=sys.stderr)
        return 2
    fmt = args.format or ("html" if (args.out or "").lower().endswith((".html", ".htm")) else "csv")
    title = f"Load summary: {scenario.name}"
    text = load_summary_html(loads, title) if fmt == "html" else load_summary_csv(loads)
    write_out(args.out, text)
    return 0
