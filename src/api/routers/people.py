"""The caseload: people (list, filter, edit, erase), households, and the CSV/XLSX manifest import."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, create_model
from sqlalchemy import update
from sqlmodel import col, func, select
from starlette.concurrency import run_in_threadpool

from api import models as m
from api.audit import audit, audit_commit
from api.checkin_marks import forget_person as forget_marks
from api.columns import check_lengths
from api.deps import Coordinator, Officer, SessionDep, SettingsDep, Viewer
from api.eligible_people import eligible_page
from api.lookups import get_in_operation, get_operation
from api.pagination import Page, Paging, paging
from api.params import CodePath, Id, QueryId, Version
from api.people_import import ImportReport, as_validation, cross_check, import_people_file, upload_name
from api.person_rows import ERASURE_VALUES, extra_in, person_values, row_to_person_dict
from api.problems import ApiProblem, not_found
from api.scenario_store import ensure_households
from api.sent_messages import forget_person
from api.staleness import mark_stale
from api.uploads import limits_of, read_limited
from api.versions import conditional_update, expected_version, set_etag
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
    #: stored in `extra` (no column yet): the API data of docs/airline.md, "PAXLST"
    document_issuing_state: str | None = None
    country_of_birth: str | None = None
    place_of_birth: str = ""
    #: the travel-document pipeline (docs/documents-pipeline.md)
    document_status: str = "valid"
    document_authority: str | None = None
    document_requested_on: date | None = None
    document_issued_on: date | None = None
    #: the reception handover (docs/reception.md)
    return_governorate: str = ""
    return_district: str = ""
    receiving_facility: str = ""
    referral: str | None = None
    referral_partner: str = ""
    onward_transport: str | None = None
    #: the symptomatic-case rule (docs/health-checks.md)
    symptom_onset: date | None = None
    symptom_free_since: date | None = None
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


def mapping_to_read(row: Mapping[Any, Any]) -> dict[str, Any]:
    """`to_read` of a row read as the table's columns (the same fields, without an ORM object)."""
    data = dict(row)
    data.update(data.get("extra") or {})
    data["vulnerabilities"] = [c for c in (row["vulnerabilities"] or "").split(";") if c]
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
    if plan_id is not None and session.exec(select(m.Plan.id).where(
            m.Plan.id == plan_id, m.Plan.operation_id == operation_id)).first() is None:
        raise not_found("plan", plan_id)
    if flight is not None:
        pid = plan_id or session.exec(select(func.max(m.Plan.id)).where(m.Plan.operation_id == operation_id)).one()
        on = select(m.Assignment.case_id).where(m.Assignment.plan_id == (pid or -1))
        on = on.where(col(m.Assignment.flight_id).is_(None)) if flight == "none" else on.where(
            m.Assignment.flight_id == flight)
        stmt = stmt.where(col(m.Person.case_id).in_(on))
    if eligible is None:
        total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
        # the table's columns, not ORM objects: building, tracking and then expiring fifty Person objects was
        # most of a page's CPU, and the page only reads them
        page_rows = session.execute(stmt.with_only_columns(*m.table_of(m.Person).c).order_by(m.Person.case_id)
                                    .offset(page.offset).limit(page.limit)).all()
        items = [mapping_to_read(r._mapping) for r in page_rows]
    else:
        total, rows = eligible_page(session, op, stmt, eligible, page.offset, page.limit)
        items = [to_read(r) for r in rows]
    session.expunge_all()  # read: the audit entry's commit need not expire what was loaded
    shown = sum(1 for item in items if not item["erased"])
    if shown:  # personal data left the service: who read how many, with which filters (never the data)
        filters = {k: v for k, v in {"destination": destination, "location": location, "household_id": household_id,
                                     "vulnerability": vulnerability, "eligible": eligible, "flight": flight,
                                     "plan_id": plan_id, "case_id": case_id,
                                     "include_erased": include_erased or None}.items() if v is not None}
        audit_commit(session, principal, "read", "people", None, operation_id=operation_id, count=shown,
                     total=total, limit=page.limit, offset=page.offset, filters=filters)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/operations/{operation_id}/people", status_code=201, response_model=PersonRead)
def create_person(operation_id: Id, body: sc.Person, principal: Officer, session: SessionDep,
                  response: Response) -> Any:
    get_operation(session, operation_id)
    if session.exec(select(m.Person.id).where(m.Person.operation_id == operation_id,
                                              m.Person.case_id == body.case_id)).first() is not None:
        raise ApiProblem(409, f"case_id {body.case_id} already exists in this operation", kind="duplicate")
    values = person_values(body)
    check_lengths(m.Person, values)
    issues = cross_check(session, operation_id, [body], [0], "body")
    if issues:
        raise as_validation(issues)
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
    values = {k: v for k, v in person_values(person).items() if k in patch or (k == "extra" and extra_in(patch))}
    check_lengths(m.Person, values)
    issues = cross_check(session, operation_id, [person], [0], "body")
    if issues:
        raise as_validation(issues)
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
    session.execute(m.table_of(m.Pin).delete().where(col(m.Pin.operation_id) == operation_id,
                                                   col(m.Pin.case_id) == case_id))
    forget_person(session, operation_id, case_id)
    forget_marks(session, operation_id, case_id)
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
    session.execute(update(m.Person).where(col(m.Person.id) == row.id).values(
        **ERASURE_VALUES, erased=True, version=row.version + 1, updated_at=m.utcnow()))
    session.execute(m.table_of(m.Pin).delete().where(col(m.Pin.operation_id) == operation_id,
                                                   col(m.Pin.case_id) == case_id))
    forget_person(session, operation_id, case_id)
    forget_marks(session, operation_id, case_id)
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

@router.post("/operations/{operation_id}/people/import", response_model=ImportReport,
             responses={413: {"description": "file too large"}, 422: {"description": "every error, with row,"
                                                                                     " column and message"}})
async def import_people(
    operation_id: Id, principal: Officer, session: SessionDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description="people CSV (UTF-8) or XLSX with the people file header "
                                                              "(docs/architecture.md#people-file)")],
    dry_run: bool = False,
) -> Any:
    """Validate every row, then commit all or nothing, upserting by case_id. `dry_run` only counts."""
    filename = upload_name(file.filename)
    data = await read_limited(file, settings.max_upload_bytes, filename)
    return await run_in_threadpool(import_people_file, session, principal, operation_id, filename, data, dry_run,
                                   limits_of(settings))


