"""Benchmark: a 12-point sweep on the Belarus scenario (target: at most 3 minutes on 2 cores).

Grid: the first 20, 25 or 30 charters × lab daily capacity ×0.5, 0.75, 1, 1.5 (variants/belarus-sweep.yaml).
Allocation and tests only; the time limit is wall clock for the whole sweep, shared between the points as they
start (docs/cli.md, "Time budget"). Prints the table, the gap per point, and the wall time from reading the
sweep file to the last point.

    python bench/bench_sweep.py [--time-limit 150] [--processes 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from planner.whatif.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 180.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "variants" / "belarus-sweep.yaml"))
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="wall-clock seconds for the whole sweep (shared among the points)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--csv", help="also write the table as CSV here")
    args = parser.parse_args()

    started = time.monotonic()
    spec = load_sweep(args.spec)
    table = run_sweep(spec, time_limit=args.time_limit, processes=args.processes)
    wall = time.monotonic() - started
    print(table.to_text())
    gaps = [float(r["gap"] or 0.0) for r in table.rows]
    print(f"points: {len(table.rows)}  processes: {args.processes}  planned per point: {table.point_time_limit:.1f} s")
    print(f"gap per point: max {max(gaps):.2%}, mean {sum(gaps) / len(gaps):.2%}")
    print(f"wall time: {wall:.1f} s (budget {BUDGET_SECONDS:.0f} s) -> {'OK' if wall <= BUDGET_SECONDS else 'OVER'}")
    if args.csv:
        Path(args.csv).write_text(table.to_csv(), encoding="utf-8")
    return 0 if wall <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
