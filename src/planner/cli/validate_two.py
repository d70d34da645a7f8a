"""The validation of a solved plan in two processes, for `solve` and `replan` (docs/cli.md, "Stopping").

Validating 7,000 people takes about a third of a second of CPU, all of it after a stop request, and it is
made of independent checks: a forked child runs the second part (`planner.oracle.validate.validate_part`)
while this process runs the first, so on two cores the validation takes about half its time. The violations
are `validate`'s, in its order; if the child fails in any way, this process runs its part itself. With one
core, or where fork is missing, everything runs here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import sys
from typing import NoReturn

from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.oracle.validate import validate, validate_part


def _cores() -> int:
    """CPU cores this process may run on."""
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _child(scenario: Scenario, plan: Plan, previous: Plan | None, writer: int, parent: int) -> NoReturn:
    """In the forked child: the second part, pickled down the pipe, then exit at once (no teardown, no
    flushing the parent's buffers)."""
    code = 1
    try:
        gc.disable()  # short-lived: a full collection would walk (and copy) every page shared with the parent
        from planner.pipeline.workers import init_worker

        init_worker(None, parent)  # Ctrl-C and SIGTERM are the parent's; die with it
        data = pickle.dumps(validate_part(scenario, plan, previous, 1, 2), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view):]
        code = 0
    finally:
        os._exit(code)


#: how long the parent waits for its child once its own part is done: the child's part takes about as long as
#: the parent's, so a child still silent after this is stuck (a lock held by another thread at the fork)
CHILD_PATIENCE_S = 20.0


def _read_all(reader: int, patience: float) -> bytes | None:
    """What the child wrote, or None if it wrote nothing for `patience` seconds."""
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([reader], [], [], patience)
        if not ready:
            return None
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def validate_in_two(scenario: Scenario, plan: Plan, previous: Plan | None = None) -> list[Violation]:
    """`validate(scenario, plan, previous)`, its two parts run side by side when there are two cores."""
    if _cores() < 2 or not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return validate(scenario, plan, previous)
    parent = os.getpid()
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return validate(scenario, plan, previous)
    if pid == 0:
        os.close(reader)
        _child(scenario, plan, previous, writer, parent)
    os.close(writer)
    data: bytes | None = None
    try:
        first = validate_part(scenario, plan, previous, 0, 2)
        data = _read_all(reader, CHILD_PATIENCE_S)
    finally:
        os.close(reader)
        if data is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    second: list[Violation] | None = None
    if os.waitstatus_to_exitcode(status) == 0 and data:
        with contextlib.suppress(Exception):
            loaded = pickle.loads(data)  # our own child's output, through our own pipe
            if isinstance(loaded, list) and all(isinstance(v, Violation) for v in loaded):
                second = loaded
    if second is None:  # the child failed: its part here
        second = validate_part(scenario, plan, previous, 1, 2)
    return first + second
