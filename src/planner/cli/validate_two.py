"""The validation of a solved plan in forked processes, for `solve` and `replan` (docs/cli.md, "Stopping").

Validating 7,000 people takes about half a second of CPU, all of it after a stop request, and it is made of
independent checks in two parts (`planner.oracle.validate.validate_part`). `start_validation` forks a child
per part as soon as everything the validator reads is final (flights, seats, test bookings, the people left
out with their reasons: `planner.pipeline.solve`'s `checkable`), so the checks run while this process scores
the objective, counts the KPIs and writes the file; `validate_in_two` runs the first part here and the second
in a child. The violations are `validate`'s, in its order; a part whose child fails in any way is run here.
With one core, or where fork is missing, everything runs here.
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


def _child(scenario: Scenario, plan: Plan, previous: Plan | None, part: int, writer: int, parent: int
           ) -> NoReturn:
    """In a forked child: one part, pickled down the pipe, then exit at once (no teardown, no flushing the
    parent's buffers)."""
    code = 1
    try:
        gc.disable()  # short-lived: a full collection would walk (and copy) every page shared with the parent
        from planner.pipeline.workers import init_worker

        init_worker(None, parent)  # Ctrl-C and SIGTERM are the parent's; die with it
        data = pickle.dumps(validate_part(scenario, plan, previous, part, 2), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(writer, view):]
        code = 0
    finally:
        os._exit(code)


#: how long the parent waits for a child once its own work is done: a child's part takes about as long as the
#: parent's work, so a child still silent after this is stuck (a lock held by another thread at the fork)
CHILD_PATIENCE_S = 20.0


def _read_all(reader: int, patience: float) -> bytes | None:
    """What the child wrote, or None if it wrote nothing for `patience` seconds."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select.select: a process with over 1,024 open files has pipe numbers it refuses
    poller.register(reader, select.POLLIN)
    while True:
        if not poller.poll(patience * 1000):
            return None
        chunk = os.read(reader, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _fork_part(scenario: Scenario, plan: Plan, previous: Plan | None, part: int) -> tuple[int, int] | None:
    """A child running `part` of the validation: (its pid, the pipe to read its violations from), or None
    when it cannot be started."""
    parent = os.getpid()
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if pid == 0:
        os.close(reader)
        _child(scenario, plan, previous, part, writer, parent)
    os.close(writer)
    return pid, reader


def _collect(pid: int, reader: int) -> list[Violation] | None:
    """A child's violations, or None when it failed (killed when it stays silent too long); always reaped."""
    data: bytes | None = None
    try:
        data = _read_all(reader, CHILD_PATIENCE_S)
    finally:
        os.close(reader)
        if data is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        return None
    with contextlib.suppress(Exception):
        loaded = pickle.loads(data)  # our own child's output, through our own pipe
        if isinstance(loaded, list) and all(isinstance(v, Violation) for v in loaded):
            return loaded
    return None


class Validation:
    """A validation under way: the parts running in children (part -> pid and pipe); `result()` runs the
    others here and collects the children's."""

    def __init__(self, scenario: Scenario, plan: Plan, previous: Plan | None,
                 children: dict[int, tuple[int, int]] | None) -> None:
        self.scenario, self.plan, self.previous = scenario, plan, previous
        self.children = children  # None: no second core or no fork, everything here in one pass

    def result(self) -> list[Violation]:
        """`validate(scenario, plan, previous)`'s violations, in its order."""
        if self.children is None:
            return validate(self.scenario, self.plan, self.previous)
        found: dict[int, list[Violation] | None] = {  # the parts not in a child first, while the children run
            part: validate_part(self.scenario, self.plan, self.previous, part, 2)
            for part in range(2) if part not in self.children}
        for part, (pid, reader) in self.children.items():
            found[part] = _collect(pid, reader)
        out: list[Violation] = []
        for part in range(2):
            got = found[part]
            out += got if got is not None else validate_part(self.scenario, self.plan, self.previous, part, 2)
        return out


def _can_fork() -> bool:
    return _cores() >= 2 and hasattr(os, "fork") and sys.platform.startswith("linux")


def start_validation(scenario: Scenario, plan: Plan, previous: Plan | None = None, *, children: int = 2
                     ) -> Validation:
    """Start validating `plan` (as it is now: what the validator reads must be final) with its last
    `children` parts (1 or 2) in forked children, when there are two cores."""
    if not _can_fork():
        return Validation(scenario, plan, previous, None)
    forked: dict[int, tuple[int, int]] = {}
    for part in range(2 - max(1, min(2, children)), 2):
        started = _fork_part(scenario, plan, previous, part)
        if started is None:
            break
        forked[part] = started
    return Validation(scenario, plan, previous, forked)


def validate_in_two(scenario: Scenario, plan: Plan, previous: Plan | None = None) -> list[Violation]:
    """`validate(scenario, plan, previous)`, its two parts run side by side when there are two cores."""
    return start_validation(scenario, plan, previous, children=1).result()
