"""Solve jobs (docs/architecture.md#jobs-and-workers): POST answers 202 at once; GET shows progress; DELETE stops and
keeps the best plan."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from api import models as m
from api.audit import audit
from api.db import write_lock
from api.deps import JobsDep, Officer, SessionDep, SettingsDep, Viewer
from api.lookups import get_operation
from api.pagination import Page, Paging, paging
from api.params import BodyId, Id, QueryId
from api.problems import ApiProblem, not_found

router = APIRouter(tags=["solve jobs"])
#: Key of the PostgreSQL advisory lock that serialises job admission (queue cap, one job per operation).
ADMISSION_LOCK = 0x43504A42  # "CPJB"


@contextlib.contextmanager
def admission(session: Session) -> Iterator[None]:
    """Serialise the check-then-insert of solve jobs, so two simultaneous POSTs cannot both pass the queue cap
    or the one-job-per-operation rule. PostgreSQL: a transaction-scoped advisory lock (across every service
    process; released at commit or rollback). SQLite: the process's write lock (the embedded store is served
    by one process), held until the caller's commit inside the block."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADMISSION_LOCK})
        yield
        return
    with write_lock(bind):
        yield


class SolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(default=None, gt=0, le=86_400,
                                     description="wall-clock seconds for the whole job, from when a worker takes "
                                                 "it to the stored plan; capped by the service's maximum")
    replan: bool = Field(default=False, description="re-plan from the last published plan "
                                                      "(docs/architecture.md#publishing-and-re-planning-in-the-service)")
    previous_plan_id: BodyId | None = Field(default=None, description="re-plan from this plan of the same "
                                                                       "operation instead")
    unlock: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=1000,
        description="re-plan only: flight ids whose lock is lifted, so they take people from the waiting list; "
                    '["all"] unlocks every flight. Published flights are locked; departed ones always stay locked')
    full: bool = Field(default=False, description="re-plan only: full re-optimisation from scratch; nothing is kept "
                                                  "but the departed flights. Compare the draft with the previous "
                                                  "plan before publishing it")


class JobRead(BaseModel):
    id: int
    operation_id: int
    status: str
    time_limit: float
    replan: bool
    previous_plan_id: int | None
    unlock: list[str] | None
    full: bool
    variant_id: int | None
    seat: bool
    stop_requested: bool
    stage: str | None
    objective: float | None
    bound: float | None
    gap: float | None
    elapsed: float | None
    message: str | None
    progress_at: datetime | None
    error: str | None
    violations: list[dict[str, Any]]
    plan_id: int | None
    attempts: int = Field(default=0, description="how often a worker claimed the job (more than one: a worker "
                                                  "was lost and the job ran again)")
    worker: str = Field(default="", description="host and process of the worker that claimed it last")
    plan_number: int | None = Field(default=None, description="the stored plan's number in its operation")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str

    @model_validator(mode="after")
    def _elapsed_now(self) -> JobRead:
        """A running job's elapsed time keeps moving between progress writes: computed from its start when read
        (the worker's last figure if that is later, e.g. clocks of two hosts a little apart)."""
        if self.status == "running" and self.started_at is not None:
            started = self.started_at if self.started_at.tzinfo else self.started_at.replace(tzinfo=UTC)
            now = (datetime.now(UTC) - started).total_seconds()
            self.elapsed = round(max(self.elapsed or 0.0, now), 3)
        return self


def _job(session: SessionDep, operation_id: Id, job_id: Id) -> m.SolveJob:
    job = session.get(m.SolveJob, job_id)
    if job is None or job.operation_id != operation_id:
        get_operation(session, operation_id)
        raise not_found("solve job", job_id)
    return job


def with_numbers(session: Session, jobs: list[m.SolveJob]) -> list[JobRead]:
    """The jobs as read, each with its plan's number (one query for all of them)."""
    ids = [j.plan_id for j in jobs if j.plan_id is not None]
    numbers = dict(session.exec(select(m.Plan.id, m.Plan.number).where(col(m.Plan.id).in_(ids))).all()) if ids \
        else {}
    return [JobRead.model_validate(j, from_attributes=True).model_copy(
        update={"plan_number": numbers.get(j.plan_id) if j.plan_id is not None else None}) for j in jobs]


@router.post("/operations/{operation_id}/solve-jobs", status_code=202, response_model=JobRead)
def start_solve(operation_id: Id, body: SolveRequest, principal: Officer, session: SessionDep, response: Response,
                settings: SettingsDep, manager: JobsDep) -> Any:
    """Queue a solve; a worker process picks it up. 429 when the queue is full."""
    get_operation(session, operation_id)
    with admission(session):
        job = _admit(session, operation_id, body, principal.username, settings, manager)
        session.commit()
    session.refresh(job)
    manager.submit(job.id)
    response.headers["Location"] = f"/api/v1/operations/{operation_id}/solve-jobs/{job.id}"
    return job


