"""`charterplan arrival-list`: a flight's arrival list for one reception partner, with only the columns that
partner needs (docs/reception.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from planner.cli.common import load, read_plan, write_out

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


def add_reception_command(sub: Subparsers) -> None:
    """Register `arrival-list` on the `charterplan` command."""
    from planner.report.arrival_list import PARTNERS

    p = sub.add_parser("arrival-list", help="a flight's arrival list for a reception partner (CSV or XLSX)")
    p.add_argument("scenario", help="scenario folder (scenario.yaml + people file)")
    p.add_argument("plan", help="the plan JSON")
    p.add_argument("--people", metavar="FILE", help="people file to use instead of the one scenario.yaml names")
    p.add_argument("--flight", required=True, metavar="ID", help="the scenario's flight id")
    p.add_argument("--partner", required=True, choices=PARTNERS,
                   help="whose list: airport reception (everyone), child protection (unaccompanied children), "
                        "medical (medical cases) or referrals (people referred to a partner)")
    p.add_argument("--out", metavar="FILE", help="write here (.csv or .xlsx) instead of CSV on standard output")
    p.set_defaults(func=cmd_arrival_list)


def cmd_arrival_list(args: argparse.Namespace) -> int:
    from planner.report.arrival_list import arrival_csv, arrival_lists, arrival_xlsx

    scenario = load(args.scenario, args.people)
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    try:
        lists = arrival_lists(scenario, plan, args.flight, args.partner)
    except KeyError:
        print(f"--flight {args.flight!r}: not a flight of both the scenario and the plan", file=sys.stderr)
        return 2
    people = sum(len(lst.rows) for lst in lists)
    xlsx = bool(args.out) and args.out.lower().endswith(".xlsx")
    if write_out(args.out, arrival_xlsx(lists) if xlsx else arrival_csv(lists)):
        print(f"{people} people on {len(lists)} list(s) -> {args.out}")
    return 0
