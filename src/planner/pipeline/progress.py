"""Progress a person can read, for the command line (docs/cli.md, "Progress").

Every stage reports through `SolveOptions.on_progress` (planner.model.options.Progress). On a terminal the CLI shows
a live display (rich): the stage running, elapsed against the limit, the best plan's priority value, the best
proven bound and the gap, and a bar for counted stages (flights seated, points solved); each finished stage
stays above it as one line. Into a pipe or a log it writes plain lines instead, at most one a second per stage
(plus each stage's first and last), so a log stays short. No personal data is ever shown: only counts,
identifiers of flights and points, and objective figures.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import IO, Any

from planner.model.options import Progress

STAGE_NAMES = {
    "loading": "loading",
    "problem": "problem",
    "greedy": "greedy allocation",
    "allocation-lp": "LP bound",
    "allocation-rins": "allocation (near LP)",
    "allocation": "allocation",
    "allocation-1b": "allocation 1b",
    "tests": "test slots",
    "seating": "seating",
    "validate": "validation",
    "writing": "writing",
    "done": "done",
    "fleet-problem": "problem",
    "fleet": "fleet sizing",
    "points": "points",
}


def stage_name(stage: str) -> str:
    return STAGE_NAMES.get(stage, stage)


def describe(p: Progress) -> str:
    """One plain line of a progress report."""
    clock = f"{p.elapsed:6.1f}s" if p.limit is None else f"{p.elapsed:6.1f}/{p.limit:g}s"
    parts = [f"[{clock}] {stage_name(p.stage):<20}"]
    if p.objective is not None:
        parts.append(f"priority {p.objective:,.0f}")
    if p.bound is not None:
        parts.append(f"bound {p.bound:,.0f}")
    if p.gap is not None:
        parts.append(f"gap {p.gap:.2%}")
    if p.message:
        parts.append(p.message)
    elif p.done is not None and p.total is not None:
        parts.append(f"{p.done} of {p.total}")
    return "  ".join(parts).rstrip()


class PlainProgress:
    """Plain lines on a stream (a pipe, a log file)."""

    def __init__(self, stream: IO[str] | None = None, interval: float = 1.0):
        self.stream = stream or sys.stderr
        self.interval = interval
        self._stage = ""
        self._last = 0.0
        self._pending: Progress | None = None
        self._lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        with self._lock:
            now = time.monotonic()
            first = p.stage != self._stage
            last = p.done is not None and p.total is not None and p.done >= p.total
            if first and self._pending is not None:  # the stage that ended: its last state
                self._write(self._pending)
            self._pending = None
            if first or last or now - self._last >= self.interval or p.stage == "done":
                self._stage, self._last = p.stage, now
                self._write(p)
            else:
                self._pending = p

    def _write(self, p: Progress) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(describe(p), file=self.stream, flush=True)

    def note(self, text: str) -> None:
        with self._lock:
            self._write_text(text)

    def _write_text(self, text: str) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._write(self._pending)
                self._pending = None

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LiveProgress:
    """A live display on a terminal (rich): finished stages scroll above, the running one is redrawn."""

    def __init__(self, stream: IO[str] | None = None):
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=stream or sys.stderr)
        self.latest: Progress | None = None
        self._stage = ""
        self._lock = threading.Lock()
        # stdout stays the command's own (the summary, a schema): only stderr carries the display
        self.live = Live(console=self.console, refresh_per_second=4, transient=True, get_renderable=self._render,
                         redirect_stdout=False, redirect_stderr=False)
        self.live.start()

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        p = self.latest
        table = Table.grid(padding=(0, 2))
        if p is None:
            return table
        clock = f"{p.elapsed:.1f} s" if p.limit is None else f"{p.elapsed:.1f} of {p.limit:g} s"
        cells: list[Any] = [Text(stage_name(p.stage), style="bold"), Text(clock)]
        if p.total:
            cells.append(ProgressBar(total=p.total, completed=p.done or 0, width=30))
        elif p.limit:
            cells.append(ProgressBar(total=p.limit, completed=min(p.elapsed, p.limit), width=30))
        figures = []
        if p.objective is not None:
            figures.append(f"priority {p.objective:,.0f}")
        if p.bound is not None:
            figures.append(f"bound {p.bound:,.0f}")
        if p.gap is not None:
            figures.append(f"gap {p.gap:.2%}")
        if p.message:
            figures.append(p.message)
        cells.append(Text("  ".join(figures)))
        table.add_row(*cells)
        return table

    def __call__(self, p: Progress) -> None:
        with self._lock:
            if p.stage != self._stage and self.latest is not None:
                self.console.print(describe(self.latest), highlight=False)
            self._stage = p.stage
            self.latest = p
            if p.stage == "done":
                self.console.print(describe(p), highlight=False)
                self.latest = None
            self.live.update(self._render(), refresh=True)  # the display shows the last render it made

    def note(self, text: str) -> None:
        with self._lock:
            self.console.print(text, highlight=False)

    def close(self) -> None:
        with self._lock:
            if self.latest is not None:
                self.console.print(describe(self.latest), highlight=False)
                self.latest = None
            self.live.update(self._render(), refresh=True)
            self.live.stop()

    def __enter__(self) -> LiveProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NoProgress:
    """--quiet: nothing but the notes (a stop request is always acknowledged)."""

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream or sys.stderr

    def __call__(self, p: Progress) -> None:
        return None

    def note(self, text: str) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        return None

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Reporter = PlainProgress | LiveProgress | NoProgress


def reporter(quiet: bool = False, stream: IO[str] | None = None) -> Reporter:
    """Live on a terminal, plain lines otherwise; nothing but notes with `quiet`."""
    stream = stream or sys.stderr
    if quiet:
        return NoProgress(stream)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        try:
            return LiveProgress(stream)
        except ImportError:  # rich missing from a trimmed install: plain lines still work
            pass
    return PlainProgress(stream)