def _unlock(session: Session, operation_id: int, unlock: list[str] | None) -> list[str] | None:
    """The flights to unlock, checked against the operation: an unknown flight id is a 422 naming its place."""
    if not unlock:
        return None
    if "all" in unlock:
        if len(unlock) > 1:
            raise ApiProblem(422, '"all" unlocks every flight and cannot be combined with flight ids',
                          kind="validation", errors=[{"field": "body.unlock", "message": '"all" with flight ids'}])
        return ["all"]
    known = set(session.exec(select(m.Flight.code).where(m.Flight.operation_id == operation_id,
                                                         col(m.Flight.code).in_(unlock))).all())
    errors = [{"field": f"body.unlock[{i}]", "message": f"unknown flight {code!r}"}
              for i, code in enumerate(unlock) if code not in known]
    if errors:
        raise ApiProblem(422, f"{len(errors)} flight(s) to unlock are not flights of this operation",
                      kind="validation", errors=errors)
    return sorted(set(unlock))


def _admit(session: Session, operation_id: int, body: SolveRequest, username: str, settings: Any,
           manager: Any) -> m.SolveJob:
    """Check the request against the queue and the operation's jobs and add the job (the caller commits)."""
    busy = session.exec(select(m.SolveJob.id).where(m.SolveJob.operation_id == operation_id,
                                                    col(m.SolveJob.variant_id).is_(None),
                                                    col(m.SolveJob.status).in_(("queued", "running")))).first()
    if busy is not None:
        raise ApiProblem(409, f"solve job {busy} of this operation is still queued or running", kind="job-running",
                      job_id=busy)
    if manager.capacity_left(session) <= 0:
        raise ApiProblem(429, "the solve queue is full; try again when a job has finished", kind="queue-full",
                      headers={"Retry-After": "30"})
    previous = body.previous_plan_id
    is_replan = previous is not None or body.replan
    if not is_replan and (body.unlock or body.full):
        field = "body.unlock" if body.unlock else "body.full"
        raise ApiProblem(422, "unlock and full apply to a re-plan: set replan or previous_plan_id",
                      kind="validation", errors=[{"field": field, "message": "needs replan: true or "
                                                  "previous_plan_id"}])
    if body.full and body.unlock:
        raise ApiProblem(422, "a full re-optimisation keeps no flight but the departed ones: unlock has no effect",
                      kind="validation", errors=[{"field": "body.unlock", "message": "not with full: true"}])
    unlock = _unlock(session, operation_id, body.unlock)
    if previous is not None:
        plan = session.get(m.Plan, previous)
        if plan is None or plan.operation_id != operation_id:
            raise not_found("plan", previous)
    elif body.replan:
        previous = session.exec(select(m.Plan.id).where(m.Plan.operation_id == operation_id,
                                                        m.Plan.state == "published")
                                .order_by(col(m.Plan.number).desc())).first()
        if previous is None:
            raise ApiProblem(409, "there is no published plan to re-plan from", kind="no-published-plan")
    limit = min(body.time_limit or settings.default_time_limit, settings.max_time_limit)
    job = m.SolveJob(operation_id=operation_id, time_limit=limit, replan=previous is not None,
                     previous_plan_id=previous, unlock=unlock, full=body.full, runner=manager.runner,
                     created_by=username)
    session.add(job)
    session.flush()
    audit(session, username, "solve", "solve_job", job.id, operation_id=operation_id, time_limit=limit,
          previous_plan_id=previous, **({"unlock": unlock} if unlock else {}), **({"full": True} if body.full else {}))
    return job


@router.get("/operations/{operation_id}/solve-jobs", response_model=Page[JobRead])
def list_jobs(operation_id: Id, _: Viewer, session: SessionDep, page: Annotated[Paging, Depends(paging)],
              status: str | None = None, variant_id: QueryId = None) -> Any:
    get_operation(session, operation_id)
    stmt = select(m.SolveJob).where(m.SolveJob.operation_id == operation_id)
    if status:
        stmt = stmt.where(m.SolveJob.status == status)
    if variant_id is not None:
        stmt = stmt.where(m.SolveJob.variant_id == variant_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = session.exec(stmt.order_by(col(m.SolveJob.id).desc()).offset(page.offset).limit(page.limit)).all()
    return {"items": with_numbers(session, list(items)), "total": total, "limit": page.limit,
            "offset": page.offset}


@router.get("/operations/{operation_id}/solve-jobs/{job_id}", response_model=JobRead)
def read_job(operation_id: Id, job_id: Id, _: Viewer, session: SessionDep) -> Any:
    return with_numbers(session, [_job(session, operation_id, job_id)])[0]


@router.delete("/operations/{operation_id}/solve-jobs/{job_id}", status_code=202, response_model=JobRead)
def stop_job(operation_id: Id, job_id: Id, principal: Officer, session: SessionDep, manager: JobsDep) -> Any:
    """Stop: a queued job is cancelled; a running one ends its stage and stores its best complete plan."""
    job = _job(session, operation_id, job_id)
    if job.status in ("queued", "running"):
        manager.stop(session, job)
        audit(session, principal, "stop", "solve_job", job_id, operation_id=operation_id)
        session.commit()
    session.refresh(job)
    return with_numbers(session, [job])[0]
