"""Plans: versions and solving (with live progress and stop), a plan, publishing, and a flight's seat map.

Plans are named by their number within the operation ("plan 3", `/plans/3`). Writes call the API's route
functions (`start_solve`, `stop_job`, `publish_plan`, `compare_plans`), so admission, audit and staleness are
the API's own. See docs/web.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select

from api import models as m
from api.audit import audit_commit
from api.auth import Principal
from api.deps import JobsDep, SessionDep, SettingsDep
from api.lookups import get_operation
from api.params import Id
from api.problems import ApiProblem
from api.web import data, i18n, labels, planning
from api.web.flight_view import flight_body, flight_view
from api.web.session import form, page
from api.web.templating import pages, protect, render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page("viewer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
CoordinatorForm = Annotated[Principal, Depends(form("coordinator"))]
#: Time limits the solve form offers (seconds); the service caps them at its maximum.
TIME_LIMITS = (3, 10, 30, 60, 120, 300, 600)
MAX_CHANGE_LINES = 500


def with_if_match(request: Request, version: int) -> Request:
    """The request as the API's route sees it, carrying the version the form was made from in `If-Match`
    (the API refuses a publish without it, and reports a change made meanwhile as a conflict)."""
    headers = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"if-match"]
    headers.append((b"if-match", f'"{version}"'.encode()))
    return Request({**request.scope, "headers": headers})


def translate_now(request: Request) -> str:
    """Activate the page's language before building text in Python (seat titles); returns its code."""
    catalogues = pages(request).catalogues
    language = catalogues.choose(request)
    i18n.activate(catalogues.get(language.code))
    return language.code


def problem_words(exc: ApiProblem) -> str:
    return str(exc.detail)


# ------------------------------------------------------------------------------------- plans and solving


def _plans_context(session: Any, operation_id: int) -> dict[str, Any]:
    numbers = planning.numbers_by_id(session, operation_id)
    variants = {v.id: v.name for v in session.exec(
        select(m.Variant).where(m.Variant.operation_id == operation_id)).all()}
    return {"plans": planning.plans(session, operation_id), "jobs": planning.jobs(session, operation_id),
            "numbers": numbers, "variant_names": variants, "current": data.current_plan(session, operation_id),
            "active": planning.active_job(session, operation_id), "time_limits": TIME_LIMITS,
            "job_status": labels.JOB_STATUS, "solver_status": labels.SOLVER_STATUS, "section": "plans"}


