"""The caseload: people (list, filter, edit, erase), households, and the CSV/XLSX manifest import."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import and_, bindparam, insert, or_, update
from sqlmodel import col, func, select

from api import models as m
from api.audit import audit, audit_commit
from api.auth import Coordinator, Officer, SessionDep, Viewer
from api.common import (
    CodePath,
    Id,
    Page,
    Paging,
    QueryId,
    Version,
    check_lengths,
    conditional_update,
    expected_version,
    get_in_operation,
    get_operation,
    mark_stale,
    paging,
    set_etag,
    too_long,
)
from api.convert import (
    COLUMNS,
    ERASURE_VALUES,
    comparable,
    ensure_households,
    person_values,
    row_to_person_dict,
)
from api.problems import ApiProblem, not_found
from api.uploads import input_problem, limits_of, read_limited
from planner.io.input_limits import InputLimits
from planner.io.loading import InputIssue, ScenarioInputError, check_scenario, parse_people_rows
from planner.io.people_table import read_people_table
from planner.model import scenario as sc

router = APIRouter(tags=["people"])


class PersonRead(BaseModel):
    """A stored person; personal fields are blank (and `erased` true) after erasure."""

    id: int
    case_id: str
    household_id: str
    given_name: str
    family_name: str
    name_native: str
    sex: str
    date_of_birth: date | None
    nationality: str
    destination: str
    location: str
    testing_site: str | None = None
    consent: str
    consent_date: date | None
    consent_note: str
    document_type: str
    document_number: str
    document_expiry: date | None
    exit_cleared: bool
    fitness: str
    mobility: str
    pregnant: bool
    evacuation_capable: bool
    unaccompanied_minor: bool
    best_interests_approved: bool
    reception_contact: str
    vaccinated: bool
    last_positive_test: date | None
    last_test_sample: str | None
    last_test_result: str | None
    registered_on: date | None
    vulnerabilities: list[str]
    notes: str
    erased: bool
    updated_at: datetime
    version: int


PersonUpdate = create_model(  # every field optional; the merged person is validated as a whole
    "PersonUpdate",
    __config__=None,
    **{name: (info.annotation | None, None) for name, info in sc.Person.model_fields.items() if name != "case_id"},
    version=(Version, None),
)
PersonUpdate.model_config["extra"] = "forbid"
PersonUpdate.model_rebuild(force=True)


def to_read(row: m.Person) -> dict[str, Any]:
    data = row.model_dump()
    data.update(row.extra or {})
    data["vulnerabilities"] = [c for c in row.vulnerabilities.split(";") if c]
    return data


def _person(session: SessionDep, operation_id: Id, case_id: str) -> m.Person:
    return get_in_operation(session, m.Person, operation_id, "case_id", case_id, "person")


@router.get("/operations/{operation_id}/people", response_model=Page[PersonRead])
def list_people(
    operation_id: Id, principal: Viewer, session: SessionDep, page: Annotated[Paging, Depends(paging)],
    destination: Annotated[str | None, Query(max_length=3)] = None,
    location: Annotated[str | None, Query(max_length=100)] = None,
    household_id: Annotated[str | None, Query(max_length=64)] = None,
    vulnerability: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    eligible: Annotated[bool | None, Query(description="passes the personal gates at as_of")] = None,
    flight: Annotated[str | None, Query(max_length=64, description="on this flight in the plan (default: "
                                                                    "the newest plan); 'none' = unassigned")] = None,
    plan_id: QueryId = None,
    case_id: Annotated[str | None, Query(max_length=64, description="case_id prefix")] = None,
    include_erased: bool = False,
) -> Any:
    op = get_operation(session, operation_id)
    stmt = select(m.Person).where(m.Person.operation_id == operation_id)
    if not include_erased:
        stmt = stmt.where(m.Person.erased == False)  # noqa: E712
    if destination:
        stmt = stmt.where(m.Person.destination == destination)
    if location:
        stmt = stmt.where(m.Person.location == location)
    if household_id:
        stmt = stmt.where(m.Person.household_id == household_id)
    if case_id:
        stmt = stmt.where(col(m.Person.case_id).startswith(case_id, autoescape=True))
    if vulnerability:
        stmt = stmt.where(col(m.Person.vulnerabilities).contains(f";{vulnerability};", autoescape=True))
    if eligible is not None:
        cond = _eligible(session, op)
        stmt = stmt.where(cond if eligible else ~cond)
    if plan_id is not None and session.exec(select(m.Plan.id).where(
            m.Plan.id == plan_id, m.Plan.operation_id == operation_id)).first() is None:
        raise not_found("plan", plan_id)
    if flight is not None:
        pid = plan_id or session.exec(select(func.max(m.Plan.id)).where(m.Plan.operation_id == operation_id)).one()
        on = select(m.Assignment.case_id).where(m.Assignment.plan_id == (pid or -1))
        on = on.where(m.Assignment.flight_id.is_(None)) if flight == "none" else on.where(  # type: ignore[union-attr]
            m.Assignment.flight_id == flight)
        stmt = stmt.where(col(m.Person.case_id).in_(on))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(m.Person.case_id).offset(page.offset).limit(page.limit)).all()
    items = [to_read(r) for r in rows]
    shown = sum(1 for r in rows if not r.erased)
    if shown:  # personal data left the service: who read how many, with which filters (never the data)
        filters = {k: v for k, v in {"destination": destination, "location": location, "household_id": household_id,
                                     "vulnerability": vulnerability, "eligible": eligible, "flight": flight,
                                     "plan_id": plan_id, "case_id": case_id,
                                     "include_erased": include_erased or None}.items() if v is not None}
        audit_commit(session, principal, "read", "people", None, operation_id=operation_id, count=shown,
                     total=total, limit=page.limit, offset=page.offset, filters=filters)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


def _eligible(session: SessionDep, op: m.Operation) -> Any:
    """The personal gates that do not depend on a flight (consent, document, clearance, fitness, UASC)."""
    protocol = session.exec(select(m.Protocol).where(m.Protocol.operation_id == op.id)).first()
    need_clearance = (protocol.data if protocol else {}).get("require_exit_clearance", True)
    today = datetime.fromisoformat(op.as_of).date()
    P = m.Person
    cond = and_(
        col(P.consent).in_(("explicit", "proxy")),
        P.document_type != "none",
        or_(col(P.document_expiry).is_(None), col(P.document_expiry) >= today),
        P.fitness != "unfit",
        or_(P.unaccompanied_minor == False, and_(P.best_interests_approved == True,  # noqa: E712
                                                 P.reception_contact != "")),
    )
    if need_clearance:
        cond = and_(cond, P.exit_cleared == True)  # noqa: E712
    return cond


@router.post("/operations/{operation_id}/people", status_code=201, response_model=PersonRead)
def create_person(operation_id: Id, body: sc.Person, principal: Officer, session: SessionDep,
                  response: Response) -> Any:
    get_operation(session, operation_id)
    if session.exec(select(m.Person.id).where(m.Person.operation_id == operation_id,
                                              m.Person.case_id == body.case_id)).first() is not None:
        raise ApiProblem(409, f"case_id {body.case_id} already exists in this operation", kind="duplicate")
    values = person_values(body)
    check_lengths(m.Person, values)
    issues = _cross_check(session, operation_id, [body], [0], "body")
    if issues:
        raise _as_validation(issues)
    row = m.Person(operation_id=operation_id, **values)
    session.add(row)
    ensure_households(session, operation_id, {body.household_id})
    mark_stale(session, operation_id)
    audit(session, principal, "create", "person", body.case_id, operation_id=operation_id)
    session.commit()
    session.refresh(row)
    set_etag(response, row.version)
    return to_read(row)


@router.get("/operations/{operation_id}/people/{case_id}", response_model=PersonRead)
def read_person(operation_id: Id, case_id: CodePath, principal: Viewer, session: SessionDep,
                response: Response) -> Any:
    """One person's record, health and protection facts included: audited like list reads (who, which case)."""
    row = _person(session, operation_id, case_id)
    set_etag(response, row.version)
    data = to_read(row)
    if not row.erased:
        audit_commit(session, principal, "read", "person", case_id, operation_id=operation_id, count=1)
    return data


