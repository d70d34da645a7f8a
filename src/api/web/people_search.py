"""What the people pages read: one page of people matching the filters, the filters' choices, a person's
household and the reasons a person is not on a flight (docs/web.md, "People")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, func, select

from api import models as m
from api.export_cache import cache_for


@dataclass
class PeopleFilters:
    q: str = ""
    destination: str = ""
    location: str = ""
    vulnerability: str = ""
    status: str = ""  # "", "flying", "not_flying", "eligible", "ineligible"

    def as_audit(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def filter_choices(session: Session, operation_id: int) -> dict[str, list[str]]:
    """Destinations and locations for the filters; two scans of the caseload, so kept per caseload revision."""
    cache = cache_for(session.get_bind())
    key = ("web.filter_choices", operation_id, cache.revision(operation_id))
    found: dict[str, list[str]] | None = cache.get(key)
    if found is None:
        found = _filter_choices(session, operation_id)
        cache.put(key, found)
    return found


def _filter_choices(session: Session, operation_id: int) -> dict[str, list[str]]:
    P = m.Person
    base = select(P.destination).where(P.operation_id == operation_id, P.erased == False)  # noqa: E712
    dest = sorted(d for d in session.exec(base.distinct()).all() if d)
    loc = sorted(x for x in session.exec(select(P.location).where(P.operation_id == operation_id,
                                                                    P.erased == False).distinct()).all() if x)  # noqa: E712
    return {"destination": dest, "location": loc}


def _conditions(session: Session, operation_id: int, filters: PeopleFilters,
                plan: m.Plan | None) -> list[ColumnElement[bool]]:
    """The filters as SQL conditions beyond "in the operation, not erased" (none: the whole caseload)."""
    from api.eligible_people import eligible_condition

    P = m.Person
    out: list[ColumnElement[bool]] = []
    q = filters.q.strip()
    if q:
        # "given family" contains every name's own substrings, so one test covers both names
        out.append(or_(col(P.case_id).startswith(q, autoescape=True),
                       col(P.household_id).startswith(q, autoescape=True),
                       col(P.name_native).contains(q, autoescape=True),
                       func.lower(P.given_name + " " + P.family_name).contains(q.lower(), autoescape=True)))
    if filters.destination:
        out.append(col(P.destination) == filters.destination)
    if filters.location:
        out.append(col(P.location) == filters.location)
    if filters.vulnerability:
        out.append(col(P.vulnerabilities).contains(f";{filters.vulnerability};", autoescape=True))
    if filters.status in ("eligible", "ineligible"):
        cond = eligible_condition(session, session.get(m.Operation, operation_id))  # type: ignore[arg-type]
        out.append(cond if filters.status == "eligible" else ~cond)
    if filters.status in ("flying", "not_flying"):
        on = select(m.Assignment.case_id).where(m.Assignment.plan_id == (plan.id if plan else -1))
        on = on.where(col(m.Assignment.flight_id).is_not(None)) if filters.status == "flying" \
            else on.where(col(m.Assignment.flight_id).is_(None))
        out.append(col(P.case_id).in_(on))
    return out


def search_people(session: Session, operation_id: int, filters: PeopleFilters, plan: m.Plan | None,
                  limit: int, offset: int) -> tuple[int, list[m.Person], dict[str, m.Assignment]]:
    """One page of people matching the filters, in SQL (the caseload never leaves the database whole).

    A text search reads every name, so one scan lists the matching case numbers (few) and the count and the
    page come from that list; otherwise a count and one page of rows, cheaper than carrying
    thousands of matching case numbers (a status filter) into Python."""
    P = m.Person
    mine = (P.operation_id == operation_id, P.erased == False)  # noqa: E712
    conditions = _conditions(session, operation_id, filters, plan)
    if filters.q.strip():
        ids = list(session.exec(select(P.case_id).where(*mine, *conditions).order_by(P.case_id)).all())
        total, wanted = len(ids), ids[offset:offset + limit]
        rows = list(session.exec(select(P).where(*mine, col(P.case_id).in_(wanted)).order_by(P.case_id)).all()) \
            if wanted else []
    else:
        total = session.exec(select(func.count()).select_from(P).where(*mine, *conditions)).one()
        rows = list(session.exec(select(P).where(*mine, *conditions).order_by(P.case_id).offset(offset)
                                 .limit(limit)).all())
    assignments: dict[str, m.Assignment] = {}
    if plan is not None and rows:
        for a in session.exec(select(m.Assignment).where(m.Assignment.plan_id == plan.id, col(
                m.Assignment.case_id).in_([r.case_id for r in rows]))).all():
            assignments[a.case_id] = a
    return total, rows, assignments


@dataclass
class ReasonGroup:
    code: str
    message: str
    flights: list[str]
    every_flight: bool


def grouped_reasons(reasons: list[dict[str, Any]], serving: int) -> list[ReasonGroup]:
    """The plan repeats a reason once per flight serving the destination; the page says it once, with the
    flights it concerns ("every flight" when it is all of them)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in reasons:
        groups.setdefault((r.get("code", ""), r.get("message", "")), []).append(r.get("flight_id") or "")
    out = []
    for (code, message), flights_ in groups.items():
        named = sorted(f for f in flights_ if f)
        out.append(ReasonGroup(code, message, named, serving > 1 and len(named) >= serving))
    return out


def household(session: Session, operation_id: int, household_id: str) -> list[Any]:
    """The household's members with what the person page lists of them, by case number. Sorted here: asked to
    sort, SQLite walks the whole operation in case-number order instead of using the household index."""
    P = m.Person
    rows = session.execute(select(P.case_id, P.given_name, P.family_name, P.name_native,  # type: ignore[call-overload]
                                  P.date_of_birth, P.sex).where(
        P.operation_id == operation_id, P.household_id == household_id, P.erased == False)).all()  # noqa: E712
    return sorted(rows, key=lambda r: r.case_id)


def serving_flights(session: Session, operation_id: int, destination: str) -> int:
    """Flights with a stop at `destination` (the planner gives one reason per such flight); the flights'
    documents are read once per caseload revision, not on every person's page."""
    cache = cache_for(session.get_bind())
    op = session.get(m.Operation, operation_id)
    key = ("web.serving", operation_id, cache.revision(operation_id), op.version if op else 0)
    found: dict[str, int] | None = cache.get(key)
    if found is None:
        found = {}
        for data in session.exec(select(m.Flight.data).where(m.Flight.operation_id == operation_id)).all():
            for airport in {s.get("airport") for s in (data or {}).get("stops", [])}:
                found[airport] = found.get(airport, 0) + 1
        cache.put(key, found)
    return found.get(destination, 0)
