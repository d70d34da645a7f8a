"""Benchmark: Ctrl-C and SIGTERM stop a CLI run at once and still write a complete, validated plan
(docs/cli.md, "Stopping").

Runs `charterplan solve SCENARIO --time-limit 60 --out PLAN` as a subprocess and sends SIGINT or SIGTERM at
several moments: a fixed number of seconds after the start (12 s, as the issue measured), or a little after
the progress line of a stage appears (problem build, LP, CP-SAT near the LP solution, CP-SAT on the full
model, seating). Prints, per run, when the signal was sent, the stage the command was in, the seconds from
the signal to the process's exit, the exit code (130 or 143), the plan's status and whether the written plan
validates (`charterplan validate`); "no plan" when the stop came before a first plan existed (loading, the
problem build), where the command writes nothing by design. The machine's load average is printed with every
run: on a shared machine the wall-clock figures move with it, so the CPU seconds the command and its workers
used after the signal are printed too (on an idle 2-core machine the wall time is about the serial part of
them plus half of what the two seating workers did).

    python bench/bench_stop.py [--scenario scenarios/belarus-2021-iraq] [--signals INT,TERM]
                               [--moments 12s,build,lp,near-lp,full,seating] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_PLAN = "before a first complete plan existed"  # what the command says when a stop came before any plan
STAGE = re.compile(r"^\[\s*[\d.]+/[\d.]+s\]\s+(.+?)(?:\s{2,}|$)")

#: moment name -> (the progress line's stage label that arms it, or None for a time after the start; seconds
#: after that line, or after the start)
MOMENTS: dict[str, tuple[str | None, float]] = {
    "12s": (None, 12.0),
    "build": ("loading", 1.5),  # the allocation problem is being built (it reports when done)
    "lp": ("greedy allocation", 0.3),  # the LP relaxation runs right after the greedy incumbent
    "near-lp": ("LP bound", 1.0),  # CP-SAT near the LP solution
    "full": ("allocation", 1.0),  # CP-SAT on the full model (its first report)
    "seating": ("seating", 0.5),
}


@dataclass
class Run:
    moment: str
    signal: str
    sent_at: float  # seconds after the start
    stage: str  # the last stage reported before the signal
    stop_to_exit: float
    cpu: float  # CPU seconds the command (and its workers) used from the signal to the exit
    code: int
    status: str
    valid: str
    load: float


def _watch(proc: subprocess.Popen[str], lines: list[tuple[float, str]], started: float) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append((time.monotonic() - started, line.rstrip("\n")))


def _stage_of(line: str) -> str:
    m = STAGE.match(line)
    return m.group(1).strip() if m else ""


def _wait_for(lines: list[tuple[float, str]], label: str, proc: subprocess.Popen[str]) -> bool:
    """Until a progress line of stage `label` appears (False when the process ended first)."""
    seen = 0
    while proc.poll() is None:
        while seen < len(lines):
            if _stage_of(lines[seen][1]) == label:
                return True
            seen += 1
        time.sleep(0.01)
    return False


def _cpu_so_far(pid: int) -> float:
    """CPU seconds a process, its reaped children and its live children have used (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")

    def own(p: int, with_reaped: bool) -> float:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if with_reaped else 0)
        return ticks / tick

    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children += [int(c) for c in task.read_text().split()]
    return own(pid, True) + sum(own(c, False) for c in children)


def _check(scenario: str, plan_path: Path) -> tuple[str, str]:
    """The written plan's status, and whether `charterplan validate` (a fresh process, so it checks with the
    code as it is now) finds it valid."""
    if not plan_path.exists():
        return "-", "no file"
    status = str(json.loads(plan_path.read_text(encoding="utf-8")).get("status", "?"))
    proc = subprocess.run([sys.executable, "-m", "charterplan.cli", "validate", scenario, str(plan_path)],
                          cwd=ROOT, capture_output=True, text=True)
    last = proc.stdout.strip().splitlines()[-1:] or ["?"]
    return status, "yes" if proc.returncode == 0 else f"NO ({last[0].split()[0]})"


def run_one(scenario: str, moment: str, signame: str, limit: float, out_dir: Path) -> Run:
    out = out_dir / f"plan-{moment}-{signame}.json"
    out.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "charterplan.cli", "solve", scenario, "--time-limit", str(limit),
                             "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(target=_watch, args=(proc, lines, started), daemon=True)
    reader.start()
    label, delay = MOMENTS[moment]
    if label is not None and not _wait_for(lines, label, proc):
        proc.wait()
        return Run(moment, signame, -1, "ended first", 0.0, 0.0, proc.returncode, *_check(scenario, out),
                   os.getloadavg()[0])
    target = (time.monotonic() - started + delay) if label is not None else delay
    time.sleep(max(0.0, started + target - time.monotonic()))
    stage = next((_stage_of(t) for _, t in reversed(lines) if _stage_of(t)), "")
    before = _cpu_so_far(proc.pid)
    sent = time.monotonic()
    proc.send_signal(getattr(signal, f"SIG{signame}"))
    _, wait_status, usage = os.wait4(proc.pid, 0)
    ended = time.monotonic()
    proc.returncode = code = os.waitstatus_to_exitcode(wait_status)
    reader.join(2.0)
    load = os.getloadavg()[0]
    if any(NO_PLAN in text for _, text in lines):  # stopped before a first plan existed: nothing to check
        return Run(moment, signame, sent - started, stage, ended - sent, usage.ru_utime + usage.ru_stime - before,
                   code, "no plan", "-", load)
    status, valid = _check(scenario, out)
    cpu = usage.ru_utime + usage.ru_stime - before
    return Run(moment, signame, sent - started, stage, ended - sent, cpu, code, status, valid, load)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="scenarios/belarus-2021-iraq")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--signals", default="INT,TERM")
    parser.add_argument("--moments", default=",".join(MOMENTS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--target", type=float, default=2.0, help="seconds from the signal to the exit")
    args = parser.parse_args()
    print(f"{'moment':<8} {'signal':<6} {'sent at':>7} {'stage at signal':<22} {'stop->exit':>10} {'cpu':>5} "
          f"{'code':>4} {'status':<8} {'valid':<8} {'load':>5}", flush=True)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, args.repeat)):
            for moment in args.moments.split(","):
                for signame in args.signals.split(","):
                    r = run_one(args.scenario, moment, signame, args.time_limit, Path(tmp))
                    runs.append(r)
                    print(f"{r.moment:<8} {r.signal:<6} {r.sent_at:>6.1f}s {r.stage[:22]:<22} {r.stop_to_exit:>9.2f}s "
                          f"{r.cpu:>4.1f}s {r.code:>4} {r.status:<8} {r.valid:<8} {r.load:>5.1f}", flush=True)
    stopped = [r for r in runs if r.sent_at >= 0]
    ok = all(r.code in (130, 143) and (r.status == "no plan" or (r.valid == "yes" and r.status == "stopped"))
             for r in stopped)
    within = sum(1 for r in stopped if r.stop_to_exit <= args.target)
    if stopped:
        times = sorted(r.stop_to_exit for r in stopped)
        print(f"stop->exit: median {times[len(times) // 2]:.2f} s, max {times[-1]:.2f} s; {within} of {len(stopped)} "
              f"within {args.target:g} s; every plan stopped and valid (or none, before the first): "
              f"{'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
