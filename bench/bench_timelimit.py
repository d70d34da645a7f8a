"""Benchmark: `--time-limit` is wall-clock time for the whole command (docs/cli.md, "Time budget").

Runs `charterplan solve`, `replan`, `compare`, `sweep` and `fleet` as subprocesses on every bundled scenario
and prints, per run, the limit, the wall time from starting the process to its exit, their ratio, and whether
the wall time is within the tolerance: at most the limit plus 10 % or 2 s, whichever is larger. A run that
ends well before its limit (everything proven optimal) is within it too. As a baseline measured in the same
run, the table starts with the time the interpreter needs just to start the command (`charterplan --help`),
which every limit has to include. The Belarus scenario (7,000 people) runs only with --belarus.

    python bench/bench_timelimit.py [--limit 6] [--belarus] [--belarus-limit 30]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["first-charter-2022", "teaching-lab-bottleneck", "teaching-two-flights", "teaching-vulnerable-first"]
BELARUS = "belarus-2021-iraq"


@dataclass
class Run:
    scenario: str
    command: str
    limit: float
    wall: float
    code: int

    @property
    def tolerance(self) -> float:
        return max(0.1 * self.limit, 2.0)

    @property
    def within(self) -> bool:
        return self.wall <= self.limit + self.tolerance


def _timed(args: list[str]) -> tuple[float, int, str]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "charterplan.cli", *args], capture_output=True, text=True,
                          cwd=ROOT)
    return time.monotonic() - started, proc.returncode, proc.stdout + proc.stderr


def _events(plan_path: Path, out: Path) -> Path:
    """A consent withdrawal of the first person flying in the plan (or a delay when nobody flies)."""
    import json

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    flown = [p["person_id"] for f in plan["flights"] for p in f["passengers"]]
    events = ([{"type": "consent_withdrawn", "case_id": flown[0]}] if flown
              else [{"type": "flight_delayed", "flight_id": plan["flights"][0]["flight_id"], "hours": 2}])
    out.write_text(yaml.safe_dump({"format": "charterplan.events/1", "events": events}), encoding="utf-8")
    return out


def _sweep_spec(scenario: Path, out: Path, points: list[float]) -> Path:
    out.write_text(yaml.safe_dump({"format": "charterplan.sweep/1", "name": f"lab x {scenario.name}",
                                   "base": str(scenario), "parameters": {"lab.daily_capacity_scale": points}}),
                   encoding="utf-8")
    return out


def bench_scenario(name: str, limit: float, tmp: Path, belarus: bool = False) -> list[Run]:
    folder = ROOT / "scenarios" / name
    plan = tmp / f"{name}.json"
    runs: list[Run] = []

    def run(command: str, args: list[str], seconds: float) -> None:
        wall, code, output = _timed([*args, "--time-limit", f"{seconds:g}"])
        runs.append(Run(name, command, seconds, wall, code))
        if code not in (0, 1):
            print(f"  {name} {command}: exit {code}\n{output[-2000:]}", file=sys.stderr)
        print(f"  {name:<26} {command:<8} limit {seconds:>5g} s  wall {wall:6.1f} s", file=sys.stderr, flush=True)

    run("solve", ["solve", str(folder), "--out", str(plan), "--quiet"], limit)
    if plan.exists():
        run("replan", ["replan", str(folder), str(plan), str(_events(plan, tmp / f"{name}-events.yaml")),
                       "--out", str(tmp / f"{name}-2.json"), "--quiet"], limit)
    if belarus:
        run("compare", ["compare", str(folder), str(ROOT / "variants" / "belarus-more-lab.yaml"), "--quiet"],
            limit)
        run("sweep", ["sweep", str(ROOT / "variants" / "belarus-sweep.yaml"), "--quiet"], 2 * limit)
    else:
        run("compare", ["compare", str(folder), str(folder), "--quiet"], limit)
        run("sweep", ["sweep", str(_sweep_spec(folder, tmp / f"{name}-sweep.yaml", [0.5, 1, 2])), "--quiet"],
            limit)
    run("fleet", ["fleet", str(folder), "--quiet"], limit)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=6.0, help="--time-limit for the small scenarios")
    parser.add_argument("--belarus", action="store_true", help="also the 7,000-person Belarus scenario")
    parser.add_argument("--belarus-limit", type=float, default=30.0,
                        help="--time-limit for Belarus (its sweep of 12 points gets twice this)")
    parser.add_argument("--scenario", action="append", help="only these bundled scenarios")
    args = parser.parse_args()

    startup, _, _ = _timed(["--help"])
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenario or SMALL:
            if name != BELARUS:
                runs += bench_scenario(name, args.limit, Path(tmp))
        if args.belarus or (args.scenario and BELARUS in args.scenario):
            runs += bench_scenario(BELARUS, args.belarus_limit, Path(tmp), belarus=True)

    print(f"baseline: starting the command takes {startup:.1f} s (inside every limit)")
    header = f"{'scenario':<26} {'command':<8} {'limit s':>7} {'wall s':>7} {'wall/limit':>10} {'tolerance':>9}  ok"
    print(header)
    print("-" * len(header))
    for r in runs:
        print(f"{r.scenario:<26} {r.command:<8} {r.limit:>7g} {r.wall:>7.1f} {r.wall / r.limit:>10.2f} "
              f"{r.tolerance:>8.1f}s  {'yes' if r.within else 'NO'}{'' if r.code in (0, 1) else f' (exit {r.code})'}")
    late = [r for r in runs if not r.within]
    print(f"{len(runs) - len(late)} of {len(runs)} runs within the limit + max(10 %, 2 s); "
          f"worst wall/limit {max(r.wall / r.limit for r in runs):.2f}")
    return 0 if not late else 1


if __name__ == "__main__":
    sys.exit(main())
