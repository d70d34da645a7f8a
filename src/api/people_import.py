"""The bulk people import (CSV or XLSX with the people file header, docs/architecture.md#people-file): the
planner's one reader and row parser (the CLI's), the cross-row checks against the stored caseload, then every
row created, updated or left unchanged, all or nothing, upserting by case_id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, select

from api import models as m
from api.audit import audit
from api.columns import too_long
from api.lookups import get_operation
from api.person_rows import COLUMNS, comparable, person_values
from api.problems import ApiProblem
from api.scenario_store import ensure_households
from api.staleness import mark_stale
from api.uploads import input_problem
from planner.io.input_errors import InputIssue, ScenarioInputError
from planner.io.input_limits import InputLimits
from planner.io.people_file import parse_people_rows
from planner.io.people_table import read_people_table
from planner.io.scenario_checks import check_scenario
from planner.model import scenario as sc
from planner.model.fields import STORED

#: The file types the import reads (CSV, XLSX and its macro-enabled twin; .txt for CSV saved as text).
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt")


class ImportReport(BaseModel):
    dry_run: bool
    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int


@dataclass
class _Sorted:
    """The parsed rows against the stored people: what to create, what changes (old row, values), the rest."""

    create: list[dict[str, Any]] = field(default_factory=list)
    change: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0
    issues: list[InputIssue] = field(default_factory=list)


def upload_name(filename: str | None) -> str:
    """The file's own name (no folders), at most 200 characters; 415 unless it is a type the import reads."""
    name = (filename or "upload.csv").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith(SUFFIXES):
        raise ApiProblem(415, f"{name}: upload a .csv or .xlsx file", kind="unsupported-type")
    return name


def import_people_file(session: Session, principal: Any, operation_id: int, filename: str, data: bytes,
                       dry_run: bool, limits: InputLimits) -> ImportReport:
    """Every error at once (parsing, formulas, cross-row checks, lengths, erased cases), or the whole file."""
    get_operation(session, operation_id)
    try:
        header, rows = read_people_table(data, filename, limits)
    except ScenarioInputError as exc:
        raise input_problem(exc, "the file") from None
    numbered, parse_issues = parse_people_rows(header, rows, filename)
    people = [person for _, person in numbered]
    found = _sort_rows(session, operation_id, numbered, filename)
    issues = [*parse_issues, *cross_check(session, operation_id, people, [row for row, _ in numbered], filename),
              *found.issues]
    if issues:
        issues.sort(key=lambda i: (i.row or 0, i.field))
        raise input_problem(ScenarioInputError(issues), "the file")
    report = ImportReport(dry_run=dry_run, filename=filename, rows=len(people), created=len(found.create),
                          updated=len(found.change), unchanged=found.unchanged)
    if not dry_run:
        _write(session, operation_id, found)
        ensure_households(session, operation_id, {p.household_id for p in people})
        if found.create or found.change:
            mark_stale(session, operation_id)
        audit(session, principal, "import", "people", filename, operation_id=operation_id, rows=len(people),
              created=len(found.create), updated=len(found.change), unchanged=found.unchanged)
        session.commit()
    return report


def _sort_rows(session: Session, operation_id: int, numbered: list[tuple[int, sc.Person]], filename: str
               ) -> _Sorted:
    table = m.Person.__table__  # type: ignore[attr-defined]
    existing = {r["case_id"]: r for r in session.execute(
        select(table).where(table.c.operation_id == operation_id)).mappings()}
    out = _Sorted()
    for row, person in numbered:
        values = person_values(person)
        long = too_long(m.Person, values)
        out.issues += [InputIssue(filename, row, column, message) for column, message in long]
        old = existing.get(person.case_id)
        if old is not None and old["erased"]:
            out.issues.append(InputIssue(filename, row, "case_id",
                                         f"case {person.case_id} was erased and cannot be imported again"))
        elif long:
            continue
        elif old is None:
            out.create.append(values)
        elif comparable(values) != comparable({k: old[k] for k in [*COLUMNS, "extra"]}):
            out.change.append((old, values))
        else:
            out.unchanged += 1
    return out


def _write(session: Session, operation_id: int, found: _Sorted) -> None:
    """Inserts and version-checked updates in two bulk statements: the 7,000-person file takes seconds."""
    now = m.utcnow()
    if found.create:
        session.execute(insert(m.Person), [{**v, "operation_id": operation_id, "erased": False,
                                            "updated_at": now, "version": 1} for v in found.create])
    if not found.change:
        return
    table = m.table_of(m.Person)
    stmt = (update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values({**{k: bindparam(k) for k in [*COLUMNS, "extra"]}, "version": bindparam("b_next"),
                     "updated_at": now}))
    params = [{**v, "b_id": old["id"], "b_version": old["version"], "b_next": old["version"] + 1}
              for old, v in found.change]
    result = session.execute(stmt, params)
    # an UPDATE or DELETE executes to a CursorResult; Session.execute is typed as Result
    if cast("CursorResult[Any]", result).rowcount not in (-1, len(params)):
        session.rollback()
        raise ApiProblem(409, "people changed while the file was imported; nothing was saved, import again",
                         kind="version-conflict")


def _protocol(session: Session, operation_id: int) -> sc.Protocol:
    """The operation's protocol (the people checks need its issuing authorities), the default when unset."""
    row = session.exec(select(m.Protocol).where(m.Protocol.operation_id == operation_id)).first()
    return sc.Protocol.model_validate(row.data, context=STORED) if row is not None else sc.Protocol()


def cross_check(session: Session, operation_id: int, people: list[sc.Person], row_of: list[int],
                filename: str) -> list[InputIssue]:
    """The planner's cross-row checks (duplicates, airports, households, birth dates) on the merged caseload."""
    op = get_operation(session, operation_id)
    incoming = {p.case_id for p in people}
    cols = ("case_id", "household_id", "destination", "date_of_birth", "consent", "consent_note")
    table = m.table_of(m.Person)
    others = [sc.Person.model_construct(**{k: r[k] for k in cols})
              for r in session.execute(select(*[table.c[k] for k in cols]).where(
                  table.c.operation_id == operation_id, table.c.erased == False)).mappings()  # noqa: E712
              if r["case_id"] not in incoming and r["date_of_birth"] is not None]
    scenario = sc.Scenario.model_construct(name=op.name, timezone=op.timezone,
                                           as_of=datetime.fromisoformat(op.as_of),
                                           protocol=_protocol(session, operation_id),
                                           testing_sites=[], escorts=[], aircraft=[], flights=[],
                                           people=others + people)
    # rows parallel to the checked people (stored ones have none), so a repeated case_id names both its rows
    found = check_scenario(scenario, "scenario", filename, [None] * (len(scenario.people) - len(people)) + row_of)
    return [i for i in found if i.file == filename and i.row is not None]


def as_validation(issues: list[InputIssue]) -> RequestValidationError:
    """Cross-row issues of one person sent in a body, as the 422 of a request body."""
    return RequestValidationError([{"loc": ("body", i.field), "msg": i.message, "type": "value_error"}
                                   for i in issues])
