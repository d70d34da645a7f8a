"""Engine, sessions and migrations. SQLite runs in WAL mode with a busy timeout: reads go on during a solve."""

from __future__ import annotations

import logging
import threading
import weakref
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger("api")


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
            # freed space (an erased person's old row, a deleted operation) is overwritten with zeros, so the
            # file never keeps it (docs/security.md)
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine | Connection, threading.Lock] = weakref.WeakKeyDictionary()


def write_lock(engine: Engine | Connection) -> AbstractContextManager[Any]:
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


#: Key of the PostgreSQL advisory lock held while migrating ("CPMG"): replicas starting together migrate one
#: after the other, and the later ones find the schema at head.
MIGRATION_LOCK = 0x43504D47


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (on start: the schema is always at head before a request is served).
    PostgreSQL: under a transaction-scoped advisory lock, so several replicas and workers starting at once
    never run the same migration twice (the DDL commits with the lock's release)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


#: audit actions after whose commit the write-ahead log is emptied: they removed personal data
SCRUBBING_ACTIONS = {("erase", "person"), ("delete", "person"), ("delete", "operation")}


def scrub_after_erasure(engine: Engine) -> bool:
    """Move the write-ahead log into the database file and truncate it, so page images that still hold
    erased data leave the disk (with `secure_delete`, the database file itself keeps none). SQLite only;
    returns whether the checkpoint completed (readers still on an old snapshot delay it to the next one).
    PostgreSQL keeps erased rows in its WAL and backups: docs/security.md says what the operator does."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        log.warning("the write-ahead log could not be emptied after an erasure (readers active); "
                    "the next checkpoint will")
    return not busy


@event.listens_for(Session, "after_flush")
def _note_erasure(session: Session, _context: Any) -> None:
    from api.models import AuditEntry

    for obj in session.new:
        if isinstance(obj, AuditEntry) and (obj.action, obj.resource) in SCRUBBING_ACTIONS:
            session.info["scrub_after_commit"] = True


@event.listens_for(Session, "after_commit")
def _scrub_after_commit(session: Session) -> None:
    if session.info.pop("scrub_after_commit", False):
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        scrub_after_erasure(engine)


@event.listens_for(Session, "after_soft_rollback")
def _forget_erasure(session: Session, _previous: Any) -> None:
    session.info.pop("scrub_after_commit", None)
