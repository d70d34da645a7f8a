"""Benchmark: a 24-point what-if sweep through the service, on Celery workers and on the local pool.

Each point is a stored variant solved by its own job (allocation and tests, no seating, as the web sweep runs
them); the service queues all 24 at once (one variant run) and the jobs spread over the workers, each point a
task of its own, finishing in any order. Grid on belarus-2021-iraq (7,000 people): the first 15, 20, 25 or
30 charters × lab capacity ×0.5 ... ×2. Configurations: the local pool of the service process (2 processes),
and 1, 2 and 4 `charterplan worker` processes (Celery, Redis broker), one after the other on one PostgreSQL
database (the operation and its variants are stored once).

Reports per configuration the wall time from the run request to the last stored plan, the mean time inside
a job (claim to stored plan), and the overhead per point: wall × processes / points - time inside a job
(queueing, sending, claiming, loading nothing else). `--measure` also solves one full job (with seating) and
reports CPU seconds, peak memory and stored bytes, the figures behind docs/deployment.md's capacity estimate.

    python bench/bench_distributed.py [--quick] [--time-limit 8] [--configs local:2,celery:1,celery:2,celery:4]
        [--measure] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--broker redis://127.0.0.1:6379/0]

`--quick`: 4 points on first-charter-2022 with 1 s each, local:1 and celery:1,2 (a check that it all runs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-distributed-secret-" + "z" * 40


def grid(quick: bool) -> list[dict[str, Any]]:
    """Variant documents, one per point."""
    charters = [1] if quick else [15, 20, 25, 30]
    labs = [0.5, 1.0, 1.5, 2.0] if quick else [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    return [{"format": "charterplan.variant/1", "name": f"sweep: {n} charters, lab x{f:g}",
             "flights": {"keep_first": n},
             "testing_sites": {"scale": {"daily_capacity": f, "capacity_per_slot": f}}}
            for n in charters for f in labs]


@contextlib.contextmanager
def database(pg_url: str) -> Iterator[str]:
    import psycopg

    name = "cp_bench_" + uuid.uuid4().hex[:10]
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url.rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(url: str, engine: str, processes: int, broker: str, queue: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "CHARTERPLAN_SECRET_KEY": SECRET, "CHARTERPLAN_TASK_ENGINE": engine,
            "CHARTERPLAN_BROKER_URL": broker, "CHARTERPLAN_SOLVE_QUEUE": queue,
            "CHARTERPLAN_SOLVE_WORKERS": str(processes), "CHARTERPLAN_MAX_QUEUED_JOBS": "100",
            "CHARTERPLAN_MAX_TIME_LIMIT": "600", "CHARTERPLAN_LOG_LEVEL": "WARNING", "CHARTERPLAN_WORKER_NICE": "0"}


class Service:
    """The service in this process (one replica) with an admin token."""

    def __init__(self, env: dict[str, str]):
        from fastapi.testclient import TestClient

        from api.app import create_app
        from api.auth import issue_token
        from api.settings import Settings

        os.environ.update(env)
        # solve_workers is the local pool's size and, on Celery, CP-SAT's threads per job: one per process
        self.settings = Settings(solve_workers=int(env["CHARTERPLAN_SOLVE_WORKERS"]))
        self.client = TestClient(create_app(self.settings))
        self.client.__enter__()
        self.token = issue_token("admin1", SECRET, 600)

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.client.request(method, path, headers={"Authorization": f"Bearer {self.token}"}, **kw)
        assert r.status_code < 300, r.text
        return r.json()

    def close(self) -> None:
        self.client.__exit__(None, None, None)


def add_admin(url: str) -> None:
    from sqlmodel import Session

    from api.auth import hash_password
    from api.db import make_engine, migrate
    from api.models import User

    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        s.add(User(username="admin1", password_hash=hash_password("correct horse battery"), role="admin"))
        s.commit()
    engine.dispose()


def prepare(svc: Service, scenario: Path, quick: bool) -> tuple[int, list[int]]:
    """The scenario as an operation and one stored variant per point."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in ("scenario.yaml", "people.csv"):
            z.write(scenario / name, name)
    op = svc.call("POST", "/api/v1/operations/import", files={"file": ("s.zip", buf.getvalue(), "application/zip")})
    ids = [svc.call("POST", f"/api/v1/operations/{op['id']}/variants", json={"document": doc})["id"]
           for doc in grid(quick)]
    return int(op["id"]), ids


