"""Scale benchmark: how each stage's time, the memory and the plan file grow from 7,000 to 100,000 people.

Run as `python bench/bench_scale.py [--time-limit 30] [--large] [--quick] [--sizes N ...] [--seed 1]`.
Each size runs in its own child process (its peak RSS, from `os.wait4`, is that of the largest single process
of its tree: the solve's, as seating workers are smaller processes of their own), on the seeded
synthetic operation `charterplan generate --people N --seed 1` writes (`planner.synth.generate`), written to a
temporary folder first (not timed). The child loads the folder, solves with `--time-limit` counted from the start
of loading, as the command line counts it (the solve's own
`timings` give problem, allocation, tests, seating and finish as stage times), validates the plan, writes it
as JSON (its size in MB, and that of the people left out with their reasons: said once per person with the
flights they apply to, they no longer grow as people × flights), and then, after the solve, builds the problem
again and times the priority greedy alone (the baseline: its value is the level-1 value of the greedy
allocation, before seating).
One table, then the log-log slope of each stage's time against people (least squares over the sizes run):
1 is linear, 2 quadratic. Sizes: 7k and 20k; `--large` adds 50k and 100k (minutes each); `--quick` runs 1k
and 3k to check the script. The load average (1 min) at the start and end of each size is printed: the
machine is shared, so the times are only as good as that.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.model.options import Progress

STAGES = ("load", "problem", "allocation", "tests", "seating", "finish", "validate", "write", "total")
DEFAULT, LARGE, QUICK = [7000, 20000], [50000, 100000], [1000, 3000]


def _stage_times(timings: dict[str, float]) -> dict[str, float]:
    """The solve's timings are marks since its start; each stage's own time is the step between marks."""
    out: dict[str, float] = {}
    last = 0.0
    for stage in ("problem", "allocation", "tests", "seating", "total"):
        if stage in timings:
            out["finish" if stage == "total" else stage] = timings[stage] - last
            last = timings[stage]
    return out


def _allocated(seen: list[Progress]) -> int:
    """The solver's best level-1 value before test slots and seating (what the greedy value compares with)."""
    best = 0.0
    for progress in seen:
        if progress.stage == "tests":
            break
        best = max(best, progress.objective or 0.0)
    return int(best)


def child(size: int, seed: int, time_limit: float, folder: Path) -> dict[str, object]:
    """One size, in this process: everything the table prints for it."""

    from planner import SolveOptions, load_scenario, solve, validate
    from planner.allocation.greedy import greedy_allocation
    from planner.allocation.model import level1
    from planner.allocation.problem import build_problem
    from planner.io.input_limits import InputLimits, MiB
    from planner.io.writing import write_scenario
    from planner.pipeline.deadline import Deadline
    from planner.synth.generate import generate_scenario

    write_scenario(generate_scenario(people=size, seed=seed), folder)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    # a people file of 100,000 people is about 26 MiB, over the default limit of 20 MiB (docs/input.md)
    scenario = load_scenario(folder, limits=InputLimits(max_file_bytes=200 * MiB))
    times = {"load": time.monotonic() - started}
    seen: list[Progress] = []
    # the limit covers loading, solving, validating and writing, as `charterplan solve --time-limit` does
    deadline = Deadline.after(time_limit, start=started)
    plan = solve(scenario, options=SolveOptions(time_limit=time_limit, on_progress=seen.append, deadline=deadline))
    times.update(_stage_times(plan.timings or {}))
    t = time.monotonic()
    violations = validate(scenario, plan)
    times["validate"] = time.monotonic() - t
    t = time.monotonic()
    out = folder / "plan.json"
    text = plan.to_json()
    out.write_text(text, encoding="utf-8")
    times["write"] = time.monotonic() - t
    times["total"] = time.monotonic() - started
    objective = plan.objective
    # the people left out as the file holds them (reasons_of, defaults left out), without the indentation
    reasons_bytes = len(json.dumps(json.loads(text)["unassigned"], separators=(",", ":")))
    row: dict[str, object] = {
        "people": size, "households": len({p.household_id for p in scenario.people}),
        "flights": len(scenario.flights), "times": times, "valid": not violations,
        "solver": objective.level1_value, "allocated": _allocated(seen), "bound": objective.level1_bound,
        "gap": objective.gap,
        "plan_mb": out.stat().st_size / 1e6, "reasons_mb": reasons_bytes / 1e6,
        "reasons": sum(len(u.reasons) for u in plan.unassigned), "unassigned": len(plan.unassigned),
        "load_before": load_before,
    }
    del plan
    t = time.monotonic()
    problem = build_problem(scenario)
    greedy = greedy_allocation(problem)
    row["greedy"] = level1(problem, greedy)[0]
    row["greedy_s"] = time.monotonic() - t  # problem build + greedy
    row["load_after"] = os.getloadavg()[0]
    return row


