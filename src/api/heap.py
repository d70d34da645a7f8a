"""The service's long-lived objects kept out of the garbage collector's full walks (docs/web.md, "Speed").

A full collection walks every object the process holds, and the service holds many that live long: each
operation's caseload and plans, the flight views, documents and page parts built for them. With those in the
heap a full collection took 39-456 ms under load, most of them collecting nothing, and every request in flight
waited for it (the collector holds the interpreter lock). `settle` moves every object alive at that moment into
the collector's permanent generation (`gc.freeze`), out of its walks, right after the service has built such
objects in bulk: when it has started, and when the flight pages of a new plan have been built. Objects frozen
are still freed by reference counting as soon as nothing refers to them (an evicted cache entry, a finished
request's records); only cycles among them, which the service's caches do not form, would outlive their use.
Freezing at these moments, not on a timer, keeps that to objects built in bulk.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Everything alive now leaves the collector's walks (see above)."""
    gc.freeze()
