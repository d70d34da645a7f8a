"""Solve jobs: worker processes, progress, stop, time limits, the queue cap, leases and retries, validation."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from service_testkit import Api, make_api, wait_job

from api.settings import Settings


@pytest.fixture
def slow(settings: Settings) -> Iterator[Api]:
    yield from make_api(settings.model_copy(update={"solver": "fake_planner:slow_solve",
                                                    "validator": "fake_planner:validate"}))


def start(api: Api, op: int, **body: Any) -> Any:
    return api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json=body)


def wait_running(api: Api, op: int, job_id: int, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/operations/{op}/solve-jobs/{job_id}", "viewer").json()
        if job["status"] == "running" and job["progress_at"]:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start: {job}")


def test_stop_keeps_the_best_plan_and_progress_is_reported(slow: Api) -> None:
    op = slow.import_teaching()
    t0 = time.monotonic()
    r = start(slow, op, time_limit=25)
    assert r.status_code == 202 and time.monotonic() - t0 < 1.0  # the request does not wait for the solve
    assert r.headers["location"].endswith(f"/solve-jobs/{r.json()['id']}")
    job = wait_running(slow, op, r.json()["id"])
    assert job["stage"] == "allocation" and job["objective"] == 1.0 and job["bound"] == 2.0
    assert job["gap"] == 0.5 and job["elapsed"] is not None
    assert start(slow, op).status_code == 409  # one job per operation at a time
    assert slow.delete(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "viewer").status_code == 403
    r = slow.delete(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "officer")
    assert r.status_code == 202 and r.json()["stop_requested"]
    done = wait_job(slow, op, job["id"], timeout=10)
    assert done["status"] == "stopped" and done["plan_id"]
    plan = slow.get(f"/api/v1/operations/{op}/plans/{done['plan_id']}", "viewer").json()
    assert plan["solver_status"] == "stopped" and plan["people"] == 24


def test_time_limit_is_capped_and_honoured(slow: Api) -> None:
    op = slow.import_teaching()
    job = start(slow, op, time_limit=10_000).json()
    assert job["time_limit"] == slow.settings.max_time_limit
    slow.delete(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "officer")
    wait_job(slow, op, job["id"])
    t0 = time.monotonic()
    job = start(slow, op, time_limit=1).json()
    done = wait_job(slow, op, job["id"], timeout=20)
    assert done["status"] == "succeeded" and time.monotonic() - t0 < 10


def test_queue_cap_and_cancelling_a_queued_job(slow: Api) -> None:
    ops = [slow.import_teaching() for _ in range(5)]
    cap = slow.settings.solve_workers + slow.settings.max_queued_jobs
    jobs = [start(slow, op, time_limit=20) for op in ops[:cap]]
    assert all(j.status_code == 202 for j in jobs)
    r = start(slow, ops[cap], time_limit=20)
    assert r.status_code == 429 and r.headers["retry-after"]
    queued = jobs[-1].json()
    assert slow.get(f"/api/v1/operations/{ops[cap - 1]}/solve-jobs/{queued['id']}").json()["status"] == "queued"
    r = slow.delete(f"/api/v1/operations/{ops[cap - 1]}/solve-jobs/{queued['id']}", "officer")
    assert r.json()["status"] == "cancelled"
    for op, j in zip(ops, jobs, strict=False):
        slow.delete(f"/api/v1/operations/{op}/solve-jobs/{j.json()['id']}", "officer")
    for op, j in zip(ops, jobs, strict=False):
        assert wait_job(slow, op, j.json()["id"])["status"] in ("stopped", "cancelled")
    assert slow.get(f"/api/v1/operations/{ops[cap - 1]}/plans").json()["total"] == 0


@pytest.fixture
def short_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leases of 3 s, looked after every 0.3 s (api.task_engine.EngineSettings reads the environment)."""
    monkeypatch.setenv("CHARTERPLAN_LEASE_SECONDS", "3")
    monkeypatch.setenv("CHARTERPLAN_REAP_INTERVAL", "0.3")
    monkeypatch.setenv("CHARTERPLAN_JOB_MAX_ATTEMPTS", "3")