@router.patch("/operations/{operation_id}/people/{case_id}", response_model=PersonRead)
def update_person(operation_id: Id, case_id: str, body: PersonUpdate, request: Request,  # type: ignore[valid-type]
                  principal: Officer, session: SessionDep, response: Response) -> Any:
    row = _person(session, operation_id, case_id)
    if row.erased:
        raise ApiProblem(409, "this person was erased; a tombstone cannot be edited", kind="erased")
    expected = expected_version(request, body.version)  # type: ignore[attr-defined]
    patch = body.model_dump(exclude_unset=True, exclude={"version"})  # type: ignore[attr-defined]
    merged = {**row_to_person_dict(row), **patch}
    try:
        person = sc.Person.model_validate(merged)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    values = {k: v for k, v in person_values(person).items() if k in patch}
    check_lengths(m.Person, values)
    issues = _cross_check(session, operation_id, [person], [0], "body")
    if issues:
        raise _as_validation(issues)
    conditional_update(session, m.Person, row.id or 0, expected, {**values, "updated_at": m.utcnow()})
    ensure_households(session, operation_id, {person.household_id})
    mark_stale(session, operation_id)
    audit(session, principal, "update", "person", case_id, operation_id=operation_id, fields=sorted(patch))
    session.commit()
    session.refresh(row)
    set_etag(response, row.version)
    return to_read(row)