def start_workers(n: int, env: dict[str, str], folder: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for i in range(n):
        log = (folder / f"worker{i}.log").open("wb")
        procs.append(subprocess.Popen([sys.executable, "-m", "charterplan.cli", "worker", "--concurrency", "1"],
                                      env={**os.environ, **env, "CHARTERPLAN_LOG_LEVEL": "INFO"}, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 120
    for i, _ in enumerate(procs):
        while b"charterplan worker ready" not in (folder / f"worker{i}.log").read_bytes():
            assert time.monotonic() < deadline, (folder / f"worker{i}.log").read_text()[-2000:]
            time.sleep(0.2)
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _seconds(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))
            ).total_seconds()


def run_points(svc: Service, op: int, variants: list[int], time_limit: float) -> dict[str, Any]:
    """Queue every point at once (variant runs take 20 variants a request) and wait for the last."""
    t0 = time.monotonic()
    jobs = []
    for i in range(0, len(variants), 20):
        jobs += svc.call("POST", f"/api/v1/operations/{op}/variant-runs",
                         json={"variant_ids": variants[i:i + 20], "time_limit": time_limit, "seat": False})["jobs"]
    pending = {j["id"] for j in jobs}
    done: list[dict[str, Any]] = []
    while pending:
        time.sleep(0.25)
        for job_id in sorted(pending):
            job = svc.call("GET", f"/api/v1/operations/{op}/solve-jobs/{job_id}")
            if job["status"] not in ("queued", "running"):
                pending.discard(job_id)
                done.append({**job, "ended_after": time.monotonic() - t0})
    return {"wall": time.monotonic() - t0, "jobs": done}


def config(url: str, broker: str, kind: str, n: int, setup: tuple[int, list[int]] | None, scenario: Path,
           quick: bool, time_limit: float, folder: Path) -> tuple[dict[str, Any], tuple[int, list[int]]]:
    """One configuration: the service in this process on the shared database, and its workers."""
    env = environment(url, "celery" if kind == "celery" else "local", n if kind == "local" else 1, broker,
                      f"charterplan.bench.{uuid.uuid4().hex[:8]}")
    svc = Service(env)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        setup = setup or prepare(svc, scenario, quick)
        workers = start_workers(n, env, folder) if kind == "celery" else []
        result = run_points(svc, setup[0], setup[1], time_limit)
    finally:
        stop_workers(workers)
        svc.close()
    inside = [_seconds(j["started_at"], j["finished_at"]) for j in result["jobs"]]
    points = len(result["jobs"])
    mean_inside = sum(inside) / points
    return {"config": f"{kind}:{n}", "points": points, "wall": result["wall"], "inside": mean_inside,
            "overhead": result["wall"] * n / points - mean_inside,
            "statuses": sorted({j["status"] for j in result["jobs"]})}, setup


def measure(scenario: Path, time_limit: float) -> dict[str, float]:
    """One full solve (with seating) in a child process: CPU seconds, peak memory (MiB), people."""
    code = ("import sys; from planner.io.loading import load_scenario; from planner.pipeline.solve import solve; "
            "from planner.model.options import SolveOptions; s = load_scenario(sys.argv[1]); "
            "p = solve(s, options=SolveOptions(time_limit=float(sys.argv[2]), workers=1)); "
            "print(len(s.people), len(p.to_json()))")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code, str(scenario), str(time_limit)], capture_output=True,
                         text=True, check=True).stdout.split()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"people": int(out[0]), "plan_json_bytes": int(out[1]), "cpu_seconds": cpu,
            "wall_seconds": time.monotonic() - t0, "peak_mib": after.ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 points on first-charter-2022, 1 s each")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per point (default 8; quick 1)")
    parser.add_argument("--configs", default=None, help="e.g. local:2,celery:1,celery:2,celery:4")
    parser.add_argument("--measure", action="store_true", help="also one full solve: CPU, memory, plan size")
    parser.add_argument("--pg-url", default=os.environ.get("CHARTERPLAN_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    scenario = ROOT / "scenarios" / ("first-charter-2022" if args.quick else "belarus-2021-iraq")
    time_limit = args.time_limit or (1.0 if args.quick else 8.0)
    configs = args.configs or ("local:1,celery:1,celery:2" if args.quick else "local:2,celery:1,celery:2,celery:4")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-distributed-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    print(f"scenario {scenario.name}, {len(grid(args.quick))} points, {time_limit:g} s per point, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if args.measure:  # first: the peak memory of children counts every child so far
        m = measure(scenario, 4 * time_limit)
        per = 1000 / m["people"]
        print(f"one full solve ({m['people']} people, {4 * time_limit:g} s): {m['cpu_seconds']:.1f} CPU s "
              f"({m['cpu_seconds'] * per:.2f} per 1,000 people), peak {m['peak_mib']:.0f} MiB, plan JSON "
              f"{m['plan_json_bytes'] / 1e6:.2f} MB, wall {m['wall_seconds']:.1f} s")
    print(f"{'config':>10} {'points':>6} {'wall s':>8} {'in job s':>9} {'overhead s/point':>17}  statuses")
    setup: tuple[int, list[int]] | None = None
    with database(args.pg_url) as url:
        add_admin(url)
        for item in configs.split(","):
            kind, _, n = item.partition(":")
            r, setup = config(url, args.broker, kind, int(n or 1), setup, scenario, args.quick, time_limit, folder)
            print(f"{r['config']:>10} {r['points']:>6} {r['wall']:>8.1f} {r['inside']:>9.2f} {r['overhead']:>17.2f}  "
                  f"{','.join(r['statuses'])}  (load {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
