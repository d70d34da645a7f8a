"""Engine, sessions and migrations. SQLite runs in WAL mode with a busy timeout: reads go on during a solve."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, busy_timeout_ms: int = 10_000, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite connections get WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        args = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        # SQLite connections are cheap file handles; every waiting request holds one from its login check on,
        # so the pool must outgrow the clients (SQLAlchemy's default of 15 made 50 readers time out)
        engine = create_engine(url, connect_args=args, pool_size=2 * pool_size, max_overflow=8 * pool_size)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """Serialise this process's short SQLite writes (audit entries of reads) in Python, not in SQLite.

    Concurrent SQLite writers wait in SQLite's busy handler, which sleeps in growing steps; a lock taken in
    order keeps a burst of exports at a few milliseconds each. PostgreSQL needs none.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    return lock


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (on start: the schema is always at head before a request is served)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
