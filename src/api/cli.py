"""Functions behind `charterplan serve` and `charterplan users create` (called from planner.cli)."""

from __future__ import annotations

import getpass
import logging
import sys

from api.settings import Settings, get_settings


def configure_logging(level: str) -> None:
    """Our own access log (route templates, no query strings); uvicorn's access log is off."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve(host: str = "127.0.0.1", port: int = 8000, demo: bool = False, settings: Settings | None = None) -> None:
    """Start uvicorn with the app; `demo` loads the bundled scenarios into an empty store."""
    import uvicorn

    from api.app import create_app

    settings = settings or get_settings()
    configure_logging(settings.log_level)
    # Requests hop between the event loop and worker threads; with CPython's default 5 ms GIL switch interval,
    # each hop can wait a full interval behind a thread building a manifest; 0.5 ms keeps reads snappy.
    sys.setswitchinterval(settings.gil_switch_interval)
    app = create_app(settings)
    app.state.demo = demo
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, proxy_headers=False)


def worker(concurrency: int | None = None) -> int:
    """`charterplan worker`: a Celery worker for solve jobs (CHARTERPLAN_TASK_ENGINE=celery, docs/deployment.md)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        from api.celery_app import run_worker
    except ImportError:
        print("charterplan worker needs the distributed extra: pip install -c requirements.lock -e '.[distributed]'",
              file=sys.stderr)
        return 2
    run_worker(concurrency, settings.log_level.upper())
    return 0


def _read_password(username: str) -> str | None:
    """Ask twice on a terminal; without one (a pipe, a script) read one line from standard input."""
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass(f"password for {username}: ")
            if password != getpass.getpass("again: "):
                print("the passwords differ", file=sys.stderr)
                return None
            return password
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except (EOFError, KeyboardInterrupt):
        line = ""
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        print("no password given: type it at the prompt, pipe it on standard input or set "
              "CHARTERPLAN_NEW_USER_PASSWORD", file=sys.stderr)
        return None
    return password


def create_user(username: str, role: str, password: str | None = None, settings: Settings | None = None) -> int:
    """Create a user (e.g. the first admin); prompts for the password when none is given. Returns an exit code."""
    from sqlmodel import Session

    from api.audit import audit
    from api.auth import ROLES
    from api.db import make_engine, migrate
    from api.problems import ApiProblem
    from api.routers.auth_users import create_user as add

    if role not in ROLES:
        print(f"unknown role {role!r}; choose one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    if password is None:
        password = _read_password(username)
        if password is None:
            return 2
    from api.password_policy import password_problems

    problems = password_problems(password, username)
    if problems:
        print("the password is too weak: " + "; ".join(problems), file=sys.stderr)
        return 2
    settings = settings or get_settings()
    engine = make_engine(settings.database_url, settings.sqlite_busy_timeout_ms)
    migrate(engine)
    with Session(engine) as session:
        try:
            user = add(session, username, password, role)
        except ApiProblem as exc:
            print(exc.detail, file=sys.stderr)
            return 1
        audit(session, "cli", "create", "user", user.id, role=role)
        session.commit()
    print(f"created user {username} with role {role}")
    return 0
