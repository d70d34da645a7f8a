"""Options and progress reporting shared by every caller of `planner.solve`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class StopSignal(Protocol):
    """Anything with `is_set()`: a threading.Event, a multiprocessing.Event, or a test double."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Progress:
    """One progress report: the stage running, its incumbent and bound, and seconds since the solve began."""

    stage: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    elapsed: float = 0.0
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass
class SolveOptions:
    time_limit: float = 30.0  # seconds for allocation; seating has its own budget
    seating_time_limit: float = 0.5  # CP-SAT seconds per flight (a greedy seating comes first)
    workers: int = 2  # CP-SAT search workers
    seating_processes: int = 2  # flights seated in parallel
    deterministic: bool = False
    seat: bool = True  # run the seating stage
    on_progress: ProgressCallback | None = None
    stop: StopSignal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self, progress: Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()
