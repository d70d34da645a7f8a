"""Load benchmark: concurrent clients read plans, manifests and the web pages while a solve runs.

    python bench/bench_load.py [--clients 50] [--duration 30] [--think 1.0] [--serial 10] [--scenario ...] [--no-web]
                               [--skip KIND] [--py-spy FILE]

Starts the service with uvicorn on 127.0.0.1 (a free port, a fresh temporary SQLite file), imports the scenario,
solves once to have a plan, starts a second solve and, while it runs, lets each client read in a loop with
`--think` seconds between its requests (an officer's pace, not a flood). Half the requests are the API's own
reads (bearer token), half the web pages (signed in through /login with the session cookie), so the pages are
measured against the API as a baseline in the same run. Before the load, the first (cold) load of each page
is timed, then each kind of page `--serial` times by one client alone (the solve still running), with the
server process's CPU time per load: the page's own cost, beside its latency under load. Prints p50/p95 per
kind of request and the machine's load average (other work on the machine moves the figures). Each client
picks a kind of request at random, then one of its URLs, so every kind gets about as many samples (about 40
each in the default 30 s); the table checks each kind's p95 against its target. Targets: API reads p95 under
100 ms with 50 clients; every web page p95 under 150 ms. Only loopback traffic; the run ends itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_job(client: httpx.Client, base: str, job_id: int, running_only: bool = False) -> dict[str, Any]:
    while True:
        job = client.get(f"{base}/solve-jobs/{job_id}").json()
        if running_only and job["status"] == "running":
            return job
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.5)


async def reader(clients: dict[str, httpx.AsyncClient], urls: list[tuple[str, str]], until: float, think: float,
                 samples: list[tuple[str, float]], errors: list[str]) -> None:
    await asyncio.sleep(random.random() * think)  # spread the clients' starts
    by_kind: dict[str, list[str]] = {}
    for k, u in urls:
        by_kind.setdefault(k, []).append(u)
    kinds = list(by_kind)
    while time.monotonic() < until:
        # a kind first, then one of its URLs: every kind gets about as many samples, so a kind with one URL
        # (the plans list) is not decided by a handful of requests
        kind = random.choice(kinds)
        url = random.choice(by_kind[kind])
        client = clients["web" if kind.startswith("web ") else "api"]
        t0 = time.perf_counter()
        try:
            r = await client.get(url)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {url}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__} {url}")
        samples.append((kind, (time.perf_counter() - t0) * 1000))
        await asyncio.sleep(think)


async def load(url: str, token: str, cookies: httpx.Cookies, urls: list[tuple[str, str]], clients: int,
               duration: float, think: float) -> tuple[list[tuple[str, float]], list[str]]:
    samples: list[tuple[str, float]] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=30) as api, \
            httpx.AsyncClient(base_url=url, cookies=cookies, limits=limits, timeout=30,
                              headers={"Accept": "text/html"}) as web:
        until = time.monotonic() + duration
        both = {"api": api, "web": web}
        await asyncio.gather(*(reader(both, urls, until, think, samples, errors) for _ in range(clients)))
    return samples, errors


def web_sign_in(url: str, username: str, password: str) -> httpx.Cookies:
    """The session and CSRF cookies of a browser signed in through the sign-in form (docs/web.md)."""
    with httpx.Client(base_url=url, timeout=60) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
        assert token is not None
        r = browser.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1),
                                         "next": "/operations"})
        if r.status_code != 303:
            raise SystemExit(f"web sign-in failed: {r.status_code}")
        return browser.cookies


def web_urls(op: int, plan_number: int, job_id: int, flights: list[str], people: list[str]) -> list[tuple[str, str]]:
    """The pages an officer opens while a solve runs, each kind of page once or a few times."""
    page = f"/operations/{op}"
    urls = [("web dashboard", page), ("web people list", f"{page}/people"),
            ("web people list", f"{page}/people?page=40"), ("web people search", f"{page}/people?q=ali"),
            ("web people filtered", f"{page}/people?status=flying"), ("web plans", f"{page}/plans"),
            ("web plan", f"{page}/plans/{plan_number}"), ("web solve progress", f"{page}/jobs/{job_id}"),
            ("web progress JSON", f"{page}/jobs/{job_id}/progress"), ("web what-if", f"{page}/what-if"),
            ("web events", f"{page}/events")]
    urls += [("web person", f"{page}/people/{c}") for c in people[:20]]
    urls += [("web flight", f"{page}/plans/{plan_number}/flights/{f}") for f in flights[:10]]
    return urls


def start_py_spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy recording which thread holds the GIL, for the load's duration (None when py-spy is missing)."""
    import shutil

    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        print("py-spy not found: pip install py-spy")
        return None
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--gil", "--nonblocking", "--rate", "100",
                             "--duration", str(int(seconds)), "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def gil_holders(raw: Path, top: int = 15) -> list[str]:
    """The service's functions (src/api) by share of the samples in which their thread held the GIL."""
    counts: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        total += int(n)
        # the service's own frames, not the ASGI wrappers every request passes through
        frames = [re.sub(r":\d+\)", ")", f) for f in stack.split(";") if "(api/" in f]
        for frame in dict.fromkeys(f for f in frames if ".__call__ " not in f and not f.startswith("serve ")):
            counts[frame] = counts.get(frame, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    return [f"{100 * n / max(1, total):5.1f} %  {frame}" for frame, n in ranked]


#: fewer samples of a kind than this and its p95 is one or two requests: the table says so
MIN_SAMPLES = 20


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(p * len(values)))]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    subprocess.run([sys.executable, "-c", "from api.cli import create_user; "
                    "raise SystemExit(create_user('load', 'admin', 'amber-falcon-harbour-1962'))"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, "-c", f"from api.cli import serve; serve(port={port})"], env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # up to a minute: a busy machine starts slowly
        try:
            if httpx.get(f"{url}/ready").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return server, url


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Ask the server to end; kill it when it has not within 30 s."""
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def import_scenario(client: httpx.Client, scenario: Path) -> int:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in ("scenario.yaml", "people.csv"):
            z.write(scenario / name, name)
    return int(client.post("/api/v1/operations/import", files={"file": ("s.zip", buf.getvalue())}).json()["id"])


def server_cpu_ms(pid: int) -> float | None:
    """CPU time the server process has used so far (user + system, from /proc; None where there is none):
    a page's own cost, which other work on a shared machine moves far less than its latency."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _ticks_ms(ticks: int) -> float:
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _process_times(pid: int) -> tuple[float, float, int]:
    """CPU time (ms), time spent runnable but waiting for a core (ms, every thread) and nice of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0, 0
    wait_ns = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            wait_ns += int((task / "schedstat").read_text().split()[1])
    return _ticks_ms(int(fields[11]) + int(fields[12])), wait_ns / 1e6, int(fields[16])


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").glob("*")
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


class CpuShares:
    """Where the machine's CPU went while the clients read: the server process, its (niced) solve workers,
    this load generator and everything else, and how long the server's threads waited for a core. A server
    that waits for a core is starved by other work; one that does not but is still slow queues internally."""

    def __init__(self, server: int):
        self.server = server
        self.start = self._snapshot()

    def _snapshot(self) -> dict[str, float]:
        cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        server_cpu, server_wait, _ = _process_times(self.server)
        solve = sum(_process_times(c)[0] for c in _descendants(self.server))
        own = os.times()
        return {"wall": time.monotonic() * 1000, "busy": _ticks_ms(sum(cpu) - cpu[3] - cpu[4]),
                "nice": _ticks_ms(cpu[1]), "server": server_cpu, "wait": server_wait, "solve": solve,
                "bench": (own.user + own.system) * 1000}

    def report(self, requests: int) -> str:
        end = self._snapshot()
        d = {k: end[k] - self.start[k] for k in end}
        cores = d["wall"] / 100  # percent of one core
        nices = sorted({_process_times(c)[2] for c in _descendants(self.server)})
        return (f"CPU while reading (% of one core; {os.cpu_count()} cores): machine {d['busy'] / cores:.0f}, "
                f"server {d['server'] / cores:.0f}, solve workers {d['solve'] / cores:.0f} (nice {nices}), "
                f"load generator {d['bench'] / cores:.0f}, everything else "
                f"{(d['busy'] - d['server'] - d['solve'] - d['bench']) / cores:.0f}; server CPU per request "
                f"{d['server'] / max(1, requests):.1f} ms, server threads waiting for a core "
                f"{d['wait'] / max(1, requests):.1f} ms per request")


def _descendants(pid: int) -> list[int]:
    found = []
    todo = _children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(_children(child))
    return found


def time_pages(url: str, cookies: httpx.Cookies, pages: list[tuple[str, str]], serial: int,
               pid: int) -> tuple[dict[str, float], dict[str, tuple[float, float | None]]]:
    """The first (cold) load of each kind of page in the order an officer opens them, then `serial` loads of
    each by this one client alone: their median time and the server's CPU time per load."""
    cold: dict[str, float] = {}
    alone: dict[str, tuple[float, float | None]] = {}
    with httpx.Client(base_url=url, cookies=cookies, timeout=120, headers={"Accept": "text/html"}) as web:
        # an officer's pace: signed in, the operations list, a few seconds to choose the operation
        # (the pages' caches are built in the background meanwhile: docs/web.md)
        web.get("/operations")
        time.sleep(3)
        for kind, page in pages:
            if kind in cold:
                continue
            t0 = time.perf_counter()
            r = web.get(page)
            cold[kind] = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                print(f"  {r.status_code} {page}")
        for kind, page in {k: p for k, p in reversed(pages)}.items():  # the page loaded cold above
            times = []
            cpu0 = server_cpu_ms(pid)
            for _ in range(serial):
                t0 = time.perf_counter()
                web.get(page)
                times.append((time.perf_counter() - t0) * 1000)
            cpu1 = server_cpu_ms(pid)
            cpu = None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / serial
            alone[kind] = (statistics.median(times), cpu)
    return cold, alone


def report(urls: list[tuple[str, str]], samples: list[tuple[str, float]], cold: dict[str, float],
           alone: dict[str, tuple[float, float | None]]) -> list[str]:
    """The table per kind of request and the totals; returns the kinds whose p95 misses the target."""
    print("| request | n | p50 ms | p95 ms | p99 ms | first load ms | one client ms | server CPU ms | target p95 "
          "| check |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    missed = []
    for kind in dict.fromkeys(k for k, _ in urls):
        some = sorted(ms for k, ms in samples if k == kind)
        if some:
            target = 150 if kind.startswith("web ") else 100
            p95 = pct(some, 0.95)
            check = "OK" if p95 < target else "MISSED"
            if p95 >= target:
                missed.append(kind)
            if len(some) < MIN_SAMPLES:
                check += f" (only {len(some)} samples)"
            cold_ms = f"{cold[kind]:.0f}" if kind in cold else ""
            wall, cpu = alone.get(kind, (None, None))
            alone_ms = "" if wall is None else f"{wall:.1f}"
            cpu_ms = "" if cpu is None else f"{cpu:.1f}"
            print(f"| {kind} | {len(some)} | {statistics.median(some):.1f} | {p95:.1f} | {pct(some, 0.99):.1f} "
                  f"| {cold_ms} | {alone_ms} "
                  f"| {cpu_ms} | {target} | {check} |")
    api_ms = sorted(ms for k, ms in samples if not k.startswith("web "))
    web_ms = sorted(ms for k, ms in samples if k.startswith("web "))
    for name, values, target in (("API reads", api_ms, 100), ("web pages", web_ms, 150)):
        if values:
            print(f"{name}: median {statistics.median(values):.1f}  p95 {pct(values, 0.95):.1f}  "
                  f"p99 {pct(values, 0.99):.1f}  max {values[-1]:.1f} ms   target p95 < {target}")
    return missed


def api_urls(base: str, plan: int, flights: list[str], people: list[str]) -> list[tuple[str, str]]:
    """The API's reads: plans, reasons, every manifest, people on ten flights, fifty explanations."""
    urls = [("plan list", f"{base}/plans"), ("plan", f"{base}/plans/{plan}"),
            ("reason summary", f"{base}/plans/{plan}/reasons")]
    urls += [("manifest CSV", f"{base}/plans/{plan}/flights/{f}/manifest?format=csv") for f in flights]
    urls += [("people on a flight", f"{base}/people?flight={f}&plan_id={plan}&limit=50") for f in flights[:10]]
    urls += [("explanation", f"{base}/plans/{plan}/people/{c}") for c in people[:50]]
    return urls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "belarus-2021-iraq")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--solve", type=float, default=5.0, help="allocation time limit of each solve")
    parser.add_argument("--serial", type=int, default=10, help="loads of each page by one client alone")
    parser.add_argument("--no-web", action="store_true", help="the API's reads only")
    parser.add_argument("--skip", action="append", default=[], metavar="KIND",
                        help="leave out a kind of request, e.g. --skip 'web flight' (repeatable)")
    parser.add_argument("--py-spy", type=Path, metavar="FILE",
                        help="record the server's GIL holders under load with py-spy (raw stacks to FILE)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="charterplan-load-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp.name}/load.db",
           "CHARTERPLAN_SECRET_KEY": "load-" + "k" * 40, "CHARTERPLAN_LOG_LEVEL": "WARNING",
           "CHARTERPLAN_JOB_GRACE_SECONDS": "60", "CHARTERPLAN_MAX_TIME_LIMIT": "600"}
    print(f"start: {load_average()}")
    server, url = start_server(env)
    try:
        token = httpx.post(f"{url}/api/v1/auth/token",
                           data={"username": "load", "password": "amber-falcon-harbour-1962"}).json()["access_token"]
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        op = import_scenario(client, args.scenario)
        base = f"/api/v1/operations/{op}"
        t0 = time.perf_counter()
        job = client.post(f"{base}/solve-jobs", json={"time_limit": args.solve}).json()
        job = wait_job(client, base, job["id"])
        print(f"first solve: {time.perf_counter() - t0:.1f} s, status {job['status']}, plan {job['plan_id']}")
        if job["plan_id"] is None:
            print(f"  error: {job['error']}; violations: {job['violations'][:3]}")
            return 1
        plan = job["plan_id"]
        flights = [f["id"] for f in client.get(f"{base}/flights", params={"limit": 100}).json()["items"]]
        people = [p["case_id"] for p in client.get(f"{base}/people", params={"limit": 200}).json()["items"]]
        urls = api_urls(base, plan, flights, people)
        second = client.post(f"{base}/solve-jobs", json={"time_limit": max(args.solve, args.duration) + 60}).json()
        wait_job(client, base, second["id"], running_only=True)
        cookies = httpx.Cookies()
        cold: dict[str, float] = {}
        alone: dict[str, tuple[float, float | None]] = {}
        if not args.no_web:
            cookies = web_sign_in(url, "load", "amber-falcon-harbour-1962")
            number = client.get(f"{base}/plans/{plan}").json()["number"]
            pages = web_urls(op, number, second["id"], flights, people)
            cold, alone = time_pages(url, cookies, pages, args.serial, server.pid)
            urls = urls + pages
        urls = [(kind, u) for kind, u in urls if kind not in args.skip]
        print(f"second solve running (job {second['id']}); {args.clients} clients read for {args.duration:.0f} s, "
              f"think time {args.think} s; {load_average()}")
        shares = CpuShares(server.pid)
        spy = start_py_spy(server.pid, args.py_spy, args.duration) if args.py_spy else None
        samples, errors = asyncio.run(load(url, token, cookies, urls, args.clients, args.duration, args.think))
        if spy is not None:
            spy.wait(timeout=60)
        cpu_report = shares.report(len(samples))
        during = client.get(f"{base}/solve-jobs/{second['id']}").json()
        client.delete(f"{base}/solve-jobs/{second['id']}")
        print(f"requests {len(samples)} ({len(samples) / args.duration:.0f}/s), errors {len(errors)}, "
              f"solve still {during['status']} at stage {during['stage']}; end: {load_average()}")
        print(cpu_report)
        missed = report(urls, samples, cold, alone)
        if spy is not None and args.py_spy.exists():
            print(f"GIL held under load, by service function (py-spy, {args.py_spy}):")
            print("\n".join("  " + line for line in gil_holders(args.py_spy)))
        ok = not missed and not errors and during["status"] == "running"
        if missed:
            print("p95 over target:", ", ".join(missed))
        if errors:
            print("errors (first 5):", errors[:5])
        print("target met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        stop_server(server)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
