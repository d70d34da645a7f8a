"""Rendered exports kept in memory until the caseload they show changes.

A flight manifest joins a plan's assignments with the people's travel-document data and formats a few hundred
rows (about 15 ms of CPU at 230 passengers), and officers download the same manifests again and again before a
departure. The bytes are kept per database and per key; every change that `api.staleness.mark_stale` sees (people,
flights, sites, slots, protocol, events, imports, erasure) bumps the operation's revision once its transaction
commits, so a later read renders anew. A key also carries the plan's and the operation's versions.

A reader takes the revision before it reads the data: an entry rendered from data older than a commit is filed
under the revision that commit replaced, which no reader asks for again. Every download is still audited: only
the rendering is saved, never the audit entry.

Where the revision lives: the embedded SQLite store is served by one process, whose memory is the whole truth.
On PostgreSQL any number of replicas share the database (docs/deployment.md), so the revision is a row of
`cache_revision`, bumped in the writing transaction itself (it commits, or rolls back, with the change) and read
by every replica before it looks in its own memory: an edit made through one replica is seen by all.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Column, Integer, Table, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

MAX_ENTRIES = 256
#: revisions shared by the replicas on PostgreSQL: `scope` is an operation id (migration 0010)
CACHE_REVISION = Table("cache_revision", SQLModel.metadata,
                       Column("scope", Integer, primary_key=True, autoincrement=False),
                       Column("revision", Integer, nullable=False, server_default="0"))


class ExportCache:
    """Renderings by key, least recently used first out, with a revision counter per operation."""

    def __init__(self, max_entries: int = MAX_ENTRIES, shared: Engine | None = None) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._revisions: dict[int, int] = {}
        self._max = max_entries
        self._lock = threading.Lock()
        self._shared = shared  # the database that holds the revisions (PostgreSQL), else this process

    def revision(self, operation_id: int) -> int:
        if self._shared is None:
            return self._revisions.get(operation_id, 0)
        with self._shared.connect() as conn:
            value = conn.execute(select(CACHE_REVISION.c.revision).where(CACHE_REVISION.c.scope == operation_id))
            return int(value.scalar() or 0)

    def bump(self, operation_id: int) -> None:
        with self._lock:
            self._revisions[operation_id] = self._revisions.get(operation_id, 0) + 1

    def get(self, key: Hashable) -> Any:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: Hashable, data: Any) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


_CACHES: weakref.WeakKeyDictionary[Engine | Connection, ExportCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(engine: Engine | Connection) -> ExportCache:
    """The cache of one database (tests run several apps, each on its own database, in one process)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(engine)
        if cache is None:
            base = engine if isinstance(engine, Engine) else engine.engine
            cache = _CACHES[engine] = ExportCache(shared=base if base.dialect.name == "postgresql" else None)
        return cache


def caseload_changed(session: Session, operation_id: int) -> None:
    """Renderings of this operation are outdated once the session's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = pg_insert(CACHE_REVISION).values(scope=operation_id, revision=1)
        session.execute(stmt.on_conflict_do_update(index_elements=[CACHE_REVISION.c.scope],
                                                   set_={"revision": CACHE_REVISION.c.revision + 1}))
    pending: set[int] | None = session.info.get("changed_operations")
    if pending is None:
        pending = session.info["changed_operations"] = set()
        event.listen(session, "after_commit", _bump_after_commit)
    pending.add(operation_id)


def _bump_after_commit(session: Session) -> None:
    pending: set[int] = session.info["changed_operations"]
    cache = cache_for(session.get_bind())
    for operation_id in sorted(pending):
        cache.bump(operation_id)
    pending.clear()
