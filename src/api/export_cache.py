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
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Column, Integer, Table, bindparam, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

if TYPE_CHECKING:
    from planner.model.plan import Plan

T = TypeVar("T")
MAX_ENTRIES = 256
#: revisions shared by the replicas on PostgreSQL: `scope` is an operation id (migration 0010)
CACHE_REVISION = Table("cache_revision", SQLModel.metadata,
                       Column("scope", Integer, primary_key=True, autoincrement=False),
                       Column("revision", Integer, nullable=False, server_default="0"))
#: built once: SQLAlchemy takes longer to build and key a statement than PostgreSQL takes to answer this one
_REVISION = select(CACHE_REVISION.c.revision).where(CACHE_REVISION.c.scope == bindparam("scope"))


class ExportCache:
    """Renderings by key, least recently used first out, with a revision counter per operation."""

    def __init__(self, max_entries: int = MAX_ENTRIES, shared: Engine | None = None) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._revisions: dict[int, int] = {}
        self._max = max_entries
        self._lock = threading.Lock()
        self._shared = shared  # the database that holds the revisions (PostgreSQL), else this process
        self._building: dict[Hashable, threading.Lock] = {}

    def revision(self, operation_id: int) -> int:
        if self._shared is None:
            return self._revisions.get(operation_id, 0)
        with self._shared.connect() as conn:
            return int(conn.execute(_REVISION, {"scope": operation_id}).scalar() or 0)

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

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry under `key`, built once: requests asking for it while one builds it wait for that build
        instead of doing the same work on the same cores (a plan document takes a second to parse)."""
        value: T | None = self.get(key)
        if value is not None:
            return value
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        try:
            with lock:
                value = self.get(key)
                if value is None:
                    value = build()
                    self.put(key, value)
                return value
        finally:
            with self._lock:
                if self._building.get(key) is lock:
                    del self._building[key]


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


_STORES: weakref.WeakKeyDictionary[Engine | Connection, dict[str, ExportCache]] = weakref.WeakKeyDictionary()


def store_for(engine: Engine | Connection, name: str, max_entries: int) -> ExportCache:
    """A store of one database's own, apart from `cache_for`'s, for many small kept things (page parts, search
    matches) that must not push the shared cache's large entries (plan documents, flight views) out."""
    with _CACHES_LOCK:
        stores = _STORES.get(engine)
        if stores is None:
            stores = _STORES[engine] = {}
        if name not in stores:
            stores[name] = ExportCache(max_entries)
        return stores[name]


def plan_document(session: Session, plan_id: int, version: int) -> Plan:
    """The parsed plan document (`planner.model.plan.Plan`), kept per plan and version and shared by every
    reader in the process (pages, load summary): parsing a 7,000-person document holds the interpreter for about
    a second, which every other request waits for. A document changes only with its plan's version (publishing
    writes the locked flights and bumps the version in one transaction), so the key needs no revision. Readers
    must not change the object they get."""
    from api.models import plan_json
    from planner.model.plan import Plan

    return cache_for(session.get_bind()).get_or_build(
        ("plan_document", plan_id, version), lambda: Plan.model_validate_json(plan_json(session, plan_id)))


def plan_stamp(session: Session, plan: Any) -> tuple[int, int, int, int]:
    """What a rendering of a stored plan depends on besides its own arguments: the plan and its version, the
    caseload revision (bumped by every change `api.staleness.mark_stale` sees, shared by the replicas on
    PostgreSQL) and the operation's version. The revision is read first, before any of the data it stands for."""
    from api.models import Operation

    revision = cache_for(session.get_bind()).revision(plan.operation_id)
    op = session.get(Operation, plan.operation_id)
    return plan.id or 0, plan.version, revision, op.version if op else 0


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
