"""The `charterplan` command: plan, validate, re-plan, compare and size charter operations.

`--time-limit S` is wall-clock seconds for the whole command, counted from its start (loading, solving,
validating and writing included); Ctrl-C or SIGTERM stops a run and still writes the best complete, validated
plan; progress is a live display on a terminal and plain lines otherwise (docs/cli.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from planner.cli.args import Subparsers, add_commands
from planner.cli.common import COMMAND_STARTED as COMMAND_STARTED  # first: the command's clock starts there


def build_parser(extend: Callable[[Subparsers], None] | None = None) -> argparse.ArgumentParser:
    """The command's parser; `extend` adds subcommands of other packages (the service's serve and users)."""
    parser = argparse.ArgumentParser(prog="charterplan", description=__doc__)
    add_commands(parser.add_subparsers(dest="command", required=True), extend)
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

