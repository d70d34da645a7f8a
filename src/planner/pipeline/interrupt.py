"""Ctrl-C and SIGTERM during a command: the first asks the running stages to stop and finish with the best
complete plan so far; a second ends the process at once (docs/cli.md, "Stopping").

Python runs signal handlers only in the main thread between bytecodes, and the main thread may be inside a
long C++ call (CP-SAT, the LP), so the handlers here do nothing themselves: the signal number reaches a
watcher thread through `signal.set_wakeup_fd`, which writes it at C level at once, and that thread sets the
stop event every stage polls (CP-SAT's stop_search, seating between flights, worker processes by relay).

The first signal also turns the cyclic garbage collector off for the rest of the command: after a stop only
a few seconds of work are left, and each full collection walks every object of the solve so far (the
scenario, the allocation problem: millions of objects for 7,000 people), which took a tenth of a second or
more of what is left to do (docs/cli.md, "Stopping"). Reference counting still frees what the rest of the
work drops; the command ends right after, and the collector is turned back on when the block ends.

Before the first complete plan exists (loading the scenario, building the allocation problem) there is no
plan to finish with, and those steps cannot be cut short from outside: a first signal there raises
`StoppedBeforePlan` in the main thread (from the Python-level handler, between two bytecodes), so the command
ends at once and writes nothing (docs/cli.md, "Stopping"). Only the code inside `StopRequest.before_plan`
is cut so: pure computation whose result is dropped.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class StoppedBeforePlan(BaseException):
    """A first signal came before the command had a complete plan: nothing to finish with, nothing written.
    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way turns it into an error."""


class StopRequest:
    """The stop event of a command (`is_set()` for SolveOptions.stop) and which signal set it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self.count = 0
        self.handled = False  # signal handlers are installed (the command's main thread)
        self._before_plan = 0  # depth of `before_plan` blocks the main thread is in
        self.before_plan_stop = False  # the stop came before a complete plan existed
        #: the command makes one plan (solve, replan): `planner.pipeline.solve` cuts its problem build short too;
        #: commands that make several (compare, sweep in one process) keep the plans they have instead
        self.single_plan = False

    @contextlib.contextmanager
    def before_plan(self) -> Iterator[None]:
        """Within the block, no complete plan exists yet: a stop ends it at once with `StoppedBeforePlan`
        (already requested: on entry). Without signal handlers (a worker, another thread) it does nothing."""
        if not self.handled or threading.current_thread() is not threading.main_thread():
            yield
            return
        self._before_plan += 1
        try:
            if self.is_set():
                self.before_plan_stop = True
                raise StoppedBeforePlan
            yield
        finally:
            self._before_plan -= 1

    def _abort_before_plan(self, signum: int) -> None:
        """In the main thread's signal handler: cut the block short when in one (at most once)."""
        if self._before_plan > 0 and not self.before_plan_stop:
            self.before_plan_stop = True
            self.set(signum)
            raise StoppedBeforePlan

    def is_set(self) -> bool:
        return self.event.is_set()

    def set(self, signum: int | None = None) -> None:
        if self.signal is None:
            self.signal = signum
        self.event.set()

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signal, 130) if self.signal is not None else 0

    @property
    def name(self) -> str:
        return NAMES.get(self.signal, "a stop request") if self.signal is not None else "a stop request"


def _first_signal(request: StopRequest, signum: int, note: Callable[[str], None],
                  collector_off: threading.Event) -> None:
    """Ask the command to stop, turn the garbage collector off for what is left (see above), say so."""
    request.set(signum)
    if gc.isenabled():  # only a flag: safe from this thread, whatever the main thread is doing
        gc.disable()
        collector_off.set()
    with contextlib.suppress(Exception):
        if request._before_plan > 0:  # the main thread is cutting the block short (read across threads: an int)
            note(f"{request.name}: stopping; no complete plan exists yet, so nothing will be written")
        else:
            note(f"{request.name}: stopping, finishing with the best complete plan so far "
                 "(press Ctrl-C again to quit at once)")


def _second_signal(signum: int) -> None:
    """Quit at once, writing nothing."""
    with contextlib.suppress(Exception):
        if sys.stderr.isatty():
            sys.stderr.write("\x1b[?25h\n")  # the live display hid the cursor
        sys.stderr.write("stopped at once: nothing written\n")
        sys.stderr.flush()
    os._exit(EXIT_CODES.get(signum, 130))


def _main_thread_handler(request: StopRequest) -> Callable[[int, FrameType | None], None]:
    """The Python-level handler (main thread): the watcher thread does the work, except cutting short a block
    before the first plan (`StopRequest.before_plan`), which only the main thread can."""

    def handler(signum: int, frame: FrameType | None) -> None:
        request._abort_before_plan(signum)

    return handler


def _watch(reader: socket.socket, closing: threading.Event, request: StopRequest, note: Callable[[str], None],
           collector_off: threading.Event) -> None:
    """The watcher thread: each signal number the wakeup fd delivers; the first stops, a second quits."""
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if closing.is_set() or not data:
            return
        for signum in data:
            if signum not in SIGNALS:
                continue
            request.count += 1
            if request.count == 1:
                _first_signal(request, signum, note, collector_off)
            else:
                _second_signal(signum)


@contextlib.contextmanager
def stop_on_signals(note: Callable[[str], None]) -> Iterator[StopRequest]:
    """Within the block, SIGINT and SIGTERM set the returned stop request (announced through `note`); a
    second signal exits with 130 (SIGINT) or 143 (SIGTERM) at once. Outside the main thread: no handlers."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    for s in SIGNALS:
        signal.signal(s, _main_thread_handler(request))
    request.handled = True
    closing = threading.Event()
    collector_off = threading.Event()  # the first signal turned the garbage collector off
    thread = threading.Thread(target=_watch, args=(reader, closing, request, note, collector_off),
                              name="signal-watch", daemon=True)
    thread.start()
    try:
        yield request
    finally:
        request.handled = False
        closing.set()
        signal.set_wakeup_fd(old_fd)
        for s, handler in previous.items():
            signal.signal(s, handler)
        with contextlib.suppress(OSError):
            writer.send(b"\0")  # wake the watcher so it ends
        thread.join(1.0)
        reader.close()
        writer.close()
        if collector_off.is_set():
            gc.enable()
