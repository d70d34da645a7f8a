"""Allocation benchmark: the solver against the priority-greedy baseline at 500 to 20,000 people.

Run as `python bench/bench_allocation.py [--sizes 500 2000 7000 20000] [--time-limit 20] [--engines]`.
For each size a seeded synthetic operation (`planner.synth.generate`, 14 days, seats and lab binding) is written to a
temporary folder; the time is wall time from loading that folder to a validated allocation with test slots
(seating has its own benchmark). Printed per size: the greedy baseline's level-1 objective (same rules,
testing included), the solver's, their ratio, the solver's proven gap to its bound, seconds, and the
validator's verdict on both plans. `--engines` also runs the same model through OR-Tools' SCIP back end.
`--dump DIR` writes each size's CP-SAT allocation model as text (`DIR/allocation-<size>.txt`, outside the timed
part), its variables and constraints named for what they count and state (planner.allocation.program).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from planner import SolveOptions, load_scenario, solve, validate
from planner.io.writing import write_scenario
from planner.synth.generate import generate_scenario


def dump_model(folder: Path, out: Path) -> None:
    """The base CP-SAT model of the scenario in `folder`, as text."""
    from planner.allocation.cpsat import cp_base_model
    from planner.allocation.model import build_model
    from planner.allocation.problem import build_problem

    out.parent.mkdir(parents=True, exist_ok=True)
    if not cp_base_model(build_model(build_problem(load_scenario(folder)))).export_to_file(str(out)):
        raise OSError(f"could not write {out}")


def run(size: int, time_limit: float, engine: str, seed: int, dump: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"ops-{size}"
        write_scenario(generate_scenario(people=size, seed=seed), folder)
        if dump is not None:
            dump_model(folder, dump / f"allocation-{size}.txt")
        started = time.monotonic()
        scenario = load_scenario(folder)
        baseline = solve(scenario, options=SolveOptions(time_limit=0, seat=False))
        greedy_seconds = time.monotonic() - started
        started = time.monotonic()
        scenario = load_scenario(folder)
        plan = solve(scenario, options=SolveOptions(time_limit=time_limit, seat=False, engine=engine))
        violations = validate(scenario, plan)
        seconds = time.monotonic() - started
    return {
        "size": size, "engine": engine, "greedy": baseline.objective.level1_value,
        "greedy_valid": not validate(scenario, baseline), "greedy_seconds": greedy_seconds,
        "value": plan.objective.level1_value, "bound": plan.objective.level1_bound, "gap": plan.objective.gap,
        "seconds": seconds, "valid": not violations, "moved": plan.kpis.moved, "households": len(
            {p.household_id for p in scenario.people}), "flights": len(scenario.flights),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 7000, 20000])
    parser.add_argument("--time-limit", type=float, default=20.0, help="allocation seconds per size")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--engines", action="store_true", help="also run the MIP back end (SCIP)")
    parser.add_argument("--dump", type=Path, help="write each size's CP-SAT allocation model here, as text")
    args = parser.parse_args()
    engines = ["cp-sat", "scip"] if args.engines else ["cp-sat"]
    header = (f"{'people':>7} {'hh':>6} {'fl':>3} {'engine':<7} {'greedy':>9} {'solver':>9} {'ratio':>7} "
              f"{'bound':>9} {'gap':>7} {'secs':>6} {'greedy s':>8} valid")
    print(header)
    print("-" * len(header))
    ok = True
    for size in args.sizes:
        for engine in engines:
            r = run(size, args.time_limit, engine, args.seed, args.dump if engine == engines[0] else None)
            ratio = r["value"] / r["greedy"] if r["greedy"] else float("nan")
            valid = "yes" if r["valid"] and r["greedy_valid"] else "NO"
            print(f"{r['size']:>7} {r['households']:>6} {r['flights']:>3} {engine:<7} {r['greedy']:>9,} "
                  f"{r['value']:>9,} {ratio:>7.4f} {r['bound']:>9,} {r['gap']:>7.2%} {r['seconds']:>6.1f} "
                  f"{r['greedy_seconds']:>8.1f} {valid}", flush=True)
            ok = ok and r["valid"] and r["greedy_valid"] and r["value"] >= r["greedy"]
    print("target: 7,000 people within 1% of the proven bound in <= 30 s; never below greedy at any size")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