@router.get("/operations/{operation_id}/plans", name="web.plans")
def plans_page(request: Request, operation_id: Id, _: Viewer, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    return render(request, "plans/list.html", {"op": op, **_plans_context(session, operation_id)})


def _limit(value: Any, settings: Any) -> float | None:
    try:
        limit = float(str(value))
    except ValueError:
        return None
    return limit if 0 < limit <= settings.max_time_limit else None


@router.post("/operations/{operation_id}/solve", name="web.solve")
def solve(request: Request, operation_id: Id, principal: OfficerForm, session: SessionDep, settings: SettingsDep,
          manager: JobsDep) -> Response:
    """Start a solve of the operation (the API's `start_solve`) and show its progress."""
    from api.routers.jobs import SolveRequest, start_solve

    op = get_operation(session, operation_id)
    formdata = request.state.form
    limit = _limit(formdata.get("time_limit"), settings)
    if limit is None:
        return render(request, "plans/list.html", {"op": op, **_plans_context(session, operation_id),
                                                   "solve_error": i18n.gettext_("Choose a time limit.")},
                      status_code=422)
    try:
        job = start_solve(operation_id, SolveRequest(time_limit=limit), principal, session, Response(), settings,
                          manager)
    except ApiProblem as exc:
        return render(request, "plans/list.html", {"op": op, **_plans_context(session, operation_id),
                                                   "solve_error": problem_words(exc)}, status_code=exc.status)
    return RedirectResponse(f"/operations/{operation_id}/jobs/{job.id}", status_code=303)


def _job_urls(operation_id: int, job: m.SolveJob, plan_number: int | None) -> str | None:
    if plan_number is None:
        return None
    if job.variant_id is not None:
        return f"/operations/{operation_id}/what-if"
    return f"/operations/{operation_id}/plans/{plan_number}"


def _job_state(session: Any, operation_id: int, job: m.SolveJob) -> dict[str, Any]:
    number = planning.numbers_by_id(session, operation_id).get(job.plan_id) if job.plan_id else None
    state = planning.job_progress(job, number)
    state["plan_url"] = _job_urls(operation_id, job, number)
    state["status_words"] = i18n.gettext_(labels.JOB_STATUS.get(job.status, job.status))
    state["stage_words"] = i18n.gettext_(labels.STAGES.get(job.stage or "", job.stage or "")) if job.stage else ""
    return state


@router.get("/operations/{operation_id}/jobs/{job_id}", name="web.job")
def job_page(request: Request, operation_id: Id, job_id: Id, _: Viewer, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    job = planning.get_job(session, operation_id, job_id)
    translate_now(request)
    previous = planning.numbers_by_id(session, operation_id).get(job.previous_plan_id) \
        if job.previous_plan_id else None
    variant = session.get(m.Variant, job.variant_id) if job.variant_id else None
    return render(request, "plans/job.html", {"op": op, "job": job, "state": _job_state(session, operation_id, job),
                                              "previous_number": previous, "variant": variant,
                                              "section": "whatif" if job.variant_id else "plans"})


@router.get("/operations/{operation_id}/jobs/{job_id}/progress", name="web.job_progress")
def job_progress(request: Request, operation_id: Id, job_id: Id, _: Viewer, session: SessionDep) -> Response:
    """The progress the job page's script polls about once a second (figures only, no personal data)."""
    get_operation(session, operation_id)
    job = planning.get_job(session, operation_id, job_id)
    translate_now(request)
    response = JSONResponse(_job_state(session, operation_id, job))
    protect(response)
    return response


@router.post("/operations/{operation_id}/jobs/{job_id}/stop", name="web.job_stop")
def job_stop(operation_id: Id, job_id: Id, principal: OfficerForm, session: SessionDep,
             manager: JobsDep) -> Response:
    """Stop a solve (the API's `stop_job`): a running one stores its best complete plan."""
    from api.routers.jobs import stop_job

    stop_job(operation_id, job_id, principal, session, manager)
    return RedirectResponse(f"/operations/{operation_id}/jobs/{job_id}", status_code=303)


# ----------------------------------------------------------------------------------------------- a plan


def _comparison(session: Any, operation_id: int, base: m.Plan, other: m.Plan, principal: Principal) -> Any:
    """The API's per-person comparison, kept per pair of plan versions (both documents are fixed)."""
    from api.export_cache import cache_for
    from api.routers.plans import compare_plans

    cache = cache_for(session.get_bind())
    key = ("web.compare", base.id, base.version, other.id, other.version)
    found = cache.get(key)
    if found is None:
        found = compare_plans(operation_id, base.id, other.id, principal, session)
        cache.put(key, found)
    return found


def _reference(session: Any, operation_id: int, plan: m.Plan) -> m.Plan | None:
    """The plan this one is compared with: the plan it re-planned from, else the newest published plan
    before it (what-if plans are compared on the what-if page)."""
    if plan.variant_id is not None:
        return None
    if plan.previous_plan_id:
        found: m.Plan | None = session.get(m.Plan, plan.previous_plan_id)
        if found is not None and found.operation_id == operation_id:
            return found
    newest: m.Plan | None = session.exec(select(m.Plan).where(
        m.Plan.operation_id == operation_id, m.Plan.state == "published", m.Plan.number < plan.number,
        col(m.Plan.variant_id).is_(None)).order_by(col(m.Plan.number).desc())).first()
    return newest


def _plan_context(request: Request, session: Any, operation_id: int, plan: m.Plan,
                  principal: Principal) -> dict[str, Any]:
    reference = _reference(session, operation_id, plan)
    changes, tally = [], None
    if reference is not None:
        comparison = _comparison(session, operation_id, reference, plan, principal)
        tally = comparison
        changes = planning.change_lines(session, operation_id, comparison)
        if changes:
            audit_commit(session, principal, "read", "plan_changes", plan.id, operation_id=operation_id,
                         count=len(changes), base=reference.number, number=plan.number, via="web")
    variant = session.get(m.Variant, plan.variant_id) if plan.variant_id else None
    return {
        "plan": plan, "flights": data.flights(session, operation_id, plan), "reference": reference,
        "changes": changes[:MAX_CHANGE_LINES], "change_count": len(changes), "tally": tally, "variant": variant,
        "reason_counts": sorted(plan.reason_counts.items(), key=lambda kv: -kv[1]),
        "solver_status": labels.SOLVER_STATUS, "change_kinds": labels.CHANGE_KINDS, "section": "plans",
        "current": data.current_plan(session, operation_id),
    }


@router.get("/operations/{operation_id}/plans/{number}", name="web.plan")
def plan_page(request: Request, operation_id: Id, number: Id, principal: Viewer, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    return render(request, "plans/plan.html", {"op": op, **_plan_context(request, session, operation_id, plan,
                                                                         principal)})


def _warning_words(issue: str) -> str:
    if issue.startswith("fitness is "):
        value = issue.removeprefix("fitness is ")
        return i18n.gettext_("Fitness to travel is “%(value)s”") % {
            "value": i18n.gettext_(labels.choice_label("fitness", value))}
    if "positive" in issue:
        return i18n.gettext_("Last test result is positive")
    return issue


@router.post("/operations/{operation_id}/plans/{number}/publish", name="web.publish")
def publish(request: Request, operation_id: Id, number: Id, principal: CoordinatorForm,
            session: SessionDep, settings: SettingsDep) -> Response:
    """Publish a draft (the API's `publish_plan`, which checks it against the caseload and locks its flights),
    then show the boarding warnings it reports, with names."""
    from api.routers.plans import publish_plan

    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    raw_version = str(request.state.form.get("version") or "")
    version = int(raw_version) if raw_version.isdigit() else plan.version
    translate_now(request)
    try:
        result = publish_plan(operation_id, plan.id or 0, with_if_match(request, version), principal, session,
                              Response(), settings)
    except (ApiProblem, ValidationError) as exc:
        session.rollback()
        plan = planning.plan_by_number(session, operation_id, number)
        detail = problem_words(exc) if isinstance(exc, ApiProblem) else str(exc)
        violations = exc.extra.get("violations", []) if isinstance(exc, ApiProblem) else []
        return render(request, "plans/plan.html", {
            "op": op, **_plan_context(request, session, operation_id, plan, principal),
            "publish_error": detail, "violations": violations[:50]},
            status_code=exc.status if isinstance(exc, ApiProblem) else 422)
    warnings = result["boarding_warnings"]
    names = {}
    if warnings:
        ids = sorted({w["case_id"] for w in warnings})
        names = {c: f"{g} {f}".strip() for c, g, f in session.execute(
            select(m.Person.case_id, m.Person.given_name, m.Person.family_name).where(
                m.Person.operation_id == operation_id, col(m.Person.case_id).in_(ids))).all()}
    plan = planning.plan_by_number(session, operation_id, number)
    return render(request, "plans/plan.html", {
        "op": op, **_plan_context(request, session, operation_id, plan, principal), "published_now": True,
        "warnings": [{**w, "name": names.get(w["case_id"], ""), "words": _warning_words(w["issue"])}
                     for w in warnings]})


# --------------------------------------------------------------------------------------------- a flight


@router.get("/operations/{operation_id}/plans/{number}/flights/{flight_id}", name="web.flight")
def flight_page(request: Request, operation_id: Id, number: Id, flight_id: str, principal: Viewer,
                session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    plan = planning.plan_by_number(session, operation_id, number)
    view = flight_view(session, operation_id, plan, flight_id, translate_now(request))
    fill = next((f for f in data.flights(session, operation_id, plan) if f.code == flight_id), None)
    body = flight_body(pages(request).env, view, op, plan)
    response = render(request, "plans/flight.html", {"op": op, "plan": plan, "view": view, "fill": fill,
                                                     "body": body, "section": "plans", "flight_id": flight_id})
    if view.passengers:  # names and needs shown: audited as a read of the flight's passengers
        audit_commit(session, principal, "read", "flight_passengers", flight_id, operation_id=operation_id,
                     plan=plan.number, count=view.passengers, via="web")
    return response