def run_size(size: int, seed: int, time_limit: float) -> dict[str, object]:
    """`child` in a subprocess; its peak resident set from the kernel's accounting of that process alone."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--child", str(size), "--seed", str(seed), "--time-limit", str(time_limit),
               "--folder", str(Path(tmp) / f"ops-{size}")]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"size {size}: child exited {proc.returncode}")
    row: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    row["rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return row


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x (None with fewer than two usable points)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def print_table(rows: list[dict[str, object]]) -> None:
    cols = [s[:5] for s in STAGES]
    header = (f"{'people':>7} {'hh':>6} {'fl':>3} " + " ".join(f"{c:>6}" for c in cols)
              + f" {'grdy s':>6} {'RSS MB':>7} {'greedy':>9} {'alloc':>9} {'ratio':>7} {'solver':>9}"
              f" {'bound':>9} {'gap':>6}"
              f" {'plan MB':>7} {'rsn MB':>6} {'left':>6} {'rsn/p':>5} {'load':>9} valid")
    print(header)
    print("-" * len(header))
    for r in rows:
        t: dict[str, float] = r["times"]  # type: ignore[assignment]
        greedy, alloc, solver = (int(r[k]) for k in ("greedy", "allocated", "solver"))  # type: ignore[call-overload]
        ratio = alloc / greedy if greedy else float("nan")
        print(f"{r['people']:>7} {r['households']:>6} {r['flights']:>3} "
              + " ".join(f"{t.get(s, 0.0):>6.1f}" for s in STAGES)
              + f" {r['greedy_s']:>6.1f} {r['rss_mb']:>7.0f} {greedy:>9,} {alloc:>9,} {ratio:>7.4f} {solver:>9,}"
              f" {r['bound']:>9,} {r['gap']:>6.2%} {r['plan_mb']:>7.1f} {r['reasons_mb']:>6.1f}"
              f" {r['unassigned']:>6,} {int(r['reasons']) / max(1, int(r['unassigned'])):>5.1f}"  # type: ignore
              f" {r['load_before']:>4.1f}-{r['load_after']:<4.1f}"
              f" {'yes' if r['valid'] else 'NO'}")
    if len(rows) >= 2:
        people = [float(r["people"]) for r in rows]  # type: ignore[arg-type]
        parts = []
        for s in (*STAGES, "greedy_s", "rss_mb", "plan_mb", "reasons_mb"):
            ys = [float(r["times"].get(s, 0.0) if s in STAGES else r[s]) for r in rows]  # type: ignore
            k = slope(people, ys)
            parts.append(f"{s}={k:.2f}" if k is not None else f"{s}=n/a")
        print("log-log slope against people (1 = linear): " + "  ".join(parts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=30.0, help="--time-limit of each solve (wall seconds)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large", action="store_true", help="also 50,000 and 100,000 people (minutes each)")
    parser.add_argument("--quick", action="store_true", help="1,000 and 3,000 people only, to check the script")
    parser.add_argument("--sizes", type=int, nargs="+", help="these sizes instead")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.seed, args.time_limit, args.folder)))
        return 0
    sizes = args.sizes or (QUICK if args.quick else DEFAULT + (LARGE if args.large else []))
    rows = []
    for size in sizes:
        print(f"  {size} people ...", file=sys.stderr, flush=True)
        rows.append(run_size(size, args.seed, args.time_limit))
    print(f"time limit {args.time_limit:g} s, seed {args.seed}; stage columns in seconds; 'grdy s' = problem build +"
          " greedy alone, after the solve; greedy and alloc (the solver's allocation) are level-1 values before"
          " seating, ratio = alloc/greedy; solver = the final plan's value after seating cuts; bound = the solver's"
          " (LP) bound; rsn MB = the people left out with their reasons, in the plan file; left = people left out;"
          " rsn/p = reasons per person left out (each said once with its flights); load = 1-min load average"
          " before-after")
    print_table(rows)
    return 0 if all(r["valid"] and int(r["allocated"]) >= int(r["greedy"]) for r in rows) else 1  # type: ignore


if __name__ == "__main__":
    sys.exit(main())
