"""Job ownership by leases (docs/deployment.md, "Jobs, leases and retries").

A solve job belongs to one owner at a time, named in `solve_job.runner`: the replica whose local pool holds it,
or the worker that claimed it from the broker ("" while it waits there). The owner renews
`lease_expires_at` every third of the lease; a process that is killed stops renewing. Every replica and every
worker reaps now and then: a job whose lease has run out goes back to the queue for another claim (at most
`max_attempts` claims in all) or fails with a clear error. Writes of an owner are conditional on still owning
the job, so a lost owner that wakes up later stores nothing: a job ends exactly once.

Times are the hosts' clocks (UTC); keep them in sync (NTP) to well within the lease.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, func, select

from api import models as m

log = logging.getLogger("api.leases")
ACTIVE = ("queued", "running")
#: a job inserted but not sent to the broker within this many seconds is sent by a reaper (its replica died)
UNSENT_GRACE = 5.0
#: a job sent to the broker this many seconds ago and still not claimed is sent again (the broker may have lost it)
RESEND_AFTER = 900.0
#: a job marked for sending whose sender never confirmed that the broker took it (the replica died between the
#: two) is sent again after this many seconds: a replica killed while it sent a job left it waiting 15 minutes
SEND_CONFIRM_SECONDS = 10.0


def new_owner() -> str:
    """A unique owner id for one claim: host, process and a random part (at most 64 characters)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def process_name() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _rowcount(result: Any) -> int:
    # an UPDATE executes to a CursorResult; Session.execute is typed as Result
    return cast("CursorResult[Any]", result).rowcount or 0


def claim(engine: Engine, job_id: int, expected: str, owner: str, lease_seconds: float, max_attempts: int) -> bool:
    """queued -> running under `owner`, if the job is still queued for `expected` and has claims left."""
    now = m.utcnow()
    with Session(engine) as s:
        result = s.execute(update(m.SolveJob).where(
            (m.SolveJob.id == job_id) & (m.SolveJob.status == "queued") & (m.SolveJob.runner == expected)
            & (m.SolveJob.attempts < max_attempts)
        ).values(status="running", runner=owner, started_at=now, stage="loading", worker=process_name(),
                 attempts=m.SolveJob.attempts + 1, lease_expires_at=now + timedelta(seconds=lease_seconds)))
        s.commit()
    return _rowcount(result) == 1


def renew(engine: Engine, owner: str, lease_seconds: float, job_id: int | None = None) -> int:
    """Extend the leases of `owner` (one job, or all of them); returns how many are still owned."""
    cond = (m.SolveJob.runner == owner) & col(m.SolveJob.status).in_(ACTIVE)
    if job_id is not None:
        cond = cond & (m.SolveJob.id == job_id)
    with Session(engine) as s:
        result = s.execute(update(m.SolveJob).where(cond).values(
            lease_expires_at=m.utcnow() + timedelta(seconds=lease_seconds)))
        s.commit()
    return _rowcount(result)


class Heartbeat:
    """A daemon thread renewing leases every `lease_seconds / 3`; `lost` is set when a job's lease is gone."""

    def __init__(self, engine: Engine, owner: str, lease_seconds: float, job_id: int | None = None,
                 also: Callable[[], None] | None = None):
        self.engine, self.owner, self.lease, self.job_id, self.also = engine, owner, lease_seconds, job_id, also
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{owner[-12:]}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                owned = renew(self.engine, self.owner, self.lease, self.job_id)
                if self.job_id is not None and owned == 0:
                    self.lost.set()
                    return
                if self.also is not None:
                    self.also()
            except Exception:  # the database may be away for a moment: the lease outlives a few misses
                log.warning("could not renew the leases of %s", self.owner[-12:], exc_info=True)


@dataclass
class Reaped:
    requeued: list[int]
    failed: list[int]


def _expired(now: datetime, lease_seconds: float) -> Any:
    """Owned, active jobs whose lease ran out (a job inserted with no lease yet gets one lease from creation)."""
    no_lease_since = now - timedelta(seconds=lease_seconds)
    return and_(col(m.SolveJob.status).in_(ACTIVE), m.SolveJob.runner != "",
                or_(col(m.SolveJob.lease_expires_at) < now,
                    and_(col(m.SolveJob.lease_expires_at).is_(None), col(m.SolveJob.created_at) < no_lease_since)))


