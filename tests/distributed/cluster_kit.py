"""A small deployment on loopback for the distributed tests: service replicas and Celery workers as real
processes on one PostgreSQL database and one Redis broker (docs/deployment.md).

(A module name of its own, so that no other test folder's helpers can shadow it.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "scenarios" / "teaching-two-flights"
SECRET = "distributed-test-secret-" + "y" * 40
REDIS_URL = os.environ.get("CHARTERPLAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRED = os.environ.get("CHARTERPLAN_REQUIRE_SERVICES") == "1"


def need(ok: bool, reason: str) -> None:
    """Skip with the reason, or fail when CI says the services must be there."""
    if ok:
        return
    if REQUIRED:
        pytest.fail(f"{reason} (CHARTERPLAN_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def services_available() -> None:
    need(bool(os.environ.get("CHARTERPLAN_TEST_PG_URL")), "CHARTERPLAN_TEST_PG_URL is not set: no PostgreSQL")
    try:
        import celery  # noqa: F401
        import redis
    except ImportError:
        need(False, "celery and redis are not installed: pip install -e '.[distributed]'")
        return
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        need(False, f"no Redis at {REDIS_URL}: {type(exc).__name__}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        """SIGKILL to the whole process group (a worker's pool processes too): a machine that stops."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Cluster:
    database_url: str
    folder: Path
    env: dict[str, str]
    replicas: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def _start(self, name: str, args: list[str], port: int | None = None) -> Proc:
        log = self.folder / f"{name}.log"
        popen = subprocess.Popen([sys.executable, "-m", "charterplan.cli", *args], env=self.env, cwd=self.folder,
                                 stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        return Proc(name, popen, log, port)

    def start_replica(self) -> Proc:
        port = free_port()
        proc = self._start(f"replica{len(self.replicas)}", ["serve", "--host", "127.0.0.1", "--port", str(port)],
                           port)
        self.replicas.append(proc)
        return proc

    def start_worker(self) -> Proc:
        proc = self._start(f"worker{len(self.workers)}", ["worker", "--concurrency", "1"])
        self.workers.append(proc)
        return proc

    def wait_ready(self, proc: Proc, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.popen.poll() is None, f"{proc.name} exited:\n{proc.log.read_text()[-3000:]}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(proc.url + "/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{proc.name} not ready:\n{proc.log.read_text()[-3000:]}")

    def wait_worker(self, proc: Proc, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.popen.poll() is None, f"{proc.name} exited:\n{proc.log.read_text()[-3000:]}"
            if b"charterplan worker ready" in proc.log.read_bytes():
                return
            time.sleep(0.2)
        raise AssertionError(f"{proc.name} not ready:\n{proc.log.read_text()[-3000:]}")

    def call(self, replica: Proc, method: str, path: str, role: str = "coordinator", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}", **kw.pop("headers", {})}
        return httpx.request(method, replica.url + path, headers=headers, timeout=30, **kw)

    def import_teaching(self, replica: Proc) -> int:
        import io
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in ("scenario.yaml", "people.csv"):
                z.write(TEACHING / name, name)
        r = self.call(replica, "POST", "/api/v1/operations/import", "coordinator",
                      files={"file": ("teaching.zip", buf.getvalue(), "application/zip")})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def job(self, replica: Proc, op: int, job_id: int) -> dict[str, Any]:
        r = self.call(replica, "GET", f"/api/v1/operations/{op}/solve-jobs/{job_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait_job(self, op: int, job_id: int, timeout: float = 60, states: tuple[str, ...] = ()) -> dict[str, Any]:
        """Poll through whichever replica is alive until the job leaves queued/running (or reaches `states`)."""
        deadline = time.monotonic() + timeout
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            for replica in self.live_replicas():
                with contextlib.suppress(httpx.HTTPError):
                    job = self.job(replica, op, job_id)
                    if (job["status"] in states) if states else job["status"] not in ("queued", "running"):
                        return job
                    break
            time.sleep(0.1)
        raise AssertionError(f"job {job_id}: {job}\n{self.diagnosis()}")

    def diagnosis(self) -> str:
        """Every job's state and the tail of each process's log: what a failed wait shows, so a failure on
        another machine can be read without running it again."""
        lines = []
        with contextlib.suppress(Exception):
            from sqlalchemy import text

            from api.db import make_engine

            columns = "id, status, runner, worker, attempts, dispatched_at, started_at, finished_at"
            engine = make_engine(self.database_url)
            with engine.connect() as c:
                rows = c.execute(text(f"SELECT {columns} FROM solve_job ORDER BY id")).all()
            engine.dispose()
            lines += [f"jobs ({columns}):",
                      *(f"  {tuple(r)}" for r in rows)]
        for proc in self.replicas + self.workers:
            state = "running" if proc.popen.poll() is None else f"exited {proc.popen.returncode}"
            tail = proc.log.read_text(errors="replace")[-2500:] if proc.log.exists() else ""
            lines += [f"--- {proc.name} ({state}), last lines of its log:", tail]
        return "\n".join(lines)

    def live_replicas(self) -> list[Proc]:
        return [r for r in self.replicas if r.popen.poll() is None]

    def stop(self) -> None:
        for proc in self.workers + self.replicas:
            proc.stop()


def cluster_env(database_url: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTERPLAN_")}
    env.update({
        "DATABASE_URL": database_url,
        "CHARTERPLAN_SECRET_KEY": SECRET,
        "CHARTERPLAN_TASK_ENGINE": "celery",
        "CHARTERPLAN_BROKER_URL": REDIS_URL,
        "CHARTERPLAN_SOLVE_QUEUE": queue,
        "CHARTERPLAN_LEASE_SECONDS": "3",
        "CHARTERPLAN_REAP_INTERVAL": "0.5",
        "CHARTERPLAN_JOB_MAX_ATTEMPTS": "3",
        "CHARTERPLAN_SOLVER": "fake_planner:slow_solve",
        "CHARTERPLAN_VALIDATOR": "fake_planner:validate",
        "CHARTERPLAN_SOLVE_WORKERS": "2",
        "CHARTERPLAN_MAX_QUEUED_JOBS": "40",
        "CHARTERPLAN_PROGRESS_INTERVAL": "0.2",
        "CHARTERPLAN_LOG_LEVEL": "INFO",
        "CHARTERPLAN_WORKER_NICE": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "api"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    })
    return env


def add_users(database_url: str) -> dict[str, str]:
    """One user per role, straight into the shared database; tokens signed with the cluster's secret."""
    from sqlmodel import Session

    from api.auth import ROLES, hash_password, issue_token
    from api.db import make_engine
    from api.models import User

    engine = make_engine(database_url)
    with Session(engine) as s:
        for role in ROLES:
            s.add(User(username=f"{role}1", password_hash=hash_password("correct horse battery"), role=role))
        s.commit()
    engine.dispose()
    return {role: issue_token(f"{role}1", SECRET, 60) for role in ROLES}


def new_queue() -> str:
    return f"charterplan.test.{uuid.uuid4().hex[:10]}"
