"""Plan versions: list, read, compare, publish (locks them), explanations per person and per rule."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, update
from sqlalchemy.orm import defer
from sqlmodel import col, func, select

from api import models as m
from api.audit import audit
from api.deps import Coordinator, SessionDep, SettingsDep, Viewer
from api.lookups import get_operation
from api.pagination import Page, Paging, paging
from api.params import Id, QueryId
from api.problems import ApiProblem, not_found
from api.stored_reasons import grouped, in_words
from api.versions import check_version, conditional_update, expected_version, set_etag
from planner.rules.boarding import Boarder, boarding_warnings

router = APIRouter(tags=["plans"])


class PlanRead(BaseModel):
    id: int
    operation_id: int
    number: int
    state: str
    solver_status: str
    scenario_sha256: str
    people: int
    assigned: int
    unassigned: int
    reason_counts: dict[str, int]
    stale: bool
    job_id: int | None
    previous_plan_id: int | None
    variant_id: int | None = Field(description="set on what-if plans: solved with this variant applied")
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    version: int


def get_plan(session: SessionDep, operation_id: int, plan_id: int) -> m.Plan:
    """The plan row: counts first, its per-flight summary on first use (tens of kB of JSON) and its document
    through `m.plan_json(session, plan.id)`."""
    plan = session.get(m.Plan, plan_id, options=[defer(m.Plan.summary), defer(m.Plan.variant)])  # type: ignore[arg-type]
    if plan is None or plan.operation_id != operation_id:
        get_operation(session, operation_id)
        raise not_found("plan", plan_id)
    return plan


@router.get("/operations/{operation_id}/plans", response_model=Page[PlanRead])
def list_plans(operation_id: Id, _: Viewer, session: SessionDep, page: Annotated[Paging, Depends(paging)],
               state: str | None = None, variant_id: QueryId = None) -> Any:
    get_operation(session, operation_id)
    stmt = select(*m.table_of(m.Plan).c).where(m.Plan.operation_id == operation_id)
    if state:
        stmt = stmt.where(m.Plan.state == state)
    if variant_id is not None:
        stmt = stmt.where(m.Plan.variant_id == variant_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.execute(stmt.order_by(col(m.Plan.number).desc()).offset(page.offset).limit(page.limit))
    return {"items": [dict(r) for r in rows.mappings()], "total": total, "limit": page.limit,
            "offset": page.offset}


@router.get("/operations/{operation_id}/plans/{plan_id}", response_model=PlanRead)
def read_plan(operation_id: Id, plan_id: Id, _: Viewer, session: SessionDep, response: Response) -> Any:
    plan = get_plan(session, operation_id, plan_id)
    set_etag(response, plan.version)
    return plan


class BoardingWarning(BaseModel):
    case_id: str
    flight_id: str
    issue: str


class PublishResult(BaseModel):
    plan: PlanRead
    boarding_warnings: list[BoardingWarning]


@router.post("/operations/{operation_id}/plans/{plan_id}/publish", response_model=PublishResult)
def publish_plan(operation_id: Id, plan_id: Id, request: Request, principal: Coordinator, session: SessionDep,
                 response: Response, settings: SettingsDep) -> Any:
    """Lock a draft. It is validated against the current caseload first; boarding conditions are reported."""
    from api.scenario_store import build_scenario
    from api.worker import load
    from planner.model.plan import Plan
    from planner.whatif.replan import lock_flights

    plan = get_plan(session, operation_id, plan_id)
    expected = expected_version(request, None)
    check_version(plan.version, expected)
    if plan.state == "published":
        raise ApiProblem(409, f"plan {plan.number} is already published", kind="already-published")
    if plan.variant_id is not None:
        raise ApiProblem(409, f"plan {plan.number} is a what-if plan (solved with a variant); make the variant's "
                      "changes to the operation and solve it to get a plan that can be published",
                      kind="variant-plan")
    scenario = build_scenario(session, operation_id)
    body = Plan.model_validate_json(m.plan_json(session, plan_id))
    try:
        violations = list(load(settings.validator)(scenario, body))
    except Exception as exc:
        raise ApiProblem(409, f"the plan no longer matches the caseload ({type(exc).__name__}); solve again",
                      kind="plan-outdated") from None
    if violations:
        raise ApiProblem(409, f"the plan breaks {len(violations)} hard rule(s) against the current caseload; "
                      "solve again", kind="plan-violations",
                      violations=[v.model_dump() for v in violations][:200])
    # Publishing makes the plan a record, and its flights locked (docs/rules.md#re-plan-stability): the body says so,
    # so the plan
    # JSON export carries `locked: true` and a re-plan from it (service or `charterplan replan`) adds nobody to
    # a published flight unless it is unlocked on purpose.
    conditional_update(session, m.Plan, plan_id, expected,
                       {"state": "published", "published_at": m.utcnow(), "published_by": principal.username,
                        "stale": False})
    session.execute(update(m.PlanBody).where(col(m.PlanBody.plan_id) == plan_id)
                    .values(body=lock_flights(body).to_json()))
    warnings = _boarding_warnings(session, operation_id, plan_id)
    audit(session, principal, "publish", "plan", plan_id, operation_id=operation_id, number=plan.number,
          boarding_warnings=len(warnings))
    session.commit()
    session.refresh(plan)
    set_etag(response, plan.version)
    return {"plan": plan, "boarding_warnings": warnings}


def _boarding_warnings(session: SessionDep, operation_id: Id, plan_id: Id) -> list[dict[str, str]]:
    """The boarding conditions (planner.rules.boarding) of every passenger the plan puts on a flight."""
    rows = session.execute(
        select(m.Assignment.case_id, m.Assignment.flight_id, m.Person.fitness, m.Person.last_test_result)
        .join(m.Person, (m.Person.case_id == m.Assignment.case_id) & (m.Person.operation_id == operation_id))
        .where(m.Assignment.plan_id == plan_id, col(m.Assignment.flight_id).is_not(None))
        .order_by(m.Assignment.flight_id, m.Assignment.case_id)).all()
    return boarding_warnings(Boarder(*row) for row in rows)


@router.delete("/operations/{operation_id}/plans/{plan_id}", status_code=204)
def delete_plan(operation_id: Id, plan_id: Id, request: Request, principal: Coordinator,
                session: SessionDep) -> Response:
    """Drafts can be deleted; a published plan is a record and never changes."""
    plan = get_plan(session, operation_id, plan_id)
    check_version(plan.version, expected_version(request, None))
    if plan.state == "published":
        raise ApiProblem(409, "a published plan cannot be deleted", kind="published-is-immutable")
    for table in (m.Assignment, m.PlanBody):
        session.execute(delete(table).where(col(table.plan_id) == plan_id))
    session.delete(plan)
    audit(session, principal, "delete", "plan", plan_id, operation_id=operation_id)
    session.commit()
    return Response(status_code=204)


class Explanation(BaseModel):
    case_id: str
    assigned: bool
    flight_id: str | None
    seat: str | None
    lap_of: str | None
    provisional: bool
    test_site: str | None
    test_start: str | None
    test_end: str | None
    reasons: list[dict[str, Any]] = Field(description="each reason once: code, message and flights (a list of "
                                              "flight ids, \"all\" for every flight to the person's destination, "
                                              "or null when it concerns no particular flight)")
    summary: str


@router.get("/operations/{operation_id}/plans/{plan_id}/people/{case_id}", response_model=Explanation)
def explain_person(operation_id: Id, plan_id: Id, case_id: str, _: Viewer, session: SessionDep) -> Any:
    """Why is this person (not) on a flight? Every reason that applies, once, with the flights it concerns."""
    get_plan(session, operation_id, plan_id)
    row = session.exec(select(m.Assignment).where(m.Assignment.plan_id == plan_id,
                                                  m.Assignment.case_id == case_id)).first()
    if row is None:
        raise not_found("person in this plan", case_id)
    reasons = grouped(row.reasons)  # rows stored before reasons were grouped are grouped here
    if row.flight_id:
        where = f"seat {row.seat}" if row.seat else (f"on the lap of {row.lap_of}" if row.lap_of else "no seat yet")
        summary = f"{case_id} flies on {row.flight_id} ({where})" + (" provisionally" if row.provisional else "")
    else:
        destination = session.exec(select(m.Person.destination).where(m.Person.operation_id == operation_id,
                                                                      m.Person.case_id == case_id)).first()
        summary = f"{case_id} is not on a flight: " + (
            "; ".join(in_words(r, destination) for r in reasons) or "no reason recorded")
    return {**row.model_dump(exclude={"id", "plan_id"}), "reasons": reasons, "assigned": row.flight_id is not None,
            "summary": summary}


class ReasonSummary(BaseModel):
    people: int
    assigned: int
    unassigned: int
    by_code: dict[str, int]
    by_flight: dict[str, dict[str, int]]
    passengers_by_flight: dict[str, int]


@router.get("/operations/{operation_id}/plans/{plan_id}/reasons", response_model=ReasonSummary)
def reason_summary(operation_id: Id, plan_id: Id, _: Viewer, session: SessionDep) -> Any:
    """Counts of people per reason code (each person once per code), overall and per flight."""
    plan = get_plan(session, operation_id, plan_id)
    return {"people": plan.people, "assigned": plan.assigned, "unassigned": plan.unassigned,
            "by_code": plan.reason_counts, "by_flight": plan.summary.get("by_flight", {}),
            "passengers_by_flight": plan.summary.get("passengers_by_flight", {})}


class PersonChange(BaseModel):
    kind: str = Field(description="added | dropped | moved_flight | moved_seat | retest")
    before: str | None = Field(description="flight, seat or sample start before (by kind)")
    after: str | None
    reason: str


class Change(BaseModel):
    case_id: str
    before_flight: str | None
    before_seat: str | None
    after_flight: str | None
    after_seat: str | None
    details: list[PersonChange] = Field(description="every change of this person, each with its reason")


class Comparison(BaseModel):
    base: int
    other: int
    base_number: int = Field(description="the base plan's number in its operation")
    other_number: int = Field(description="the other plan's number in its operation")
    added: int
    removed: int
    moved: int
    seat_changed: int
    retested: int = Field(description="people to be re-tested: their sample is no longer valid (new slot booked)")
    unchanged: int = Field(description="people whose flight and seat stay the same (they may be re-tested)")
    changes: list[Change]


_TALLY = {"added": "added", "dropped": "removed", "moved_flight": "moved", "moved_seat": "seat_changed",
          "retest": "retested"}


@router.get("/operations/{operation_id}/plans/{plan_id}/compare/{other_id}", response_model=Comparison)
def compare_plans(operation_id: Id, plan_id: Id, other_id: Id, _: Viewer, session: SessionDep) -> Any:
    """What changes from plan `plan_id` to `other_id`, per person and with the reason: added to a flight,
    dropped from one, moved to another flight, moved seat, to be re-tested (`planner.whatif.replan.diff_plans`)."""
    from planner.model.plan import Plan
    from planner.whatif.replan import diff_plans

    base_row = get_plan(session, operation_id, plan_id)  # both belong to the operation (404 otherwise)
    other_row = get_plan(session, operation_id, other_id)
    old = Plan.model_validate_json(m.plan_json(session, plan_id))
    new = Plan.model_validate_json(m.plan_json(session, other_id))

    def where(plan: Plan) -> dict[str, tuple[str | None, str | None, str | None]]:
        out: dict[str, tuple[str | None, str | None, str | None]] = {
            u.person_id: (None, None, None) for u in plan.unassigned}
        out.update({pa.person_id: (fp.flight_id, pa.seat, pa.lap_of) for fp in plan.flights for pa in fp.passengers})
        return out

    before, after = where(old), where(new)
    details: dict[str, list[dict[str, Any]]] = {}
    tally: Counter[str] = Counter()
    for c in diff_plans(old, new):
        details.setdefault(c.person_id, []).append(
            {"kind": c.kind, "before": c.before, "after": c.after, "reason": c.reason})
        tally[_TALLY[c.kind]] += 1
    changes = []
    for case_id in sorted(set(before) | set(after)):
        bf, bs, bl = before.get(case_id, (None, None, None))
        af, as_, al = after.get(case_id, (None, None, None))
        if (bf, bs, bl) == (af, as_, al):
            tally["unchanged"] += 1
        elif bf == af and not any(d["kind"] == "moved_seat" for d in details.get(case_id, [])):
            # a seat given or taken away while seating had not run on one side: still a seat change
            tally["seat_changed"] += 1
            details.setdefault(case_id, []).append({"kind": "moved_seat", "before": bs, "after": as_,
                                                    "reason": "seated in one plan only"})
        if case_id in details:
            changes.append({"case_id": case_id, "before_flight": bf, "before_seat": bs, "after_flight": af,
                            "after_seat": as_, "details": details[case_id]})
    return {"base": plan_id, "other": other_id, "base_number": base_row.number, "other_number": other_row.number,
            **{k: tally[k] for k in
            ("added", "removed", "moved", "seat_changed", "retested", "unchanged")}, "changes": changes}