@router.delete("/operations/{operation_id}/people/{case_id}", status_code=204)
def delete_person(operation_id: Id, case_id: str, request: Request, principal: Officer,
                  session: SessionDep) -> Response:
    """Remove a person who never should have been in the caseload. Use erase for data-protection requests."""
    row = _person(session, operation_id, case_id)
    expected = expected_version(request, None)
    if row.version != expected:
        raise ApiProblem(409, f"the person is at version {row.version}, you sent {expected}", kind="version-conflict",
                      current_version=row.version)
    session.delete(row)
    session.execute(m.Pin.__table__.delete().where(m.Pin.operation_id == operation_id,  # type: ignore[attr-defined]
                                                   m.Pin.case_id == case_id))
    mark_stale(session, operation_id)
    audit(session, principal, "delete", "person", case_id, operation_id=operation_id)
    session.commit()
    return Response(status_code=204)


@router.post("/operations/{operation_id}/people/{case_id}/erase", response_model=PersonRead)
def erase_person(operation_id: Id, case_id: str, principal: Coordinator, session: SessionDep,
                 response: Response) -> Any:
    """Blank the personal fields and keep a tombstone: past plans keep their anonymous counts
    (docs/architecture.md#exports-and-data-protection)."""
    row = _person(session, operation_id, case_id)
    session.execute(update(m.Person).where(m.Person.id == row.id).values(
        **ERASURE_VALUES, erased=True, version=row.version + 1, updated_at=m.utcnow()))
    session.execute(m.Pin.__table__.delete().where(m.Pin.operation_id == operation_id,  # type: ignore[attr-defined]
                                                   m.Pin.case_id == case_id))
    mark_stale(session, operation_id)
    audit(session, principal, "erase", "person", case_id, operation_id=operation_id)
    session.commit()
    session.refresh(row)
    set_etag(response, row.version)
    return to_read(row)


class HouseholdRead(BaseModel):
    household_id: str
    members: int
    destination: str
    location: str


@router.get("/operations/{operation_id}/households", response_model=Page[HouseholdRead])
def list_households(operation_id: Id, _: Viewer, session: SessionDep,
                    page: Annotated[Paging, Depends(paging)]) -> Any:
    get_operation(session, operation_id)
    P = m.Person
    base = select(P.household_id, func.count().label("members"), func.min(P.destination).label("destination"),
                  func.min(P.location).label("location")).where(P.operation_id == operation_id,
                                                                P.erased == False).group_by(P.household_id)  # noqa: E712
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.execute(base.order_by(P.household_id).offset(page.offset).limit(page.limit)).all()
    return {"items": [dict(r._mapping) for r in rows], "total": total, "limit": page.limit, "offset": page.offset}


# ------------------------------------------------------------------------------------------------ import

class ImportReport(BaseModel):
    dry_run: bool
    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int


@router.post("/operations/{operation_id}/people/import", response_model=ImportReport,
             responses={413: {"description": "file too large"}, 422: {"description": "every error, with row,"
                                                                                     " column and message"}})
async def import_people(
    operation_id: Id, request: Request, principal: Officer, session: SessionDep,
    file: Annotated[UploadFile, File(description="people CSV (UTF-8) or XLSX with the people file header "
                                                              "(docs/architecture.md#people-file)")],
    dry_run: bool = False,
) -> Any:
    """Validate every row, then commit all or nothing, upserting by case_id. `dry_run` only counts."""
    settings = request.app.state.settings
    filename = (file.filename or "upload.csv").rsplit("/", 1)[-1][:200]
    if not filename.lower().endswith((".csv", ".xlsx", ".xlsm", ".txt")):
        raise ApiProblem(415, f"{filename}: upload a .csv or .xlsx file", kind="unsupported-type")
    data = await read_limited(file, settings.max_upload_bytes, filename)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_import_sync, session, principal, operation_id, filename, data, dry_run,
                                   limits_of(settings))


