"""`charterplan export pnl|adl|paxlst`: a flight's passenger list for the airline (PNL, ADL) or the border
(PAXLST) from a scenario and a plan (docs/airline.md)."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from planner.cli.common import load, read_plan, write_file
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.notices.cli import add_notice_arguments, cmd_notices

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction
_DESIGNATOR = re.compile(r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$")


def add_export_command(sub: Subparsers) -> None:
    """Register `export` on the `charterplan` command."""
    p = sub.add_parser("export", help="a flight's PNL or ADL for the airline, or its PAXLST for the border")
    p.add_argument("kind", choices=["pnl", "adl", "paxlst", "load-summary", "notices"])
    p.add_argument("scenario", help="scenario folder (scenario.yaml + people file)")
    p.add_argument("plan", nargs="?", help="the plan JSON (the current one)")
    p.add_argument("--people", metavar="FILE", help="people file to use instead of the one scenario.yaml names")
    p.add_argument("--flight", metavar="ID", help="the scenario's flight id (load-summary: default every flight)")
    p.add_argument("--format", choices=["csv", "html", "pdf"],
                   help="load-summary: CSV or printable HTML; notices: pdf or html (default: by --out)")
    p.add_argument("--since", metavar="OLDPLAN", help="adl: the plan the PNL or the last ADL was sent from")
    p.add_argument("--since-scenario", metavar="DIR",
                   help="adl: the scenario folder OLDPLAN was made from (default: SCENARIO)")
    p.add_argument("--designator", metavar="XX1234",
                   help="the airline's code and flight number (default ZZ and the flight's position)")
    p.add_argument("--sender", default="CHARTERPLAN", help="paxlst: sender identification")
    p.add_argument("--receiver", default="APIS", help="paxlst: receiver identification")
    p.add_argument("--force", action="store_true",
                   help="paxlst: export although required data is missing (who forced it is recorded)")
    p.add_argument("--out", metavar="FILE", help="write the message here instead of standard output")
    add_notice_arguments(p)  # notices: docs/notices.md
    p.set_defaults(func=cmd_export)


def _error(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def cmd_export(args: argparse.Namespace) -> int:
    """Write the message; input errors (a missing flight, a name with no Latin letter, missing API data
    without --force) are reported on standard error with exit code 2."""
    from planner.airline.pnl import default_designator
    from planner.airline.roster import ExportError

    if args.kind == "notices":
        return cmd_notices(args)
    if args.plan is None or args.scenario_dir or args.format == "pdf":
        return _error(f"export {args.kind} SCENARIO PLAN: --scenario and --format pdf are for notices only")
    if args.kind == "load-summary":
        from planner.cli.load_summary import cmd_load_summary

        return cmd_load_summary(args)
    if not args.flight:
        return _error(f"export {args.kind} needs --flight ID")
    if args.kind == "adl" and not args.since:
        return _error("export adl needs --since OLDPLAN: the plan the PNL or the last ADL was sent from")
    if args.designator and not _DESIGNATOR.match(args.designator):
        return _error(f"--designator {args.designator!r}: give the airline's two-character code and a flight "
                      "number of 1 to 4 digits, e.g. ZZ1234")
    scenario = load(args.scenario, args.people)
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    designator = args.designator or default_designator(scenario, args.flight)
    try:
        text = _message(args, scenario, plan, designator)
    except ExportError as exc:
        return _error(f"cannot export: {exc}")
    if text is None:
        return 2
    if args.out:
        write_file(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _message(args: argparse.Namespace, scenario: Scenario, plan: Plan, designator: str) -> str | None:
    from planner.airline.adl import adl_message
    from planner.airline.pnl import Addressing, pnl_message

    now = datetime.now(UTC)
    if args.kind == "paxlst":
        return _paxlst(args, scenario, plan, designator, now)
    addressing = Addressing(designator, now)
    if args.kind == "pnl":
        return "".join(pnl_message(scenario, plan, args.flight, addressing))
    since = read_plan(args.since)
    if since is None:
        return None
    before = load(args.since_scenario) if args.since_scenario else None
    return "".join(adl_message(scenario, plan, since, args.flight, addressing, before))


def _paxlst(args: argparse.Namespace, scenario: Scenario, plan: Plan, designator: str, now: datetime) -> str | None:
    """The PAXLST; its warnings go to standard error first, and a forced export says who forced it."""
    from planner.airline.paxlst import IncompleteData, Parties, paxlst_message, paxlst_warnings

    warnings = paxlst_warnings(scenario, plan, args.flight)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    parties = Parties(sender=args.sender, receiver=args.receiver, designator=designator, sent_at=now)
    try:
        text = paxlst_message(scenario, plan, args.flight, parties, force=args.force)
    except IncompleteData as exc:
        print(f"{exc} (--force exports it anyway)", file=sys.stderr)
        return None
    if warnings:
        print(f"export forced with {len(warnings)} warning(s) by {getpass.getuser()} at {now:%Y-%m-%dT%H:%MZ}",
              file=sys.stderr)
    return text
