"""What the people pages read: one page of people matching the filters, the filters' choices, a person's
household and the reasons a person is not on a flight (docs/web.md, "People")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, func, select

from api import models as m
from api.export_cache import cache_for, store_for


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


@dataclass(frozen=True)
class RosterEntry:
    """What the filters of the people list look at, for one person who is not erased."""

    case_id: str
    household_id: str
    destination: str
    location: str
    vulnerabilities: str
    names: str  # native name and "given family", case-folded, for the text search

    def matches_text(self, q: str) -> bool:
        """The text search: a case or household number that starts with `q`, or a name that contains it
        (case-insensitive, also beyond ASCII)."""
        return self.case_id.casefold().startswith(q) or self.household_id.casefold().startswith(q) or q in self.names


def roster(session: Session, operation_id: int) -> list[RosterEntry]:
    """Every person of the operation who is not erased, in case-number order: one read per caseload revision
    (every change to the caseload bumps it), so filtering and paging a page of 7,000 people is a pass over a
    list instead of SQL that evaluates four text patterns or thousands of plan rows per person."""
    cache = cache_for(session.get_bind())
    key = ("web.roster", operation_id, cache.revision(operation_id))
    found: list[RosterEntry] | None = cache.get(key)
    if found is None:
        P = m.Person
        rows = session.execute(select(P.case_id, P.household_id, P.destination, P.location,  # type: ignore[call-overload]
                                      P.vulnerabilities, P.name_native, P.given_name, P.family_name).where(
            P.operation_id == operation_id, P.erased == False).order_by(P.case_id)).all()  # noqa: E712
        found = [RosterEntry(r.case_id, r.household_id, r.destination or "", r.location or "", r.vulnerabilities or "",
                             f"{r.name_native or ''}\n{r.given_name or ''} {r.family_name or ''}".casefold())
                 for r in rows]
        cache.put(key, found)
    return found


def plan_status(session: Session, operation_id: int, plan: m.Plan | None) -> tuple[frozenset[str], frozenset[str]]:
    """The case numbers the plan puts on a flight and those it lists without one, kept per plan and caseload
    revision like the roster."""
    if plan is None or plan.id is None:
        return frozenset(), frozenset()
    cache = cache_for(session.get_bind())
    key = ("web.plan_status", plan.id, cache.revision(operation_id))
    found: tuple[frozenset[str], frozenset[str]] | None = cache.get(key)
    if found is None:
        A = m.Assignment
        rows = session.execute(select(A.case_id, A.flight_id).where(A.plan_id == plan.id)).all()
        found = (frozenset(r.case_id for r in rows if r.flight_id is not None),
                 frozenset(r.case_id for r in rows if r.flight_id is None))
        cache.put(key, found)
    return found


def _all_case_ids(session: Session, operation_id: int) -> list[str]:
    """The roster's case numbers (the unfiltered list, the page most opened), kept with it."""
    cache = cache_for(session.get_bind())
    key = ("web.roster_ids", operation_id, cache.revision(operation_id))
    found: list[str] | None = cache.get(key)
    if found is None:
        found = [e.case_id for e in roster(session, operation_id)]
        cache.put(key, found)
    return found


#: the case numbers of the last filters asked for, per database: kept apart from the shared cache (`store_for`), so
#: that many different searches cannot push the flight pages' views out of it
MATCHES_KEPT = 32


def _roster_matches(session: Session, operation_id: int, filters: PeopleFilters, plan: m.Plan | None) -> list[str]:
    """The case numbers that pass the filters (all but eligibility, which is SQL), in case-number order; kept per
    caseload revision and plan version for the last few filters, as paging through a search (or a list another
    officer filtered the same way) asks for the same matches again."""
    q = filters.q.strip().casefold()
    if not (q or filters.destination or filters.location or filters.vulnerability
            or filters.status in ("flying", "not_flying")):
        return _all_case_ids(session, operation_id)
    engine = session.get_bind()
    key = ("web.matches", operation_id, cache_for(engine).revision(operation_id),  # before the data
           plan.id if plan else None, plan.version if plan else None, q, filters.destination, filters.location,
           filters.vulnerability, filters.status if filters.status in ("flying", "not_flying") else "")
    kept = store_for(engine, "search matches", MATCHES_KEPT)
    found: list[str] | None = kept.get(key)
    if found is None:
        found = _match(session, operation_id, filters, q, plan)
        kept.put(key, found)
    return found