def _lose_owner(api: Api, job_id: int, **values: Any) -> None:
    """What a replica killed with its pool looks like in the database: an owner nobody renews any more."""
    from datetime import timedelta

    from sqlalchemy import update
    from sqlmodel import Session

    from api import models as m

    with Session(api.client.app.state.engine) as s:  # type: ignore[attr-defined]
        s.execute(update(m.SolveJob).where(m.SolveJob.id == job_id).values(
            runner="killed-replica", lease_expires_at=m.utcnow() - timedelta(seconds=1), **values))
        s.commit()


def test_a_second_replica_leaves_running_jobs_alone_and_a_lost_job_runs_again(settings: Settings,
                                                                                short_leases: None) -> None:
    s = settings.model_copy(update={"solver": "fake_planner:slow_solve", "validator": "fake_planner:validate"})
    first = make_api(s)
    api1 = next(first)
    op = api1.import_teaching()
    job = start(api1, op, time_limit=25).json()
    wait_running(api1, op, job["id"])
    # A second replica starts on the same database: the first one's job is not its business.
    second = make_api(s, users=False)
    api2 = next(second)
    api2.tokens = api1.tokens
    time.sleep(1.0)
    after = api2.get(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "viewer").json()
    assert after["status"] == "running" and after["attempts"] == 1
    # Its owner is lost (its lease runs out): a replica queues it again and it runs to the end, once.
    _lose_owner(api1, job["id"], time_limit=1.0)
    done = wait_job(api2, op, job["id"], timeout=30)
    assert done["status"] == "succeeded" and done["attempts"] == 2 and done["plan_id"], done
    time.sleep(1.0)  # the first worker noticed it lost the job and stored nothing
    assert api2.get(f"/api/v1/operations/{op}/plans", "viewer").json()["total"] == 1
    for gen in (second, first):
        with pytest.raises(StopIteration):
            next(gen)


def test_a_job_lost_too_often_fails_naming_the_kept_plan(settings: Settings, short_leases: None) -> None:
    s = settings.model_copy(update={"solver": "fake_planner:slow_solve", "validator": "fake_planner:validate"})
    for api in make_api(s):
        op = api.import_teaching()
        first = wait_job(api, op, start(api, op, time_limit=0.5).json()["id"])
        job = start(api, op, time_limit=25).json()
        wait_running(api, op, job["id"])
        _lose_owner(api, job["id"], attempts=3)
        done = wait_job(api, op, job["id"], timeout=15)
        assert done["status"] == "failed" and "lost 3 time(s)" in done["error"], done
        assert f"latest stored plan is still number {first['plan_number']}" in done["error"]
        assert done["plan_id"] is None
        assert api.get(f"/api/v1/operations/{op}/plans", "viewer").json()["total"] == 1


def test_a_plan_with_violations_fails_its_job(settings: Settings) -> None:
    for api in make_api(settings.model_copy(update={"solver": "fake_planner:broken_solve",
                                                    "validator": "fake_planner:validate"})):
        op = api.import_teaching()
        done = wait_job(api, op, start(api, op, time_limit=1).json()["id"])
        assert done["status"] == "failed" and "hard rule" in done["error"]
        assert done["violations"][0]["rule"] == "fake_rule" and done["violations"][0]["person_id"]
        assert api.get(f"/api/v1/operations/{op}/plans", "viewer").json()["total"] == 0


def test_solver_errors_fail_the_job_and_workers_are_niced(settings: Settings) -> None:
    for api in make_api(settings.model_copy(update={"solver": "fake_planner:nice_probe"})):
        op = api.import_teaching()
        done = wait_job(api, op, start(api, op, time_limit=1).json()["id"])
        assert done["status"] == "failed" and "RuntimeError" in done["error"]
        nice = int(done["error"].split("nice=")[1].split()[0])
        pid = int(done["error"].split("pid=")[1].split()[0])
        assert nice >= os.nice(0) + api.settings.worker_nice and pid != os.getpid()


