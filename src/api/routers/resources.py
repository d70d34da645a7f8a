"""Flights, testing sites (and their slots), escorts, aircraft types and pins of an operation.

(No `from __future__ import annotations` here: FastAPI must see the factory's local models as real types.)

Each stores the planner's own model, so the service accepts exactly what a scenario file accepts. One factory
builds the five routers: create, read, list, partial update (If-Match) and delete, with separate models.
"""


from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field, ValidationError, create_model
from sqlalchemy import delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, func, select

from api import models as m
from api.audit import audit
from api.columns import check_lengths, column_length
from api.deps import SessionDep, Viewer, require
from api.lookups import get_in_operation, get_operation
from api.pagination import Page, Paging, paging
from api.params import Id, Version
from api.problems import ApiProblem, not_found
from api.staleness import mark_stale
from api.versions import check_version, conditional_update, expected_version, set_etag
from planner.model import scenario as sc

router = APIRouter()


def _optional_model(name: str, model: type[BaseModel], skip: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, info in model.model_fields.items():
        if key == skip:
            continue
        fields[key] = (info.annotation | None, Field(default=None, alias=info.alias))
    fields["version"] = (Version, None)
    updated = create_model(name, **fields)
    updated.model_config.update(extra="forbid", populate_by_name=True)
    updated.model_rebuild(force=True)
    return updated


class _Resource:
    """One resource kind: its table, the planner's model, its read and update models, and its rows."""

    def __init__(self, path: str, noun: str, table: type[SQLModel], model: type[BaseModel], key: str,
                 extra: dict[str, Any] | None, read_overrides: dict[str, Any] | None):
        self.path, self.noun, self.table, self.model, self.key = path, noun, table, model, key
        self.extra = set(extra or {})
        self.read_model = create_model(f"{model.__name__}Read", __base__=model, db_id=(int, ...),
                                       version=(int, ...), **(read_overrides or {}))
        self.update_model = _optional_model(f"{model.__name__}Update", model, key)
        self.base = f"/operations/{{operation_id}}/{path}"

    def to_read(self, row: Any) -> dict[str, Any]:
        return {**row.data, "db_id": row.id, "version": row.version}

    def columns(self, obj: BaseModel) -> dict[str, Any]:
        data = obj.model_dump(mode="json", by_alias=True, exclude=self.extra)
        values = {"code": data[_alias(self.model, self.key)], "data": data}
        if self.table is m.Flight:
            values["departure"] = data["departure"]
        check_lengths(self.table, values, fields={"code": _alias(self.model, self.key)})  # a 422, not a 500
        return values

    def fetch(self, session: Any, operation_id: int, code: str) -> Any:
        return get_in_operation(session, self.table, operation_id, "code", code, self.noun)


def resource_router(*, path: str, noun: str, table: type[SQLModel], model: type[BaseModel], key: str,
                    edit_role: str, tag: str, extra: dict[str, Any] | None = None,
                    read_overrides: dict[str, Any] | None = None) -> APIRouter:
    """CRUD for one resource stored as `table.data = model.model_dump()` with `table.code = data[key]`."""
    r = APIRouter(tags=[tag])
    res = _Resource(path, noun, table, model, key, extra, read_overrides)
    editor = Annotated[Any, Depends(require(edit_role))]
    _add_list_and_read(r, res)
    _add_create(r, res, editor)
    _add_update_and_delete(r, res, editor)
    return r


def _add_list_and_read(r: APIRouter, res: _Resource) -> None:
    table = res.table

    @r.get(res.base, response_model=Page[res.read_model], name=f"list_{res.path}")
    def list_items(operation_id: Id, _: Viewer, session: SessionDep,
                   page: Annotated[Paging, Depends(paging)]) -> Any:
        get_operation(session, operation_id)
        stmt = select(table).where(table.operation_id == operation_id)  # type: ignore[attr-defined]
        total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rows = session.exec(stmt.order_by(table.code).offset(page.offset).limit(page.limit)).all()  # type: ignore[attr-defined]
        return {"items": [res.to_read(x) for x in rows], "total": total, "limit": page.limit, "offset": page.offset}

    @r.get(res.base + "/{code}", response_model=res.read_model, name=f"read_{res.path}")
    def read_item(operation_id: Id, code: str, _: Viewer, session: SessionDep, response: Response) -> Any:
        row = res.fetch(session, operation_id, code)
        set_etag(response, row.version)
        return res.to_read(row)


def _add_create(r: APIRouter, res: _Resource, editor: Any) -> None:
    table, model = res.table, res.model

    @r.post(res.base, status_code=201, response_model=res.read_model, name=f"create_{res.path}")
    def create_item(operation_id: Id, body: model, principal: editor, session: SessionDep,  # type: ignore[valid-type]
                    response: Response) -> Any:
        get_operation(session, operation_id)
        values = res.columns(body)
        if session.exec(select(table.id).where(table.operation_id == operation_id,  # type: ignore[attr-defined]
                                               table.code == values["code"])).first() is not None:  # type: ignore[attr-defined]
            raise ApiProblem(409, f"{res.noun} {values['code']} already exists in this operation", kind="duplicate")
        row = table(operation_id=operation_id, **values)
        session.add(row)
        if table is m.TestingSite and getattr(body, "slots", None):
            session.flush()
            for slot in body.slots:  # type: ignore[attr-defined]
                session.add(m.TestingSlot(site_id=row.id, start=slot.start.isoformat(), end=slot.end.isoformat(),
                                          capacity=slot.capacity))
        mark_stale(session, operation_id)
        audit(session, principal, "create", res.noun, values["code"], operation_id=operation_id)
        session.commit()
        session.refresh(row)
        set_etag(response, row.version)  # type: ignore[attr-defined]
        return res.to_read(row)


def _add_update_and_delete(r: APIRouter, res: _Resource, editor: Any) -> None:
    table, update_model = res.table, res.update_model

    @r.patch(res.base + "/{code}", response_model=res.read_model, name=f"update_{res.path}")
    def update_item(operation_id: Id, code: str, body: update_model, request: Request,  # type: ignore[valid-type]
                    principal: editor, session: SessionDep, response: Response) -> Any:
        row = res.fetch(session, operation_id, code)
        expected = expected_version(request, body.version)  # type: ignore[attr-defined]
        patch = body.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude={"version"})  # type: ignore[attr-defined]
        try:
            merged = res.model.model_validate({**row.data, **patch})
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
        conditional_update(session, table, row.id, expected, res.columns(merged))
        mark_stale(session, operation_id)
        audit(session, principal, "update", res.noun, code, operation_id=operation_id, fields=sorted(patch))
        session.commit()
        session.refresh(row)
        set_etag(response, row.version)
        return res.to_read(row)

    @r.delete(res.base + "/{code}", status_code=204, name=f"delete_{res.path}")
    def delete_item(operation_id: Id, code: str, request: Request, principal: editor,
                    session: SessionDep) -> Response:
        row = res.fetch(session, operation_id, code)
        check_version(row.version, expected_version(request, None))
        if table is m.TestingSite:
            session.execute(delete(m.TestingSlot).where(m.TestingSlot.site_id == row.id))
        session.delete(row)
        mark_stale(session, operation_id)
        audit(session, principal, "delete", res.noun, code, operation_id=operation_id)
        session.commit()
        return Response(status_code=204)


