"""Solve jobs across replicas and workers: every job ends exactly once, with a stored plan or a clear failure,
whichever replica it came through and whichever process is killed (docs/deployment.md)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import httpx
from cluster_kit import Cluster


def start(cluster: Cluster, replica: Any, op: int, time_limit: float) -> dict[str, Any]:
    r = cluster.call(replica, "POST", f"/api/v1/operations/{op}/solve-jobs", json={"time_limit": time_limit})
    assert r.status_code == 202, r.text
    return dict(r.json())


def wait_progress(cluster: Cluster, replica: Any, op: int, job_id: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = cluster.job(replica, op, job_id)
        if job["status"] == "running" and job["progress_at"]:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} shows no progress: {job}\n{cluster.diagnosis()}")


def plans_of(cluster: Cluster, replica: Any, op: int) -> list[dict[str, Any]]:
    r = cluster.call(replica, "GET", f"/api/v1/operations/{op}/plans")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_jobs_through_either_replica_end_once_and_progress_and_stop_cross_replicas(cluster: Cluster) -> None:
    a, b = cluster.replicas
    ops = [cluster.import_teaching(a) for _ in range(4)]
    jobs = [(op, start(cluster, (a, b)[i % 2], op, 1.5)["id"]) for i, op in enumerate(ops)]
    # a long job queued through A, watched and stopped through B
    long_op = cluster.import_teaching(b)
    long_job = start(cluster, a, long_op, 20)["id"]
    seen = wait_progress(cluster, b, long_op, long_job)
    assert seen["stage"] == "allocation" and seen["worker"] and seen["attempts"] == 1
    assert cluster.call(b, "DELETE", f"/api/v1/operations/{long_op}/solve-jobs/{long_job}").status_code == 202
    stopped = cluster.wait_job(long_op, long_job, timeout=20)
    assert stopped["status"] == "stopped" and stopped["plan_id"], stopped
    for op, job_id in jobs:
        done = cluster.wait_job(op, job_id, timeout=60)
        assert done["status"] == "succeeded" and done["plan_id"] and done["attempts"] == 1, done
        assert cluster.job(b if done["id"] % 2 else a, op, job_id)["plan_id"] == done["plan_id"]
        assert [p["id"] for p in plans_of(cluster, a, op)] == [done["plan_id"]]
    workers = {cluster.job(a, op, j)["worker"].split(":")[1] for op, j in jobs}
    assert len(workers) >= 2  # the jobs spread over both workers' processes


def test_a_worker_killed_mid_solve_leaves_its_job_to_another_worker(cluster: Cluster) -> None:
    a, b = cluster.replicas
    op = cluster.import_teaching(a)
    job_id = start(cluster, a, op, 4)["id"]
    running = wait_progress(cluster, b, op, job_id)
    pid = int(running["worker"].split(":")[1])
    victim = next(w for w in cluster.workers if w.popen.poll() is None and os.getpgid(pid) == w.popen.pid)
    victim.kill9()  # the worker's machine stops: main process and pool process at once
    done = cluster.wait_job(op, job_id, timeout=60)
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    assert done["worker"] != running["worker"] and done["plan_id"]
    assert [p["id"] for p in plans_of(cluster, b, op)] == [done["plan_id"]]  # completed once


def test_a_replica_killed_mid_request_loses_no_job(cluster: Cluster) -> None:
    a, b = cluster.replicas
    ops = [cluster.import_teaching(a) for _ in range(4)]
    answered = start(cluster, b, ops[0], 1.0)  # accepted by B, which then dies: the job is not B's to lose
    codes: list[int | None] = []

    def post(op: int) -> None:
        try:
            r = cluster.call(b, "POST", f"/api/v1/operations/{op}/solve-jobs", json={"time_limit": 1.0})
            codes.append(r.status_code)
        except httpx.HTTPError:
            codes.append(None)

    threads = [threading.Thread(target=post, args=(op,)) for op in ops[1:]]
    for t in threads:
        t.start()
    time.sleep(0.05)
    b.kill9()
    for t in threads:
        t.join(30)
    assert cluster.live_replicas() == [a]
    ended: dict[int, str] = {}
    for op in ops:
        listed = cluster.call(a, "GET", f"/api/v1/operations/{op}/solve-jobs").json()["items"]
        for job in listed:
            done = cluster.wait_job(op, job["id"], timeout=60)
            ended[job["id"]] = done["status"]
            assert done["status"] == "succeeded" and done["plan_id"], done
            assert [p["id"] for p in plans_of(cluster, a, op)] == [done["plan_id"]]
    assert answered["id"] in ended
    assert len(ended) >= 1 + sum(1 for c in codes if c == 202)  # every accepted request has its job
