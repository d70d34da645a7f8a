"""Worker processes of the parallel stages (seating flights, compare and sweep points) and how a stop reaches
them.

A Ctrl-C in a terminal goes to every process of the foreground group; workers ignore it and SIGTERM's
handler of the parent, and instead watch a stop event the parent sets (docs/cli.md, "Stopping"), so they end
their current search with its best solution rather than dying mid-way. On Linux a worker also dies with the
parent, so a second Ctrl-C (the parent exits at once) leaves no solver running.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from planner.model.options import StopSignal

J = TypeVar("J")
R = TypeVar("R")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_STOP: Any = None  # in a worker: the event the parent sets to stop


def init_worker(stop: Any, parent: int) -> None:
    """Pool initializer: leave Ctrl-C and SIGTERM to the parent, die with it, remember the stop event."""
    global _STOP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)  # a forked worker must not write into the parent's signal watcher
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent is already gone
        os._exit(1)
    _STOP = stop


def stop_requested() -> bool:
    """In a worker: has the parent asked to stop? (False in the parent process itself.)"""
    return _STOP is not None and _STOP.is_set()


class WorkerStop:
    """`is_set()` in a worker for the planner's options (SolveOptions.stop)."""

    def is_set(self) -> bool:
        return stop_requested()


@contextlib.contextmanager
def worker_pool(processes: int, stop: StopSignal | None, mp_context: str | None = None
                ) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers see `stop` (relayed by a thread of this process into a shared event)."""
    context = multiprocessing.get_context(mp_context) if mp_context else multiprocessing.get_context()
    shared = context.Event()
    done = threading.Event()

    def relay() -> None:
        while not done.wait(0.05):
            if stop is not None and stop.is_set():
                shared.set()
                return

    thread = threading.Thread(target=relay, name="stop-relay", daemon=True)
    thread.start()
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=init_worker,
                               initargs=(shared, os.getpid()))
    try:
        yield pool
    finally:
        done.set()
        pool.shutdown(wait=True, cancel_futures=True)
        thread.join()


def run_in_workers(task: Callable[[J], R], jobs: Sequence[J], processes: int, stop: StopSignal | None,
                   on_done: Callable[[int, int], None] | None = None,
                   meanwhile: Callable[[], None] = lambda: None) -> list[R]:
    """`task` over `jobs` in at most `processes` worker processes (one job: in this process), in the order
    they finish; `on_done(done, total)` is called in this process as they do. `meanwhile` runs here once,
    while the workers work (before the jobs when there are no workers)."""
    out: list[R] = []
    if len(jobs) <= 1 or processes <= 1:
        meanwhile()
        for job in jobs:
            out.append(task(job))
            if on_done is not None:
                on_done(len(out), len(jobs))
        return out
    with worker_pool(min(processes, len(jobs)), stop) as pool:
        futures = [pool.submit(task, job) for job in jobs]
        meanwhile()
        for future in as_completed(futures):
            out.append(future.result())
            if on_done is not None:
                on_done(len(out), len(jobs))
    return out