def _match(session: Session, operation_id: int, filters: PeopleFilters, q: str, plan: m.Plan | None) -> list[str]:
    entries: Iterable[RosterEntry] = roster(session, operation_id)
    if q:
        entries = (e for e in entries if e.matches_text(q))
    if filters.destination:
        entries = (e for e in entries if e.destination == filters.destination)
    if filters.location:
        entries = (e for e in entries if e.location == filters.location)
    if filters.vulnerability:
        wanted = f";{filters.vulnerability};"
        entries = (e for e in entries if wanted in e.vulnerabilities)
    if filters.status in ("flying", "not_flying"):
        flying, not_flying = plan_status(session, operation_id, plan)
        on = flying if filters.status == "flying" else not_flying
        entries = (e for e in entries if e.case_id in on)
    return [e.case_id for e in entries]


#: what a row of the people list shows (people/list.html)
LIST_COLUMNS = (m.Person.case_id, m.Person.given_name, m.Person.family_name, m.Person.name_native,
                m.Person.household_id, m.Person.date_of_birth, m.Person.destination, m.Person.location)


def search_people(session: Session, operation_id: int, filters: PeopleFilters, plan: m.Plan | None,
                  limit: int, offset: int) -> tuple[int, list[Any], dict[str, Any]]:
    """One page of people matching the filters; only that page's rows are read (the caseload never leaves the
    server), and only the columns the list shows: whole rows (with the JSON `extra`) and ORM objects for fifty
    people and their assignments were a third of the page's CPU. The filters run over the cached roster;
    eligibility, which needs the gates, stays in SQL."""
    P = m.Person
    mine = (P.operation_id == operation_id, P.erased == False)  # noqa: E712
    if filters.status in ("eligible", "ineligible"):
        conditions = _conditions(session, operation_id, filters, plan)
        total = session.exec(select(func.count()).select_from(P).where(*mine, *conditions)).one()
        wanted = list(session.exec(select(P.case_id).where(*mine, *conditions).order_by(P.case_id).offset(offset)
                                   .limit(limit)).all())
    else:
        ids = _roster_matches(session, operation_id, filters, plan)
        total, wanted = len(ids), ids[offset:offset + limit]
    rows = list(session.execute(select(*LIST_COLUMNS).where(*mine, col(P.case_id).in_(wanted))  # type: ignore[call-overload]
                                .order_by(P.case_id)).all()) if wanted else []
    assignments: dict[str, Any] = {}
    if plan is not None and rows:
        A = m.Assignment
        for a in session.execute(select(A.case_id, A.flight_id, A.seat, A.provisional).where(  # type: ignore[call-overload]
                A.plan_id == plan.id, col(A.case_id).in_([r.case_id for r in rows]))).all():
            assignments[a.case_id] = a
    return total, rows, assignments


def household(session: Session, operation_id: int, household_id: str) -> list[Any]:
    """The household's members with what the person page lists of them, by case number. Read through the
    household index and sorted and filtered here: asked to sort, or to leave out erased people, SQLite walks the
    whole operation through the (operation, erased, case number) index instead (7,000 rows for a page)."""
    P = m.Person
    rows = session.execute(select(P.case_id, P.given_name, P.family_name, P.name_native,  # type: ignore[call-overload]
                                  P.date_of_birth, P.sex, P.erased).where(
        P.operation_id == operation_id, P.household_id == household_id)).all()
    return sorted((r for r in rows if not r.erased), key=lambda r: r.case_id)


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
