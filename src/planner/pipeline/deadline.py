"""A wall-clock deadline on the monotonic clock, created when a command starts and passed down to every stage.

`--time-limit S` means the whole command (loading, allocation, test slots, seating, validation, writing) ends
within S seconds (docs/cli.md). Stages never add their own fixed time limits on top: they ask the deadline
what is left. It holds only floats, so it crosses to worker processes; CLOCK_MONOTONIC is shared by every
process of a machine, so the same instant means the same thing in a worker.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field


def process_started() -> float:
    """When this process started, on the time.monotonic() clock: a command's limit counts from there, so the
    interpreter's start and the imports (a few seconds on a busy machine) are inside it. Linux reads it from
    /proc (boot-time clock ticks); elsewhere, or if that fails, it is now."""
    now = time.monotonic()
    try:
        with open(f"/proc/{os.getpid()}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        started_since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started_since_boot
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 600 else now


@dataclass(frozen=True)
class Deadline:
    """`at` on the time.monotonic() clock (math.inf: no limit); `start` is when the command began."""

    at: float = math.inf
    start: float = field(default_factory=time.monotonic)

    @classmethod
    def after(cls, seconds: float | None, start: float | None = None) -> Deadline:
        """The deadline `seconds` after `start` (now by default); None or a non-positive value: no limit."""
        begin = time.monotonic() if start is None else start
        if seconds is None or seconds <= 0 or math.isinf(seconds):
            return cls(math.inf, begin)
        return cls(begin + seconds, begin)

    @property
    def bounded(self) -> bool:
        return not math.isinf(self.at)

    @property
    def seconds(self) -> float:
        """The whole budget (inf when unbounded)."""
        return self.at - self.start

    def remaining(self) -> float:
        """Seconds left (never negative; inf when unbounded)."""
        return max(0.0, self.at - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def within(self, seconds: float) -> Deadline:
        """A stage's deadline: `seconds` from now, but never later than this one."""
        return Deadline(min(self.at, time.monotonic() + max(0.0, seconds)), self.start)

    def until(self, at: float) -> Deadline:
        """A deadline at the instant `at`, but never later than this one."""
        return Deadline(min(self.at, at), self.start)

    def before(self, reserve: float) -> Deadline:
        """This deadline moved `reserve` seconds earlier (what later stages need), never before now."""
        return Deadline(max(time.monotonic(), self.at - max(0.0, reserve)), self.start)