def reap(engine: Engine, lease_seconds: float, max_attempts: int) -> Reaped:
    """Hand back jobs of lost owners: to the queue while claims are left, else failed with a clear error."""
    now = m.utcnow()
    out = Reaped([], [])
    with Session(engine) as s:
        rows = s.exec(select(m.SolveJob.id, m.SolveJob.runner, m.SolveJob.status, m.SolveJob.attempts,
                             m.SolveJob.operation_id).where(_expired(now, lease_seconds))).all()
        for job_id, runner, status, attempts, operation_id in rows:
            same = (m.SolveJob.id == job_id) & (m.SolveJob.runner == runner) & (m.SolveJob.status == status)
            if attempts < max_attempts:
                note = (f"the worker running it was lost; queued again (claim {attempts + 1} of {max_attempts})"
                        if status == "running" else "its replica was lost before it started; queued again")
                result = s.execute(update(m.SolveJob).where(same).values(
                    status="queued", runner="", lease_expires_at=None, dispatched_at=None, stage=None,
                    message=note[:500], worker=""))
                (out.requeued if _rowcount(result) else []).append(job_id)
            else:
                result = s.execute(update(m.SolveJob).where(same).values(
                    status="failed", finished_at=now, lease_expires_at=None, stage="done",
                    error=_lost_error(s, operation_id, attempts)))
                (out.failed if _rowcount(result) else []).append(job_id)
        s.commit()
    if out.requeued or out.failed:
        log.warning("lost owners: %d job(s) queued again, %d failed", len(out.requeued), len(out.failed))
    return out


def _lost_error(s: Session, operation_id: int, attempts: int) -> str:
    """The failure of a job whose workers were lost every time, naming the plan the operation keeps."""
    best = s.exec(select(m.Plan.number).where(m.Plan.operation_id == operation_id)
                  .order_by(col(m.Plan.number).desc())).first()
    kept = f"the operation's latest stored plan is still number {best}" if best is not None else \
        "the operation has no stored plan yet"
    return (f"the worker running this job was lost {attempts} time(s) (killed, or its machine stopped) and no "
            f"claims are left; {kept}. Start a new solve with a shorter time limit, or check the workers")


def _not_sent(now: datetime, resend_after: float) -> Any:
    """Never sent, or sent so long ago that the broker may have lost it (a broker restarted without its data);
    a second message for a job is harmless: only one delivery can claim it."""
    return or_(col(m.SolveJob.dispatched_at).is_(None),
               col(m.SolveJob.dispatched_at) < now - timedelta(seconds=resend_after))


def unsent(engine: Engine, grace: float = UNSENT_GRACE, resend_after: float = RESEND_AFTER) -> list[int]:
    """Queued jobs waiting in no broker and no pool: queued again by a reaper, inserted by a replica that died
    before sending them, or sent long ago and never claimed."""
    now = m.utcnow()
    since = now - timedelta(seconds=grace)
    with Session(engine) as s:
        return list(s.exec(select(m.SolveJob.id).where(
            (m.SolveJob.status == "queued") & (m.SolveJob.runner == "") & _not_sent(now, resend_after)
            & ((m.SolveJob.attempts > 0) | (col(m.SolveJob.created_at) < since))
        ).order_by(col(m.SolveJob.id))).all())


def mark_sent(engine: Engine, job_id: int, owner: str = "", lease_seconds: float = 0.0,
              resend_after: float = RESEND_AFTER, pending: bool = False) -> bool:
    """Record that the job was handed over (to the broker, or to `owner`'s pool with a lease); only one
    sender wins. `pending`: about to be sent to the broker, until `confirm_sent` says it was; meanwhile the
    job counts as sent `resend_after` − `SEND_CONFIRM_SECONDS` ago, so that a reaper sends it again soon
    should its sender die first."""
    now = m.utcnow()
    sent = now - timedelta(seconds=resend_after - SEND_CONFIRM_SECONDS) if pending else now
    values: dict[str, Any] = {"dispatched_at": sent}
    if owner:
        values.update(runner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
    with Session(engine) as s:
        result = s.execute(update(m.SolveJob).where(
            (m.SolveJob.id == job_id) & (m.SolveJob.status == "queued") & _not_sent(now, resend_after)
            & col(m.SolveJob.runner).in_(("", owner))
        ).values(**values))
        s.commit()
    return _rowcount(result) == 1


def confirm_sent(engine: Engine, job_id: int) -> None:
    """The broker took the job's message (`mark_sent` with `pending`): sent again only after `RESEND_AFTER`."""
    with Session(engine) as s:
        s.execute(update(m.SolveJob).where((m.SolveJob.id == job_id) & (m.SolveJob.status == "queued")
                                           & (m.SolveJob.runner == "")).values(dispatched_at=m.utcnow()))
        s.commit()


def unmark_sent(engine: Engine, job_id: int) -> None:
    """The hand-over failed: leave the job to the next reaper."""
    with Session(engine) as s:
        s.execute(update(m.SolveJob).where((m.SolveJob.id == job_id) & (m.SolveJob.status == "queued"))
                  .values(dispatched_at=None))
        s.commit()


def active_count(s: Session) -> int:
    return int(s.exec(select(func.count()).select_from(m.SolveJob).where(col(m.SolveJob.status).in_(ACTIVE))).one())