def _import_sync(session: SessionDep, principal: Any, operation_id: Id, filename: str, data: bytes,
                 dry_run: bool, limits: InputLimits) -> ImportReport:
    """The planner's one people reader and row parser (the CLI's), then the checks against stored people."""
    get_operation(session, operation_id)
    try:
        header, rows = read_people_table(data, filename, limits)
    except ScenarioInputError as exc:
        raise input_problem(exc, "the file") from None
    issues: list[InputIssue] = []
    numbered, parse_issues = parse_people_rows(header, rows, filename)
    people = [person for _, person in numbered]
    issues += parse_issues
    issues += _cross_check(session, operation_id, people, [row for row, _ in numbered], filename)  # parsed rows

    table = m.Person.__table__  # type: ignore[attr-defined]
    existing = {r["case_id"]: r for r in session.execute(
        select(table).where(table.c.operation_id == operation_id)).mappings()}
    create, change, unchanged = [], [], 0
    for row, person in numbered:
        values = person_values(person)
        long = too_long(m.Person, values)
        issues += [InputIssue(filename, row, column, message) for column, message in long]
        old = existing.get(person.case_id)
        if old is not None and old["erased"]:
            issues.append(InputIssue(filename, row, "case_id",
                                     f"case {person.case_id} was erased and cannot be imported again"))
        elif long:
            continue
        elif old is None:
            create.append(values)
        elif comparable(values) != comparable({k: old[k] for k in [*COLUMNS, "extra"]}):
            change.append((old, values))
        else:
            unchanged += 1
    if issues:  # every error at once: parsing, formulas, cross-row checks, lengths, erased cases
        issues.sort(key=lambda i: (i.row or 0, i.field))
        raise input_problem(ScenarioInputError(issues), "the file")
    report = ImportReport(dry_run=dry_run, filename=filename, rows=len(people), created=len(create),
                          updated=len(change), unchanged=unchanged)
    if dry_run:
        return report
    now = m.utcnow()
    if create:
        session.execute(insert(m.Person), [{**v, "operation_id": operation_id, "erased": False,
                                            "updated_at": now, "version": 1} for v in create])
    if change:
        stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values({**{k: bindparam(k) for k in [*COLUMNS, "extra"]}, "version": bindparam("b_next"),
                         "updated_at": now}))
        params = [{**v, "b_id": old["id"], "b_version": old["version"], "b_next": old["version"] + 1}
                  for old, v in change]
        result = session.execute(stmt, params)
        if result.rowcount not in (-1, len(params)):  # type: ignore[attr-defined]
            session.rollback()
            raise ApiProblem(409, "people changed while the file was imported; nothing was saved, import again",
                          kind="version-conflict")
    ensure_households(session, operation_id, {p.household_id for p in people})
    if create or change:
        mark_stale(session, operation_id)
    audit(session, principal, "import", "people", filename, operation_id=operation_id,
          rows=len(people), created=len(create), updated=len(change), unchanged=unchanged)
    session.commit()
    return report


def _cross_check(session: SessionDep, operation_id: Id, people: list[sc.Person], row_of: list[int],
                 filename: str) -> list[InputIssue]:
    """The planner's cross-row checks (duplicates, airports, households, birth dates) on the merged caseload."""
    op = get_operation(session, operation_id)
    incoming = {p.case_id for p in people}
    cols = ("case_id", "household_id", "destination", "date_of_birth", "consent", "consent_note")
    table = m.Person.__table__  # type: ignore[attr-defined]
    others = [sc.Person.model_construct(**{k: r[k] for k in cols})
              for r in session.execute(select(*[table.c[k] for k in cols]).where(
                  table.c.operation_id == operation_id, table.c.erased == False)).mappings()  # noqa: E712
              if r["case_id"] not in incoming and r["date_of_birth"] is not None]
    scenario = sc.Scenario.model_construct(name=op.name, timezone=op.timezone,
                                           as_of=datetime.fromisoformat(op.as_of), protocol=sc.Protocol(),
                                           testing_sites=[], escorts=[], aircraft=[], flights=[],
                                           people=others + people)
    # rows parallel to the checked people (stored ones have none), so a repeated case_id names both its rows
    found = check_scenario(scenario, "scenario", filename, [None] * (len(scenario.people) - len(people)) + row_of)
    return [i for i in found if i.file == filename and i.row is not None]


def _as_validation(issues: list[InputIssue]) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", i.field), "msg": i.message, "type": "value_error"}
                                   for i in issues])


Eligibility = Literal["eligible", "ineligible"]
