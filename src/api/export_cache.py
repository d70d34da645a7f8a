"""Rendered exports kept in memory until the caseload they show changes.

A flight manifest joins a plan's assignments with the people's travel-document data and formats a few hundred
rows (about 15 ms of CPU at 230 passengers), and officers download the same manifests again and again before a
departure. The bytes are kept per database and per key; every change that `api.staleness.mark_stale` sees (people,
flights, sites, slots, protocol, events, imports, erasure) bumps the operation's revision once its transaction
commits, so a later read renders anew. A key also carries the plan's and the operation's versions.

A reader takes the revision before it reads the data: an entry rendered from data older than a commit is filed
under the revision that commit replaced, which no reader asks for again. The service runs as one process (its
solve jobs already assume that), so the memory of that process is the whole truth. Every download is still
audited: only the rendering is saved, never the audit entry.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

MAX_ENTRIES = 256


class ExportCache:
    """Renderings by key, least recently used first out, with a revision counter per operation."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._revisions: dict[int, int] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def revision(self, operation_id: int) -> int:
        return self._revisions.get(operation_id, 0)

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
            cache = _CACHES[engine] = ExportCache()
        return cache


def caseload_changed(session: Session, operation_id: int) -> None:
    """Renderings of this operation are outdated once the session's transaction commits."""
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
