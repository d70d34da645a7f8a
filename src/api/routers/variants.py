"""What-if: variants of an operation, runs of several variants in parallel, and their comparison.

A variant is the document of docs/what-if.md with the operation as its base. It is checked twice when it is
saved: as a document (`parse_variant`) and against the operation as it is now (`apply_variant`), so that an
unknown flight id is a 422 at once rather than a failed job later. Each run is an ordinary solve job with the
variant applied in the worker; its plan is a draft linked to the variant, which cannot be published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from api import models as m
from api.audit import audit
from api.columns import check_lengths
from api.deps import Coordinator, JobsDep, Officer, SessionDep, SettingsDep, Viewer
from api.exports import neutralise, to_csv
from api.lookups import get_operation
from api.pagination import Page, Paging, paging
from api.params import Id, Version
from api.problems import ApiProblem, not_found
from api.routers.jobs import JobRead, admission
from api.routers.plans import get_plan
from api.variant_documents import BASE, check_variant, parse_document
from api.versions import check_version, conditional_update, expected_version, set_etag

router = APIRouter(tags=["what-if"])
MAX_RUNS = 20
MAX_COMPARED = 20

Document = Annotated[
    str | dict[str, Any],
    Field(description="the variant as YAML or JSON text, or as a JSON object (format: charterplan.variant/1); "
                      "`base` may be left out: it is the operation"),
]


class VariantCreate(BaseModel):
    document: Document


class VariantUpdate(BaseModel):
    document: Document | None = None
    version: Version = None


class VariantRead(BaseModel):
    id: int
    operation_id: int
    name: str
    description: str
    document: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int


def get_variant(session: Session, operation_id: int, variant_id: int) -> m.Variant:
    row = session.get(m.Variant, variant_id)
    if row is None or row.operation_id != operation_id:
        get_operation(session, operation_id)
        raise not_found("variant", variant_id)
    return row


def _duplicate(session: Session, operation_id: int, name: str, other_than: int | None = None) -> None:
    stmt = select(m.Variant.id).where(m.Variant.operation_id == operation_id, m.Variant.name == name)
    found = session.exec(stmt).first()
    if found is not None and found != other_than:
        raise ApiProblem(409, f"a variant named {name!r} already exists in this operation", kind="duplicate",
                      variant_id=found)


@router.get("/operations/{operation_id}/variants", response_model=Page[VariantRead])
def list_variants(operation_id: Id, _: Viewer, session: SessionDep,
                  page: Annotated[Paging, Depends(paging)]) -> Any:
    get_operation(session, operation_id)
    stmt = select(m.Variant).where(m.Variant.operation_id == operation_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = session.exec(stmt.order_by(m.Variant.name).offset(page.offset).limit(page.limit)).all()
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/operations/{operation_id}/variants", status_code=201, response_model=VariantRead)
def create_variant(operation_id: Id, body: VariantCreate, principal: Coordinator, session: SessionDep,
                   response: Response) -> Any:
    """Store a variant after checking it against the operation; the name is unique in the operation."""
    get_operation(session, operation_id)
    text, data = parse_document(body.document)
    variant = check_variant(session, operation_id, data)
    check_lengths(m.Variant, {"name": variant.name}, fields={"name": "document.name"})
    _duplicate(session, operation_id, variant.name)
    row = m.Variant(operation_id=operation_id, name=variant.name, description=variant.description,
                    document=text, data=data, created_by=principal.username)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the same name saved by someone else a moment ago
        session.rollback()
        raise ApiProblem(409, f"a variant named {variant.name!r} already exists in this operation",
                      kind="duplicate") from None
    audit(session, principal, "create", "variant", row.id, operation_id=operation_id)
    session.commit()
    session.refresh(row)
    set_etag(response, row.version)
    response.headers["Location"] = f"/api/v1/operations/{operation_id}/variants/{row.id}"
    return row


@router.get("/operations/{operation_id}/variants/{variant_id}", response_model=VariantRead)
def read_variant(operation_id: Id, variant_id: Id, _: Viewer, session: SessionDep, response: Response) -> Any:
    row = get_variant(session, operation_id, variant_id)
    set_etag(response, row.version)
    return row


@router.patch("/operations/{operation_id}/variants/{variant_id}", response_model=VariantRead)
def update_variant(operation_id: Id, variant_id: Id, body: VariantUpdate, request: Request,
                   principal: Coordinator, session: SessionDep, response: Response) -> Any:
    """Replace the document (If-Match). Plans already solved keep the document they were solved with."""
    row = get_variant(session, operation_id, variant_id)
    expected = expected_version(request, body.version)
    check_version(row.version, expected)
    if body.document is not None:
        text, data = parse_document(body.document)
        variant = check_variant(session, operation_id, data)
        check_lengths(m.Variant, {"name": variant.name}, fields={"name": "document.name"})
        _duplicate(session, operation_id, variant.name, other_than=variant_id)
        conditional_update(session, m.Variant, variant_id, expected,
                           {"name": variant.name, "description": variant.description, "document": text,
                            "data": data, "updated_at": m.utcnow()})
        audit(session, principal, "update", "variant", variant_id, operation_id=operation_id)
        session.commit()
        session.refresh(row)
    set_etag(response, row.version)
    return row


@router.delete("/operations/{operation_id}/variants/{variant_id}", status_code=204)
def delete_variant(operation_id: Id, variant_id: Id, request: Request, principal: Coordinator,
                   session: SessionDep) -> Response:
    """Delete a variant; its plans stay (they carry the document they were solved with)."""
    row = get_variant(session, operation_id, variant_id)
    check_version(row.version, expected_version(request, None))
    active = session.exec(select(m.SolveJob.id).where(m.SolveJob.variant_id == variant_id,
                                                      col(m.SolveJob.status).in_(("queued", "running")))).first()
    if active is not None:
        raise ApiProblem(409, f"solve job {active} of this variant is still queued or running; stop it first",
                      kind="job-running", job_id=active)
    session.delete(row)
    audit(session, principal, "delete", "variant", variant_id, operation_id=operation_id)
    session.commit()
    return Response(status_code=204)


# ---------------------------------------------------------------- runs


class VariantRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(
        default_factory=list, max_length=MAX_RUNS, description="one solve job per variant")
    base: bool = Field(default=False, description="also run the operation's ordinary solve, as the reference")
    time_limit: float | None = Field(default=None, gt=0, le=86_400,
                                     description="allocation seconds of each job; capped by the service")
    seat: bool = Field(default=True, description="false: allocation and test slots only (faster, same KPIs "
                                                 "except seat use)")


class VariantRunRead(BaseModel):
    jobs: list[JobRead]


@router.post("/operations/{operation_id}/variant-runs", status_code=202, response_model=VariantRunRead)
def run_variants(operation_id: Id, body: VariantRunRequest, principal: Officer, session: SessionDep,
                 settings: SettingsDep, manager: JobsDep) -> Any:
    """Queue one solve job per variant (and the base if asked); they run in parallel up to the worker count.

    All or nothing: 429 if the queue cannot take every job, 409 if one of them is already queued or running.
    """
    get_operation(session, operation_id)
    ids = list(dict.fromkeys(body.variant_ids))
    if not ids and not body.base:
        raise ApiProblem(422, "name at least one variant, or ask for the base run", kind="validation",
                      errors=[{"field": "body.variant_ids", "message": "empty, and base is false"}])
    for variant_id in ids:
        get_variant(session, operation_id, variant_id)
    with admission(session):  # checks and inserts as one step, like a single solve (jobs.admission)
        active = session.exec(select(m.SolveJob.id, m.SolveJob.variant_id).where(
            m.SolveJob.operation_id == operation_id, col(m.SolveJob.status).in_(("queued", "running")))).all()
        for job_id, variant_id in active:
            if variant_id in ids or (variant_id is None and body.base):
                what = f"variant {variant_id}" if variant_id is not None else "the base"
                raise ApiProblem(409, f"solve job {job_id} of {what} is still queued or running", kind="job-running",
                              job_id=job_id)
        wanted = ([None] if body.base else []) + ids
        if manager.capacity_left(session) < len(wanted):
            raise ApiProblem(429, f"the solve queue cannot take {len(wanted)} more job(s) now; try again when jobs "
                          "have finished", kind="queue-full", headers={"Retry-After": "30"})
        limit = min(body.time_limit or settings.default_time_limit, settings.max_time_limit)
        jobs = []
        for variant_id in wanted:
            job = m.SolveJob(operation_id=operation_id, time_limit=limit, variant_id=variant_id, seat=body.seat,
                             runner=manager.runner, created_by=principal.username)
            session.add(job)
            session.flush()
            audit(session, principal, "solve", "solve_job", job.id, operation_id=operation_id, time_limit=limit,
                  variant_id=variant_id, seat=body.seat)
            jobs.append(job)
        session.commit()
    for job in jobs:
        session.refresh(job)
        manager.submit(job.id)
    return {"jobs": jobs}


# ---------------------------------------------------------------- comparison


class ComparisonRow(BaseModel):
    key: str
    section: str
    label: str
    kind: str
    values: list[int | float | str | None]


class ComparedPlan(BaseModel):
    plan_id: int
    number: int
    column: str
    variant_id: int | None
    variant_name: str | None
    solver_status: str


class ComparisonRead(BaseModel):
    columns: list[str]
    plans: list[ComparedPlan]
    rows: list[ComparisonRow]
    differences: list[str] = Field(description="each column against the first, in words (the first: \"reference\")")
    warnings: list[str]


def _plan_ids(plans: str) -> list[int]:
    try:
        ids = [int(p) for p in plans.split(",") if p.strip()]
    except ValueError:
        ids = []
    if not ids or len(ids) > MAX_COMPARED or any(not 1 <= i <= 2_147_483_647 for i in ids):
        raise ApiProblem(422, f"plans must be 1 to {MAX_COMPARED} plan ids separated by commas", kind="validation",
                      errors=[{"field": "query.plans", "message": "expected e.g. 12,14,15"}])
    return ids


def _ids_of_numbers(session: Session, operation_id: int, numbers: str) -> list[int]:
    """Plan numbers within the operation turned into plan ids, in the order given (404 "plan N" if missing)."""
    try:
        wanted = [int(p) for p in numbers.split(",") if p.strip()]
    except ValueError:
        wanted = []
    if not wanted or len(wanted) > MAX_COMPARED or any(not 1 <= n <= 2_147_483_647 for n in wanted):
        raise ApiProblem(422, f"numbers must be 1 to {MAX_COMPARED} plan numbers separated by commas",
                      kind="validation", errors=[{"field": "query.numbers", "message": "expected e.g. 1,3,4"}])
    found = dict(session.exec(select(m.Plan.number, m.Plan.id).where(
        m.Plan.operation_id == operation_id, col(m.Plan.number).in_(wanted))).all())
    for n in wanted:
        if n not in found:
            raise ApiProblem(404, f"plan {n} does not exist in this operation", kind="not-found")
    return [found[n] for n in wanted]


def build_comparison(session: Session, operation_id: int, ids: list[int]) -> tuple[Any, list[dict[str, Any]],
                                                                                     list[str]]:
    """compare() over stored plans, each read against its scenario rebuilt from the operation (and variant)."""
    from api.scenario_store import build_scenario
    from planner.io.loading import ScenarioInputError
    from planner.model.plan import Plan
    from planner.pipeline.solve import scenario_digest
    from planner.whatif.compare_rows import compare
    from planner.whatif.variant_files import parse_variant
    from planner.whatif.variants import apply_variant

    rows = [get_plan(session, operation_id, i) for i in ids]
    base = build_scenario(session, operation_id)
    results, described, warnings = [], [], []
    for row in rows:
        scenario = base
        name = f"plan {row.number}"
        snapshot = row.variant or None
        if snapshot is not None:
            name = str(snapshot.get("name") or name)
            try:
                scenario = apply_variant(base, parse_variant({**snapshot["data"], "base": BASE}, name)).scenario
            except ScenarioInputError as exc:
                raise ApiProblem(409, f"the variant of plan {row.number} no longer applies to the operation: "
                              + "; ".join(str(i) for i in exc.issues[:5]), kind="plan-outdated") from None
        plan = Plan.model_validate_json(m.plan_json(session, row.id))
        if plan.scenario.sha256 != scenario_digest(scenario):
            warnings.append(f"plan {row.number} was solved before the operation's data last changed; its "
                            "figures are read against the data as it is now")
        results.append((name, scenario, plan))
        described.append({"plan_id": row.id, "number": row.number, "variant_id": row.variant_id,
                          "variant_name": snapshot.get("name") if snapshot else None,
                          "solver_status": row.solver_status})
    try:
        table = compare(results)
    except (KeyError, ValueError) as exc:
        raise ApiProblem(409, f"the plans cannot be compared against the operation's current data "
                      f"({type(exc).__name__}); solve them again", kind="plan-outdated") from None
    for d, column in zip(described, table.columns, strict=True):
        d["column"] = column
    return table, described, warnings


@router.get("/operations/{operation_id}/comparison", response_model=ComparisonRead,
            responses={200: {"content": {"text/csv": {}}}})
def comparison(operation_id: Id, request: Request, _: Viewer, session: SessionDep,
               plans: Annotated[str | None, Query(max_length=300, description="plan ids, comma-separated; the "
                                                                              "first is the reference")] = None,
               numbers: Annotated[str | None, Query(max_length=300, description="or plan numbers within the "
                                                                                "operation, comma-separated")] = None,
               format: Annotated[Literal["json", "csv"] | None, Query()] = None) -> Any:
    """KPIs of plans side by side (people moved, deferred by reason, seats, tests, lab peak, cleared on),
    and each against the first in words. JSON, or CSV with `format=csv` or `Accept: text/csv`.

    KPIs only, no personal data, so it is not audited as an export.
    """
    get_operation(session, operation_id)
    if (plans is None) == (numbers is None):
        raise ApiProblem(422, "give the plans to compare as ids (plans) or as numbers (numbers), not both",
                      kind="validation", errors=[{"field": "query.plans", "message": "give plans or numbers"}])
    ids = _plan_ids(plans) if plans is not None else _ids_of_numbers(session, operation_id, numbers or "")
    table, described, warnings = build_comparison(session, operation_id, ids)
    data = table.to_json()
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        header = ["key", "section", "label", *(neutralise(c) for c in data["columns"])]
        lines = [[r["key"], r["section"], r["label"], *r["values"]] for r in data["rows"]]
        lines.append(["differences", "Differences", "in words", *data["differences"]])
        return Response(content=to_csv(header, lines), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="comparison.csv"',
                                 "Cache-Control": "no-store"})
    return {**data, "plans": described, "warnings": warnings}