def test_replan_from_the_published_plan(api: Api) -> None:
    op = api.import_teaching()
    assert start(api, op, replan=True).status_code == 409
    plan_id = wait_job(api, op, start(api, op, time_limit=1).json()["id"])["plan_id"]
    api.post(f"/api/v1/operations/{op}/plans/{plan_id}/publish", "coordinator", if_match=1)
    job = start(api, op, replan=True, time_limit=1).json()
    assert job["previous_plan_id"] == plan_id
    done = wait_job(api, op, job["id"])
    assert done["status"] == "succeeded"
    cmp = api.get(f"/api/v1/operations/{op}/plans/{plan_id}/compare/{done['plan_id']}", "viewer").json()
    assert (cmp["base_number"], cmp["other_number"]) == (1, 2) and done["plan_number"] == 2
    listed = api.get(f"/api/v1/operations/{op}/solve-jobs", "viewer").json()["items"]
    assert [j["plan_number"] for j in listed] == [2, 1]
    assert cmp["added"] + cmp["removed"] + cmp["moved"] + cmp["seat_changed"] + cmp["unchanged"] == 24
    versions = api.get(f"/api/v1/operations/{op}/plans", "viewer").json()["items"]
    assert [v["number"] for v in versions] == [2, 1]
    assert api.delete(f"/api/v1/operations/{op}/plans/{plan_id}", "coordinator", if_match=2).status_code == 409
    assert api.post(f"/api/v1/operations/{op}/plans/{plan_id}/publish", "coordinator",
                    if_match=2).status_code == 409


def test_progress_is_written_at_most_once_per_interval(tmp_path) -> None:
    from api.worker import ProgressWriter
    from planner.model.options import Progress

    writer = ProgressWriter(engine=None, job_id=1, runner="x", interval=1.0)  # type: ignore[arg-type]
    writes = []
    writer.flush = lambda: writes.append(time.monotonic())  # type: ignore[method-assign]
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.5:
        writer(Progress(stage="allocation", elapsed=0.0))
    assert len(writes) == 2


def test_progress_is_written_at_once_when_the_stage_changes() -> None:
    from api.worker import ProgressWriter
    from planner.model.options import Progress

    writer = ProgressWriter(engine=None, job_id=1, runner="x", interval=60.0)  # type: ignore[arg-type]
    writes: list[str] = []
    writer.flush = lambda: writes.append(writer.latest.stage)  # type: ignore[method-assign]
    for stage in ["allocation", "allocation", "seating", "seating", "seating", "validate"]:
        writer(Progress(stage=stage, elapsed=0.0))
    assert writes == ["allocation", "seating", "validate"]


def test_elapsed_keeps_moving_between_progress_writes(settings: Settings) -> None:
    for api in make_api(settings.model_copy(update={"solver": "fake_planner:slow_solve",
                                                    "validator": "fake_planner:validate",
                                                    "progress_interval": 60})):
        op = api.import_teaching()
        job = wait_running(api, op, start(api, op, time_limit=20).json()["id"])
        time.sleep(1.0)
        later = api.get(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "viewer").json()
        assert later["elapsed"] >= job["elapsed"] + 0.9  # the worker wrote once; reading computes it
        api.delete(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "officer")
        assert wait_job(api, op, job["id"], timeout=10)["status"] == "stopped"


