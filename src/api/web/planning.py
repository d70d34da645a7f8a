"""What the planning pages read: plans by their number, solve jobs, parsed plan documents and scenarios, and
the change list between two plans (docs/web.md, "Planning pages"). A flight's view is in `api.web.flight_view`,
chart geometry in `api.web.charts`.

Plans are named by their `number` within the operation everywhere on the pages (URLs, headings, labels); the
database id only travels to the API's functions. Plan documents never change once stored except for the
flight locks publishing adds, so parsed documents are kept in memory per plan version and scenarios per
caseload revision (`api.export_cache`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api import models as m
from api.export_cache import cache_for, plan_document
from api.problems import not_found

log = logging.getLogger("api.web")
ACTIVE = ("queued", "running")

# ------------------------------------------------------------------------------------------------ plans


#: built once, as every plan and flight page reads it (docs/web.md, "Speed")
_BY_NUMBER = (select(m.Plan).options(defer(m.Plan.summary), defer(m.Plan.variant))  # type: ignore[arg-type]
              .where(m.Plan.operation_id == bindparam("operation_id"), m.Plan.number == bindparam("number")))


def plan_by_number(session: Session, operation_id: int, number: int) -> m.Plan:
    """The plan the pages call "plan N": its number within the operation (unique there), never its id."""
    plan = session.exec(_BY_NUMBER, params={"operation_id": operation_id, "number": number}).first()
    if plan is None:
        raise not_found("plan", number)
    return plan


def plans(session: Session, operation_id: int, limit: int = 200) -> list[m.Plan]:
    """The operation's plan versions, newest first (what-if plans included; the page marks them)."""
    return list(session.exec(select(m.Plan).options(defer(m.Plan.summary))  # type: ignore[arg-type]
                             .where(m.Plan.operation_id == operation_id)
                             .order_by(col(m.Plan.number).desc()).limit(limit)).all())


def numbers_by_id(session: Session, operation_id: int) -> dict[int, int]:
    """Plan id -> plan number, to show jobs' and plans' references by number."""
    return {i: n for i, n in session.execute(select(m.Plan.id, m.Plan.number).where(
        m.Plan.operation_id == operation_id)).all()}


def plan_body(session: Session, plan: m.Plan) -> Any:
    """The parsed plan document (planner.model.plan.Plan), kept per plan and version (publishing adds locks) and
    shared with the API's readers (`api.export_cache.plan_document`: one parse, even when the warm-up is at it)."""
    return plan_document(session, plan.id or 0, plan.version)


def scenario(session: Session, operation_id: int) -> Any:
    """The operation as a planner scenario, built once per caseload revision (seconds at 7,000 people)."""
    from api.scenario_store import build_scenario

    cache = cache_for(session.get_bind())
    op = session.get(m.Operation, operation_id)
    key = ("web.scenario", operation_id, cache.revision(operation_id), op.version if op else 0)
    built = cache.get(key)
    if built is None:
        from api.web.data import building

        with building(session, operation_id):
            built = cache.get(key)
            if built is None:
                built = build_scenario(session, operation_id)
                cache.put(key, built)
    return built


# ------------------------------------------------------------------------------------------------- jobs


def jobs(session: Session, operation_id: int, limit: int = 20) -> list[m.SolveJob]:
    return list(session.exec(select(m.SolveJob).where(m.SolveJob.operation_id == operation_id)
                             .order_by(col(m.SolveJob.id).desc()).limit(limit)).all())


def active_job(session: Session, operation_id: int) -> m.SolveJob | None:
    """The operation's own solve still queued or running (what-if runs are listed with their variants)."""
    return session.exec(select(m.SolveJob).where(
        m.SolveJob.operation_id == operation_id, col(m.SolveJob.variant_id).is_(None),
        col(m.SolveJob.status).in_(ACTIVE)).order_by(col(m.SolveJob.id).desc())).first()


def get_job(session: Session, operation_id: int, job_id: int) -> m.SolveJob:
    job = session.get(m.SolveJob, job_id)
    if job is None or job.operation_id != operation_id:
        raise not_found("solve job", job_id)
    return job


def job_progress(job: m.SolveJob, plan_number: int | None) -> dict[str, Any]:
    """What the progress bar shows, as the JSON the page's script polls (no personal data)."""
    elapsed = job.elapsed or 0.0
    if job.status == "running" and job.started_at is not None:
        started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
        elapsed = max(elapsed, (datetime.now(UTC) - started).total_seconds())
    share = 1.0 if job.status not in ACTIVE else min(0.99, elapsed / job.time_limit) if job.time_limit else 0.0
    return {
        "id": job.id, "status": job.status, "stage": job.stage, "message": job.message,
        "objective": job.objective, "bound": job.bound,
        "gap": None if job.gap is None else round(job.gap, 4), "elapsed": round(elapsed, 1),
        "time_limit": job.time_limit, "share": round(share, 3), "done": job.status not in ACTIVE,
        "stop_requested": job.stop_requested, "plan_number": plan_number, "error": job.error,
    }


# -------------------------------------------------------------------------------------- changes in words


@dataclass
class ChangeLine:
    case_id: str
    name: str
    kind: str
    before: str | None
    after: str | None
    reason: str
    reason_code: str = ""


def change_lines(session: Session, operation_id: int, comparison: dict[str, Any]) -> list[ChangeLine]:
    """The API's per-person comparison (`api.routers.plans.compare_plans`) with names, one line per change."""
    ids = [c["case_id"] for c in comparison["changes"]]
    names: dict[str, str] = {}
    for chunk in range(0, len(ids), 500):
        for case_id, given, family in session.execute(select(m.Person.case_id, m.Person.given_name,
                                                             m.Person.family_name).where(
                m.Person.operation_id == operation_id, col(m.Person.case_id).in_(ids[chunk:chunk + 500]))).all():
            names[case_id] = f"{given} {family}".strip()
    out = []
    for c in comparison["changes"]:
        for d in c["details"]:
            code, reason = _reason(d.get("reason") or "")
            out.append(ChangeLine(c["case_id"], names.get(c["case_id"], ""), d["kind"], _moment(d.get("before")),
                                  _moment(d.get("after")), reason, code))
    order = {"added": 0, "dropped": 1, "moved_flight": 2, "moved_seat": 3, "retest": 4}
    out.sort(key=lambda x: (order.get(x.kind, 9), x.case_id))
    return out


def _reason(text: str) -> tuple[str, str]:
    """"gate.isolation: in isolation ..." -> ("gate.isolation", "in isolation ..."): the code is shown in words."""
    code, sep, rest = text.partition(": ")
    if sep and "." in code and " " not in code:
        return code, rest
    return "", text


def _moment(value: str | None) -> str | None:
    """Sample starts are ISO moments ("2022-03-19T16:00:00+03:00"): shown as "2022-03-19 16:00"."""
    if value and len(value) >= 16 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return value
