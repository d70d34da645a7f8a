"""Cached logins forgotten by every replica at once (PostgreSQL LISTEN/NOTIFY).

Each replica remembers resolved access tokens for up to `api.auth.PRINCIPAL_SECONDS` (`app.state.principals`).
When a user's role, status or sessions change, or a session signs out, the replica that made the change clears
its own cache and announces it; a listener thread in every replica on the same PostgreSQL database clears
theirs on the notice. A listener that loses its connection clears its caches, since it may have missed a
notice. The embedded SQLite store is served by one process and needs none of this.
https://www.postgresql.org/docs/current/sql-notify.html
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger("api.principal_events")
CHANNEL = "charterplan_principals"
_LISTENERS: dict[str, _Listener] = {}
_LOCK = threading.Lock()


def announce(app: Any) -> None:
    """Tell every replica to forget its cached logins (no-op on SQLite)."""
    engine: Engine = app.state.engine
    if engine.dialect.name != "postgresql":
        return
    listen(app)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
    except Exception:
        log.exception("could not announce a login change to the other replicas")


def listen(app: Any) -> None:
    """Make sure this app's cache is cleared on every notice (one listener per process and database)."""
    if getattr(app.state, "principal_listener", None) is not None:
        return
    engine: Engine = app.state.engine
    if engine.dialect.name != "postgresql":
        return
    url = engine.url.render_as_string(hide_password=False)
    with _LOCK:
        listener = _LISTENERS.get(url)
        if listener is None or not listener.is_alive():
            listener = _LISTENERS[url] = _Listener(url)
            listener.start()
        listener.states.add(app.state)
        app.state.principal_listener = listener


class _Listener(threading.Thread):
    def __init__(self, url: str):
        super().__init__(name="principal-listener", daemon=True)
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.states: weakref.WeakSet[Any] = weakref.WeakSet()

    def clear(self) -> None:
        for state in list(self.states):
            principals = getattr(state, "principals", None)
            if principals is not None:
                principals.clear()

    def run(self) -> None:
        import time

        import psycopg

        while True:
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.clear()  # anything cached before the listener ran may have missed a notice
                    while len(self.states):
                        for _ in conn.notifies(timeout=2.0, stop_after=1):
                            self.clear()
            except Exception:
                self.clear()
                time.sleep(2.0)
            if not len(self.states):  # every app of this database is gone (tests drop their databases)
                return
