"""Entry point of the `charterplan` command.

The planning subcommands live in `planner.cli` (usable with the base install); `serve` and `users` come from
the service package, imported only when used, so `planner` itself never depends on the service.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from planner.cli import build_parser, run  # first: the command's clock starts there


def _serve(args: argparse.Namespace) -> int:
    from api.cli import serve

    serve(host=args.host, port=args.port, demo=args.demo)
    return 0


def _users_create(args: argparse.Namespace) -> int:
    from api.cli import create_user

    return create_user(args.username, args.role, password=os.environ.get("CHARTERPLAN_NEW_USER_PASSWORD"))


def _worker(args: argparse.Namespace) -> int:
    from api.cli import worker

    return worker(args.concurrency)


def _service_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the web service (SQLite by default; DATABASE_URL for PostgreSQL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--demo", action="store_true", help="load the bundled operations into an empty store")
    p.set_defaults(func=_serve)
    p = sub.add_parser("worker", help="start a Celery worker for solve jobs (docs/deployment.md)")
    p.add_argument("--concurrency", type=int, default=None, help="solve processes (CHARTERPLAN_WORKER_CONCURRENCY)")
    p.set_defaults(func=_worker)
    users = sub.add_parser("users", help="manage service users").add_subparsers(dest="users_command", required=True)
    p = users.add_parser("create", help="create a user; asks for the password (or CHARTERPLAN_NEW_USER_PASSWORD)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["viewer", "officer", "coordinator", "admin"])
    p.set_defaults(func=_users_create)


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(_service_commands).parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
