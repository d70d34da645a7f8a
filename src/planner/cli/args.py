"""The command line of `charterplan`: one function per subcommand adds its arguments (docs/cli.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from planner.cli.common import TIME_LIMIT_HELP
from planner.cli.documents import add_documents_command
from planner.cli.export import add_export_command
from planner.cli.plan import cmd_replan, cmd_seatmap, cmd_solve, cmd_validate
from planner.cli.reception import add_reception_command
from planner.cli.whatif import cmd_compare, cmd_fleet, cmd_generate, cmd_schema, cmd_sweep

if TYPE_CHECKING:  # generic for the type checker only
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]  # what `add_subparsers()` returns
else:
    Subparsers = argparse._SubParsersAction
PEOPLE_HELP = "people file to use instead of the one scenario.yaml names (may be outside the folder)"


def _solve(sub: Subparsers) -> None:
    p = sub.add_parser("solve", help="plan a scenario folder and print a summary")
    p.add_argument("scenario", help="scenario folder (scenario.yaml + people file)")
    p.add_argument("--people", metavar="FILE", help=PEOPLE_HELP)
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


def _validate(sub: Subparsers) -> None:
    p = sub.add_parser("validate", help="check a plan against a scenario; exit 1 on violations")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE", help=PEOPLE_HELP)
    p.add_argument("plan")
    p.add_argument("--anyway", action="store_true",
                   help="check the plan even when it was made for another scenario (by name)")
    p.set_defaults(func=cmd_validate)


def _generate(sub: Subparsers) -> None:
    p = sub.add_parser("generate", help="write a synthetic scenario folder")
    p.add_argument("--people", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--flights", type=int, default=None)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    p.set_defaults(func=cmd_generate)


def _replan(sub: Subparsers) -> None:
    p = sub.add_parser("replan", help="apply events to a scenario and re-plan from a previous plan")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE", help=PEOPLE_HELP)
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


def _compare(sub: Subparsers) -> None:
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


def _sweep(sub: Subparsers) -> None:
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


def _fleet(sub: Subparsers) -> None:
    p = sub.add_parser("fleet", help="fewest (or cheapest) optional charters that move everyone eligible by a date")
    p.add_argument("scenario")
    p.add_argument("--people", metavar="FILE", help=PEOPLE_HELP)
    p.add_argument("--by", help="last departure date (YYYY-MM-DD); default: all flights")
    p.add_argument("--minimise", choices=["count", "cost"], default="count")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help=TIME_LIMIT_HELP + " (default: %(default)g)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_fleet)


def _schema(sub: Subparsers) -> None:
    p = sub.add_parser("schema", help="print the JSON Schemas of the file formats")
    p.add_argument("which", nargs="?", default="all",
                   choices=["all", "scenario", "person", "plan", "variant", "events", "sweep"])
    p.set_defaults(func=cmd_schema)


def _seatmap(sub: Subparsers) -> None:
    p = sub.add_parser("seatmap", help="print a flight's seat map from a plan")
    p.add_argument("plan")
    p.add_argument("flight_id")
    p.add_argument("--scenario", required=True, help="the scenario folder the plan was made for")
    p.add_argument("--svg", action="store_true", help="SVG instead of text")
    p.set_defaults(func=cmd_seatmap)


COMMANDS: tuple[Callable[[Subparsers], None], ...] = (_solve, _validate, _generate, _replan, _compare, _sweep, _fleet,
                                                      _schema, _seatmap, add_export_command,
                                                      add_documents_command, add_reception_command)


def add_commands(sub: Subparsers, extend: Callable[[Subparsers], None] | None = None) -> None:
    """The planner's subcommands; `extend` adds those of other packages (the service's serve and users)."""
    if extend is not None:
        extend(sub)
    for add in COMMANDS:
        add(sub)
