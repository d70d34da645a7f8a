"""`charterplan document-requests`: the list of travel documents a plan counts on, per issuing authority
(docs/documents-pipeline.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from planner.cli.common import load, read_plan, write_out

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


def add_documents_command(sub: Subparsers) -> None:
    """Register `document-requests` on the `charterplan` command."""
    p = sub.add_parser("document-requests",
                       help="the travel documents a plan counts on, per issuing authority, with the date each "
                            "must be issued by (CSV)")
    p.add_argument("scenario", help="scenario folder (scenario.yaml + people file)")
    p.add_argument("plan", help="the plan JSON")
    p.add_argument("--people", metavar="FILE", help="people file to use instead of the one scenario.yaml names")
    p.add_argument("--authority", metavar="ID", help="only this issuing authority")
    p.add_argument("--out", metavar="FILE", help="write the CSV here instead of standard output")
    p.set_defaults(func=cmd_document_requests)


def cmd_document_requests(args: argparse.Namespace) -> int:
    from planner.report.document_requests import document_requests, requests_csv

    scenario = load(args.scenario, args.people)
    plan = read_plan(args.plan)
    if plan is None:
        return 2
    known = {a.id for a in scenario.protocol.document_authorities}
    if args.authority is not None and args.authority not in known:
        print(f"--authority {args.authority!r}: not one of the protocol's document_authorities "
              f"({', '.join(sorted(known)) or 'none defined'})", file=sys.stderr)
        return 2
    rows = [r for r in document_requests(scenario, plan) if args.authority in (None, r.authority)]
    text = requests_csv(rows)
    if write_out(args.out, text):
        print(f"{len(rows)} document(s) for {len({r.authority for r in rows})} authority(ies) -> {args.out}")
    return 0
