"""Departure-day benchmark: the server's CPU time per check-in page view and per batch of check-in marks.

    python bench/bench_departure.py [--scenario scenarios/belarus-2021-iraq] [--serial 10] [--batch 20]

Starts the service like `bench/bench_load.py` (uvicorn on 127.0.0.1, a fresh temporary SQLite file), imports the
scenario, solves once, then on the flight with the most passengers times, `--serial` times each by one client
alone: the web check-in page, the API's departure view, a batch of `--batch` marks through the API and through
the page's sync, and the final manifest; before them the first view of each (nothing kept yet), after them the
first views after a caseload change. Prints the median time and the server process's CPU time per request
(docs/departure-day.md), with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import (
    ROOT,
    import_scenario,
    load_average,
    server_cpu_ms,
    start_server,
    stop_server,
    wait_job,
    web_sign_in,
)

PASSWORD = "amber-falcon-harbour-1962"


def _timed(pid: int, runs: int, call: Any) -> tuple[float, float | None]:
    """Median wall time (ms) of `runs` calls and the server's CPU time per call (ms)."""
    times = []
    cpu0 = server_cpu_ms(pid)
    for i in range(runs):
        t0 = time.perf_counter()
        r = call(i)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code not in (200, 303):
            raise SystemExit(f"{r.status_code}: {r.text[:300]}")
    cpu1 = server_cpu_ms(pid)
    return statistics.median(times), None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "belarus-2021-iraq")
    parser.add_argument("--solve", type=float, default=5.0, help="allocation time limit of the solve")
    parser.add_argument("--serial", type=int, default=10, help="requests of each kind by one client alone")
    parser.add_argument("--batch", type=int, default=20, help="marks per batch")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="charterplan-departure-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp.name}/departure.db",
           "CHARTERPLAN_SECRET_KEY": "bench-" + "k" * 40, "CHARTERPLAN_LOG_LEVEL": "WARNING"}
    print(f"start: {load_average()}")
    server, url = start_server(env)
    try:
        token = httpx.post(f"{url}/api/v1/auth/token",
                           data={"username": "load", "password": PASSWORD}).json()["access_token"]
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=300)
        op = import_scenario(api, args.scenario)
        base = f"/api/v1/operations/{op}"
        job = wait_job(api, base, api.post(f"{base}/solve-jobs", json={"time_limit": args.solve}).json()["id"])
        if job["plan_id"] is None:
            print(f"no plan: {job['error']}")
            return 1
        plan_id = job["plan_id"]
        body = api.get(f"{base}/plans/{plan_id}/plan.json").json()
        flight = max(body["flights"], key=lambda f: len(f["passengers"]))
        flight_id, cases = flight["flight_id"], [p["person_id"] for p in flight["passengers"]]
        number = api.get(f"{base}/plans/{plan_id}").json()["number"]
        web = httpx.Client(base_url=url, cookies=web_sign_in(url, "load", PASSWORD), timeout=300,
                           headers={"Accept": "text/html"})
        page = f"/operations/{op}/plans/{number}/flights/{flight_id}/check-in"
        view = f"{base}/plans/{plan_id}/flights/{flight_id}/departure"
        once = {"API departure view, first": lambda i: api.get(view),  # nothing kept yet
                "web check-in page, first": lambda i: web.get(page)}
        rows = {kind: _timed(server.pid, 1, call) for kind, call in once.items()}
        found = re.search(r'name="csrf_token" value="([^"]+)"', web.get(page).text)
        csrf = found.group(1) if found else ""
        n = args.batch

        def marks(i: int, tag: str) -> list[dict[str, str]]:
            chosen = [cases[(i * n + k) % len(cases)] for k in range(n)]
            return [{"client_id": f"{tag}-{i:04d}-{k:04d}", "case_id": c, "status": "checked_in", "reason": "",
                     "marked_at": f"2021-11-30T{10 + i % 10:02d}:{k % 60:02d}:00+03:00"}
                    for k, c in enumerate(chosen)]

        marks_url = f"{base}/plans/{plan_id}/flights/{flight_id}/check-in-marks"
        kinds = {
            "web check-in page": lambda i: web.get(page),
            "API departure view": lambda i: api.get(view),
            f"API marks, batch of {n}": lambda i: api.post(marks_url, json={"marks": marks(i, "api")}),
            f"web marks sync, batch of {n}": lambda i: web.post(f"{page}/marks", data={
                "csrf_token": csrf, "marks": json.dumps(marks(i, "web"))}),
            "API final manifest (CSV)": lambda i: api.get(f"{base}/plans/{plan_id}/flights/{flight_id}/final-manifest",
                                                          params={"format": "csv"}),
        }
        for kind, call in kinds.items():
            rows[kind] = _timed(server.pid, args.serial, call)
        person = api.get(f"{base}/people/{cases[0]}").json()  # a caseload change: what was kept is outdated
        api.patch(f"{base}/people/{cases[0]}", headers={"If-Match": f'"{person["version"]}"'},
                  json={"notes": "moved to another hotel"}).raise_for_status()
        rows["API departure view after a caseload change"] = _timed(server.pid, 1, lambda i: api.get(view))
        rows["web check-in page after a caseload change"] = _timed(server.pid, 1, lambda i: web.get(page))
        shown = web.get(page).text.count('data-status="checked_in"')
        print(f"{args.scenario.name}: flight {flight_id} with {len(cases)} passengers; {shown} rows marked checked "
              f"in on the page after the batches; {load_average()}")
        print("| request | median ms (one client) | server CPU ms per request |")
        print("|---|---:|---:|")
        for kind, (wall, cpu) in rows.items():
            print(f"| {kind} | {wall:.1f} | {'' if cpu is None else f'{cpu:.1f}'} |")
        return 0
    finally:
        stop_server(server)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
