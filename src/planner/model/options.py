"""Options and progress reporting shared by every caller of `planner.pipeline.solve`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from planner.pipeline.deadline import Deadline

Engine = Literal["cp-sat", "scip"]
"""The allocation's integer solver: CP-SAT (default) or OR-Tools' SCIP back end (benchmarks compare them)."""


@dataclass(frozen=True)
class Pin:
    """An officer's pin (docs/rules.md#pins): this person's household on this flight, optionally in this seat."""

    case_id: str
    flight_id: str
    seat: str | None = None


class StopSignal(Protocol):
    """Anything with `is_set()`: a threading.Event, a multiprocessing.Event, or a test double."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Progress:
    """One progress report: the stage running, its incumbent and best proven bound (both level 1a, Σ household
    weight flown), seconds since the command began, and for counted stages (seating flights, sweep points)
    how many of how many are done."""

    stage: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    elapsed: float = 0.0
    message: str = ""
    done: int | None = None
    total: int | None = None
    limit: float | None = None  # the command's whole time budget in seconds, when it has one


ProgressCallback = Callable[[Progress], None]


@dataclass
class SolveOptions:
    """How to solve. `time_limit` is wall-clock seconds for the whole solve, used when no `deadline` is given
    (the CLI and the service pass the deadline of the whole command); 0 means no CP-SAT allocation (priority
    order only) and no limit. The time is split between stages by `planner.pipeline.time_budget`."""

    time_limit: float = 30.0
    seating_time_limit: float = 0.5  # at most this many CP-SAT seconds per flight (a greedy seating comes first)
    workers: int = 2  # CP-SAT search workers
    seating_processes: int = 2  # flights seated in parallel
    deterministic: bool = False
    seat: bool = True  # run the seating stage
    on_progress: ProgressCallback | None = None
    stop: StopSignal | None = None
    deadline: Deadline | None = None
    pins: tuple[Pin, ...] = ()
    excluded: dict[str, str] = field(default_factory=dict)  # household id → why a variant leaves it out
    unlock: set[str] | Literal["all"] | None = None  # re-plan: households (or "all") free to move
    engine: Engine = "cp-sat"

    def clock(self) -> Deadline:
        """The deadline of this solve; the first call fixes it from `time_limit` when none was given."""
        if self.deadline is None:
            self.deadline = Deadline.after(self.time_limit if self.time_limit > 0 else None)
        return self.deadline

    def elapsed(self) -> float:
        return self.clock().elapsed()

    def report(self, progress: Progress) -> None:
        if self.on_progress is not None:
            if progress.limit is None and self.clock().bounded:
                progress = replace(progress, limit=self.clock().seconds)
            self.on_progress(progress)

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()