def _alias(model: type[BaseModel], key: str) -> str:
    return model.model_fields[key].alias or key


router.include_router(resource_router(path="flights", noun="flight", table=m.Flight, model=sc.Flight, key="id",
                                      edit_role="officer", tag="flights"))
router.include_router(resource_router(path="testing-sites", noun="testing site", table=m.TestingSite,
                                      model=sc.TestingSite, key="id", edit_role="officer", tag="testing sites",
                                      extra={"slots": None}, read_overrides={
                                          # wall-clock times without an offset: plain strings in the schema
                                          "open": (str, ...), "close": (str, ...)}))
router.include_router(resource_router(path="escorts", noun="escort", table=m.Escort, model=sc.Escort, key="id",
                                      edit_role="officer", tag="escorts"))
router.include_router(resource_router(path="aircraft", noun="aircraft type", table=m.AircraftType,
                                      model=sc.AircraftType, key="type", edit_role="coordinator",
                                      tag="aircraft"))


# ------------------------------------------------------------------------------------------------ slots

class SlotIn(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    capacity: int | None = Field(default=None, ge=0, le=100_000)


class SlotsRead(BaseModel):
    site_id: str
    slots: list[SlotIn]
    version: int


class SlotsReplace(BaseModel):
    slots: list[SlotIn] = Field(max_length=20_000)
    version: Version = None


def _site(session: Any, operation_id: Id, code: str) -> m.TestingSite:
    return get_in_operation(session, m.TestingSite, operation_id, "code", code, "testing site")


def _slots(session: Any, site: m.TestingSite) -> dict[str, Any]:
    rows = session.exec(select(m.TestingSlot).where(m.TestingSlot.site_id == site.id)
                        .order_by(m.TestingSlot.start)).all()
    return {"site_id": site.code, "version": site.version,
            "slots": [{"start": s.start, "end": s.end, "capacity": s.capacity} for s in rows]}


@router.get("/operations/{operation_id}/testing-sites/{code}/slots", response_model=SlotsRead,
            tags=["testing sites"])
def read_slots(operation_id: Id, code: str, _: Viewer, session: SessionDep, response: Response) -> Any:
    """Explicit slots of a site; a site without any uses its opening hours and slot length."""
    site = _site(session, operation_id, code)
    set_etag(response, site.version)
    return _slots(session, site)


@router.put("/operations/{operation_id}/testing-sites/{code}/slots", response_model=SlotsRead,
            tags=["testing sites"])
def replace_slots(operation_id: Id, code: str, body: SlotsReplace, request: Request,
                  principal: Annotated[Any, Depends(require("officer"))], session: SessionDep,
                  response: Response) -> Any:
    site = _site(session, operation_id, code)
    expected = expected_version(request, body.version)
    for i, slot in enumerate(body.slots):
        if slot.end <= slot.start:
            raise RequestValidationError([{"loc": ("body", "slots", i, "end"), "msg": "slot ends before it starts",
                                           "type": "value_error"}])
    conditional_update(session, m.TestingSite, site.id or 0, expected, {})
    session.execute(delete(m.TestingSlot).where(col(m.TestingSlot.site_id) == site.id))
    for slot in body.slots:
        session.add(m.TestingSlot(site_id=site.id or 0, start=slot.start.isoformat(), end=slot.end.isoformat(),
                                  capacity=slot.capacity))
    mark_stale(session, operation_id)
    audit(session, principal, "update", "testing slots", code, operation_id=operation_id, slots=len(body.slots))
    session.commit()
    session.refresh(site)
    set_etag(response, site.version)
    return _slots(session, site)


# ------------------------------------------------------------------------------------------------ pins

class PinFields(BaseModel):
    case_id: str = Field(min_length=1, max_length=column_length(m.Pin, "case_id"))
    flight_id: str = Field(min_length=1, max_length=column_length(m.Pin, "flight_id"))
    seat: str | None = Field(default=None, pattern=r"^[0-9]{1,3}[A-Z]$")


class PinIn(PinFields):
    version: Version = None  # instead of If-Match, to change an existing pin


class PinRead(PinFields):
    version: int


def _pin_row(session: Any, operation_id: int, case_id: str) -> Any:
    return session.exec(select(m.Pin).where(m.Pin.operation_id == operation_id, m.Pin.case_id == case_id)).first()


def _pin_conflict(detail: str, current: int | None) -> ApiProblem:
    return ApiProblem(409, detail, kind="version-conflict", current_version=current)


@router.get("/operations/{operation_id}/pins", response_model=list[PinRead], tags=["pins"])
def list_pins(operation_id: Id, _: Viewer, session: SessionDep) -> Any:
    get_operation(session, operation_id)
    return session.exec(select(m.Pin).where(m.Pin.operation_id == operation_id).order_by(m.Pin.case_id)).all()


@router.get("/operations/{operation_id}/pins/{case_id}", response_model=PinRead, tags=["pins"])
def read_pin(operation_id: Id, case_id: str, _: Viewer, session: SessionDep, response: Response) -> Any:
    row = get_in_operation(session, m.Pin, operation_id, "case_id", case_id, "pin")
    set_etag(response, row.version)
    return row


@router.put("/operations/{operation_id}/pins/{case_id}", response_model=PinRead, tags=["pins"])
def set_pin(operation_id: Id, case_id: str, body: PinIn, request: Request,
            principal: Annotated[Any, Depends(require("officer"))], session: SessionDep, response: Response) -> Any:
    """Pin a person (and so their household) to a flight, optionally a seat; the next solve keeps it.

    A new pin needs no version; changing an existing one needs its ETag in If-Match (or `version`), so two
    officers re-pinning the same person never overwrite each other unseen (409 for the second)."""
    get_operation(session, operation_id)
    if body.case_id != case_id:
        raise RequestValidationError([{"loc": ("body", "case_id"), "msg": "must match the case_id in the path",
                                       "type": "value_error"}])
    if session.exec(select(m.Person.id).where(m.Person.operation_id == operation_id,
                                              m.Person.case_id == case_id)).first() is None:
        raise not_found("person", case_id)
    if session.exec(select(m.Flight.id).where(m.Flight.operation_id == operation_id,
                                              m.Flight.code == body.flight_id)).first() is None:
        raise RequestValidationError([{"loc": ("body", "flight_id"), "msg": f"unknown flight {body.flight_id}",
                                       "type": "value_error"}])
    row = _pin_row(session, operation_id, case_id)
    if row is None:
        if request.headers.get("if-match") is not None or body.version is not None:
            raise _pin_conflict(f"the pin of {case_id} was removed by someone else; read the pins again", None)
        session.add(m.Pin(operation_id=operation_id, case_id=case_id, flight_id=body.flight_id, seat=body.seat))
        audit(session, principal, "pin", "person", case_id, operation_id=operation_id, flight_id=body.flight_id)
        try:
            session.commit()
        except IntegrityError:  # another officer created this pin a moment earlier
            session.rollback()
            current = _pin_row(session, operation_id, case_id)
            raise _pin_conflict(f"{case_id} was pinned by someone else meanwhile; read the pin and send its "
                                "ETag in If-Match to change it", current.version if current else None) from None
    else:
        expected = expected_version(request, body.version)
        try:
            conditional_update(session, m.Pin, row.id, expected, {"flight_id": body.flight_id, "seat": body.seat})
        except ApiProblem as exc:
            if exc.status != 404:
                raise
            raise _pin_conflict(f"the pin of {case_id} was removed by someone else; read the pins again",
                                None) from None
        audit(session, principal, "pin", "person", case_id, operation_id=operation_id, flight_id=body.flight_id)
        session.commit()
    row = _pin_row(session, operation_id, case_id)
    session.refresh(row)
    set_etag(response, row.version)
    return row


@router.delete("/operations/{operation_id}/pins/{case_id}", status_code=204, tags=["pins"])
def delete_pin(operation_id: Id, case_id: str, request: Request,
               principal: Annotated[Any, Depends(require("officer"))], session: SessionDep) -> Response:
    row = get_in_operation(session, m.Pin, operation_id, "case_id", case_id, "pin")
    expected = expected_version(request, None)
    result = session.execute(delete(m.Pin).where(col(m.Pin.id) == row.id, col(m.Pin.version) == expected))
    # an UPDATE or DELETE executes to a CursorResult; Session.execute is typed as Result
    if cast("CursorResult[Any]", result).rowcount != 1:
        session.rollback()
        current = _pin_row(session, operation_id, case_id)
        if current is None:
            raise not_found("pin", case_id)
        raise _pin_conflict(f"the pin is at version {current.version}, you sent {expected}; read it again",
                            current.version)
    audit(session, principal, "unpin", "person", case_id, operation_id=operation_id)
    session.commit()
    return Response(status_code=204)
