"""The people list's `eligible` filter: the planner's gates decide (planner.rules.eligibility), the service only
loads the rows and turns the answer into a condition on `case_id`.

Evaluating the gates reads the gates' fields (`GATE_FIELDS`) of every stored person of the operation, so the
answer is kept per caseload revision (`api.export_cache`: every edit, import, event or protocol change bumps
it) and operation version (as_of), like the web pages' funnel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, not_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from api import models as m
from api.export_cache import cache_for
from planner.model.fields import STORED
from planner.model.scenario import Person, Protocol
from planner.rules.eligibility import GATE_FIELDS, gate_failures

#: Above this many ids the list is written into the SQL text instead of bound: SQLite binds at most 32,766
#: values in one statement.
_BOUND_IDS_MAX = 30_000


#: A person of default values the stored rows' gate fields are copied onto: `model_copy(update=...)` takes a
#: fifth of the time of `model_construct` (which resolves every default again), 0.1 s instead of 0.5 s at 7,000.
_BLANK = Person.model_construct(vulnerabilities=[])


#: Gate fields kept in a person's `extra` (no column yet) that are dates in the JSON.
_EXTRA_DATES = ("document_requested_on", "document_issued_on")


def _person(row: Any) -> Person:
    """The gates' fields of a stored row, without validation (the row was validated when it was stored);
    those without a column of their own come from `extra`."""
    values = dict(row)
    extra = values.pop("extra", None) or {}
    values.update({k: v for k, v in extra.items() if k in GATE_FIELDS})
    for key in _EXTRA_DATES:
        if isinstance(values.get(key), str):
            values[key] = date.fromisoformat(values[key])
    sample = values["last_test_sample"]
    values["last_test_sample"] = datetime.fromisoformat(sample) if sample else None
    return _BLANK.model_copy(update=values)


def eligible_condition(session: Session, op: m.Operation) -> ColumnElement[bool]:
    """True for the operation's people (never erased ones) who pass every personal gate at `as_of`, as a SQL
    condition on case_id (for searches that combine it with others; the API's list uses `eligible_page`)."""
    eligible, failing = _split(session, op)
    person = m.Person
    if len(eligible) <= len(failing):
        return _in(person.case_id, eligible)
    return and_(person.erased == False, not_(_in(person.case_id, failing)))  # noqa: E712


def eligible_page(session: Session, op: m.Operation, stmt: Any, eligible: bool, offset: int, limit: int
                  ) -> tuple[int, list[m.Person]]:
    """(total, one page) of the people `stmt` selects, ordered by case_id, who pass the gates (`eligible`) or
    not. Their case_ids are chosen in Python from one scan of the ids: a thousand ids bound into the SQL cost
    the count and the page query more than the scan (docs/service.md)."""
    passing, _ = _split(session, op)
    ids = session.execute(stmt.with_only_columns(m.Person.case_id).order_by(m.Person.case_id)).scalars().all()
    chosen = [case_id for case_id in ids if (case_id in passing) == eligible]
    shown = chosen[offset:offset + limit]
    if not shown:
        return len(chosen), []
    rows = session.exec(select(m.Person).where(m.Person.operation_id == op.id, col(m.Person.case_id).in_(shown))
                        .order_by(m.Person.case_id)).all()
    return len(chosen), list(rows)


def _in(column: Any, ids: frozenset[str]) -> ColumnElement[bool]:
    values = sorted(ids)
    if len(values) > _BOUND_IDS_MAX:
        return col(column).in_(bindparam("case_ids", values, expanding=True, literal_execute=True))
    return col(column).in_(values)


def _split(session: Session, op: m.Operation) -> tuple[frozenset[str], frozenset[str]]:
    """(eligible, failing) case_ids of the operation's people who are not erased, from the cache if current."""
    cache = cache_for(session.get_bind())
    key = ("api.eligible", op.id, cache.revision(op.id or 0), op.version, str(op.created_at))
    found: tuple[frozenset[str], frozenset[str]] | None = cache.get(key)
    if found is None:
        found = _evaluate(session, op)
        cache.put(key, found)
    return found


def _evaluate(session: Session, op: m.Operation) -> tuple[frozenset[str], frozenset[str]]:
    stored = session.exec(select(m.Protocol.data).where(m.Protocol.operation_id == op.id)).first()
    protocol = Protocol.model_validate(stored or {}, context=STORED)
    table = m.table_of(m.Person)
    rows = session.connection().execute(
        select(*[table.c[f] for f in GATE_FIELDS if f in table.c], table.c.extra).where(table.c.operation_id == op.id,
                                                         table.c.erased == False)).mappings().all()  # noqa: E712
    people = [_person(r) for r in rows]
    failing = gate_failures(people, protocol, datetime.fromisoformat(op.as_of))
    return frozenset(p.case_id for p in people if p.case_id not in failing), frozenset(failing)

