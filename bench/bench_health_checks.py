"""Allocation benchmark with health checks switched on (docs/health-checks.md): the allocation benchmark's
operation (`bench/bench_allocation.py`: seeded synthetic, 14 days, seats and lab binding) solved as it is, with a
fit-to-travel examination added to the COVID-19 tests, and with the examination instead of them (both with lab
peaks smoothed, planner.rules.lab_peaks).

Run as `python bench/bench_health_checks.py [--sizes 7000] [--time-limit 20]`. The three configurations run one
after the other in the same process, so their ratios are comparable on a shared machine; each line gives the
greedy baseline's level-1 objective, the solver's, their ratio, the proven gap, wall and CPU seconds (process
time, every solver thread), the samples booked and the validator's verdict. The load average is printed before
and after. Targets as for the allocation benchmark: 7,000 people within 1% of the proven bound in <= 30 s, never
below greedy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from planner import SolveOptions, load_scenario, solve, validate
from planner.io.writing import write_scenario
from planner.model.scenario import Scenario
from planner.synth.generate import generate_scenario
from planner.synth.health import with_fit_to_travel

CONFIGURATIONS: dict[str, Callable[[Scenario], Scenario]] = {
    "covid": lambda s: s,
    "covid+fit": lambda s: with_fit_to_travel(s, covid=True),
    "fit only": lambda s: with_fit_to_travel(s, covid=False),
}


def run(size: int, name: str, time_limit: float, seed: int) -> dict[str, object]:
    """One size and configuration: written to a folder and loaded back, as the allocation benchmark does."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"ops-{size}"
        write_scenario(CONFIGURATIONS[name](generate_scenario(people=size, seed=seed)), folder)
        scenario = load_scenario(folder)
        baseline = solve(scenario, options=SolveOptions(time_limit=0, seat=False))
        started, cpu = time.monotonic(), time.process_time()
        scenario = load_scenario(folder)
        plan = solve(scenario, options=SolveOptions(time_limit=time_limit, seat=False))
        violations = validate(scenario, plan)
        seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu
    return {"size": size, "name": name, "greedy": baseline.objective.level1_value,
            "greedy_valid": not validate(scenario, baseline), "value": plan.objective.level1_value,
            "gap": plan.objective.gap, "seconds": seconds, "cpu": cpu_seconds, "samples": len(plan.tests),
            "moved": plan.kpis.moved, "valid": not violations}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[7000])
    parser.add_argument("--time-limit", type=float, default=20.0, help="allocation seconds per run")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'people':>7} {'checks':<10} {'greedy':>8} {'solver':>8} {'ratio':>7} {'gap':>7} {'secs':>6} "
          f"{'cpu s':>6} {'samples':>7} {'moved':>6} valid")
    ok = True
    for size in args.sizes:
        for name in CONFIGURATIONS:
            r = run(size, name, args.time_limit, args.seed)
            ratio = r["value"] / r["greedy"] if r["greedy"] else 1.0  # type: ignore[operator]
            valid = r["valid"] and r["greedy_valid"]
            print(f"{size:>7} {name:<10} {r['greedy']:>8,} {r['value']:>8,} {ratio:>7.4f} {r['gap']:>7.2%} "
                  f"{r['seconds']:>6.1f} {r['cpu']:>6.1f} {r['samples']:>7} {r['moved']:>6} "
                  f"{'yes' if valid else 'NO'}", flush=True)
            ok = ok and bool(valid) and ratio >= 1.0
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("target: 7,000 people within 1% of the proven bound in <= 30 s; never below greedy at any size")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