def test_wall_clock_limit_stops_a_solve_that_overruns(settings: Settings) -> None:
    for api in make_api(settings.model_copy(update={"solver": "fake_planner:stubborn_solve",
                                                    "validator": "fake_planner:validate",
                                                    "job_grace_seconds": 0.5})):
        op = api.import_teaching()
        t0 = time.monotonic()
        done = wait_job(api, op, start(api, op, time_limit=1).json()["id"], timeout=20)
        assert done["status"] == "stopped" and done["plan_id"] and time.monotonic() - t0 < 8


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan reparented to a non-reaping init stays one)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_dead(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_shutdown_ends_the_workers_of_jobs_still_running(settings: Settings) -> None:
    """A solve stuck past the shutdown grace has its worker terminated: nothing keeps computing."""
    from api import jobs

    s = settings.model_copy(update={"solver": "fake_workers:deaf_solve", "validator": "fake_planner:validate",
                                    "shutdown_grace": 0.5})
    gen = make_api(s)
    api = next(gen)
    op = api.import_teaching()
    job = start(api, op, time_limit=1).json()
    deadline = time.monotonic() + 60
    while api.get(f"/api/v1/operations/{op}/solve-jobs/{job['id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pool = jobs._POOLS[(s.solve_workers, s.worker_nice)]
    pids = list(pool._processes)  # type: ignore[attr-defined]
    assert pids and all(_alive(p) for p in pids)
    t0 = time.monotonic()
    with pytest.raises(StopIteration):
        next(gen)  # the app's lifespan ends: JobManager.shutdown
    assert time.monotonic() - t0 < 15
    assert _wait_dead(pids, 5) == []
    assert (s.solve_workers, s.worker_nice) not in jobs._POOLS  # the next app starts a fresh pool
    for again in make_api(s, users=False):  # the job is recorded as interrupted, not left running
        again.tokens = api.tokens
        after = again.get(f"/api/v1/operations/{op}/solve-jobs/{job['id']}").json()
        assert after["status"] == "interrupted"


_ORPHAN_SCRIPT = """
import os, threading, time
from api import jobs
first = []
t = threading.Thread(target=lambda: first.append(jobs.submit_to_pool(1, 0, os.getpid).result(timeout=120)))
t.start(); t.join()
time.sleep(1.5)  # the thread that submitted has ended; the worker must not die with it
pid = jobs.submit_to_pool(1, 0, os.getpid).result(timeout=30)
jobs.submit_to_pool(1, 0, time.sleep, 300)
print(first[0], pid, flush=True)
time.sleep(300)
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_workers_die_with_a_killed_service() -> None:
    """SIGKILL of the service (no shutdown code runs): its solve worker, busy computing, ends with it."""
    import signal
    import subprocess
    import sys

    service = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        first, pid = (int(x) for x in service.stdout.readline().split())  # type: ignore[union-attr]
        assert first == pid and _alive(pid)  # same worker, still alive after its submitting thread ended
        service.send_signal(signal.SIGKILL)
        service.wait(10)
        assert _wait_dead([pid], 10) == []
    finally:
        service.kill()
        service.wait(10)


def test_previous_plan_must_be_in_range_and_of_this_operation(api: Api) -> None:
    """A re-plan base out of the id range is a 422 (PostgreSQL answered 500), one of another operation a 404."""
    op = api.import_teaching()
    other = api.import_teaching()
    plan_id = wait_job(api, other, start(api, other, time_limit=1).json()["id"])["plan_id"]
    assert start(api, op, previous_plan_id=99999999999).status_code == 422
    r = start(api, op, previous_plan_id=plan_id)
    assert r.status_code == 404, r.text


def test_a_job_marked_for_the_broker_but_never_confirmed_is_sent_again_soon(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica killed between marking a job as sent and handing it to the broker: the job waits in no queue.
    Until the sending is confirmed it is due again after `SEND_CONFIRM_SECONDS` (here 0.5 s), not after the
    broker's 15 minutes; once confirmed, it is not."""
    from datetime import timedelta

    from sqlmodel import Session

    from api import leases
    from api import models as m

    monkeypatch.setattr(leases, "SEND_CONFIRM_SECONDS", 0.5)
    gen = make_api(settings)
    api = next(gen)
    op = api.import_teaching()
    engine = api.client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        job = m.SolveJob(operation_id=op, time_limit=1.0, created_at=m.utcnow() - timedelta(seconds=60))
        s.add(job)
        s.commit()
        job_id = job.id
    assert job_id is not None and job_id in leases.unsent(engine)
    assert leases.mark_sent(engine, job_id, pending=True)
    assert job_id not in leases.unsent(engine) and not leases.mark_sent(engine, job_id, pending=True)
    time.sleep(0.7)  # its sender died: due again
    assert job_id in leases.unsent(engine)
    assert leases.mark_sent(engine, job_id, pending=True)
    leases.confirm_sent(engine, job_id)
    time.sleep(0.7)
    assert job_id not in leases.unsent(engine)
    with pytest.raises(StopIteration):
        next(gen)
