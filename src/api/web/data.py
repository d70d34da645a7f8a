"""What the pages read about an operation from the store: its current plan, the operations list, the flights
with their fill, and the writes since the plan was published (docs/web.md).

Counts of a plan come from its stored rows (`Assignment`), so the pages say what the planner and the API say.
The dashboard's funnel and lab load are in `api.web.dashboard`, the people search in `api.web.people_search`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from api import models as m
from api.export_cache import cache_for

log = logging.getLogger("api.web")

# --------------------------------------------------------------------------------------------- the plan


#: built once: nearly every page reads the current plan, and SQLAlchemy takes longer to build and key this
#: statement than SQLite takes to answer it (docs/web.md, "Speed")
_CURRENT_PLAN = (select(m.Plan).options(defer(m.Plan.variant), defer(m.Plan.summary))  # type: ignore[arg-type]
                 .where(m.Plan.operation_id == bindparam("operation_id"), col(m.Plan.variant_id).is_(None))
                 .order_by((col(m.Plan.state) == "published").desc(), col(m.Plan.number).desc()).limit(1))


def current_plan(session: Session, operation_id: int) -> m.Plan | None:
    """The plan the pages report against: the newest published plan of the operation itself, else its newest
    draft (what-if plans of variants never count)."""
    return session.exec(_CURRENT_PLAN, params={"operation_id": operation_id}).first()


@dataclass
class OperationRow:
    op: m.Operation
    people: int
    flights: int
    plan: m.Plan | None


def operations_overview(session: Session) -> list[OperationRow]:
    """Every operation with its size and current plan (a handful of operations: one query each is fine)."""
    people = dict(session.execute(select(m.Person.operation_id, func.count()).where(
        m.Person.erased == False).group_by(m.Person.operation_id)).all())  # noqa: E712
    flights = dict(session.execute(select(m.Flight.operation_id, func.count())
                                   .group_by(m.Flight.operation_id)).all())
    ops = session.exec(select(m.Operation).order_by(m.Operation.id)).all()
    return [OperationRow(op, people.get(op.id, 0), flights.get(op.id, 0), current_plan(session, op.id or 0))
            for op in ops]


_BUILDING: dict[tuple[int, int], threading.RLock] = {}
_BUILDING_LOCK = threading.Lock()


def building(session: Session, operation_id: int) -> threading.RLock:
    """One lock per database and operation: a page arriving while the warm-up (or another page) builds the
    operation's facts waits for that build instead of starting a second one on the same cores."""
    key = (id(session.get_bind()), operation_id)
    with _BUILDING_LOCK:
        return _BUILDING.setdefault(key, threading.RLock())


# -------------------------------------------------------------------------------------------- flights


@dataclass
class FlightRow:
    code: str
    departure: str
    origin: str
    stops: list[str]
    aircraft: str
    seats: int | None
    passengers: int
    seated: int
    lap_infants: int
    provisional: int
    locked: bool

    @property
    def fill(self) -> float | None:
        return None if not self.seats else min(1.0, self.seated / self.seats)


def flights(session: Session, operation_id: int, plan: m.Plan | None) -> list[FlightRow]:
    """Flights in departure order with the plan's passengers, lap infants and provisional ones; kept per
    caseload revision and plan version (every flight's seat map is counted, and most pages show them)."""
    cache = cache_for(session.get_bind())
    op = session.get(m.Operation, operation_id)
    key = ("web.flights", operation_id, cache.revision(operation_id), op.version if op else 0,
           plan.id if plan else None, plan.version if plan else None)
    found = cache.get(key)
    if found is None:
        found = _flights(session, operation_id, plan)
        cache.put(key, found)
    return list(found)


def _flights(session: Session, operation_id: int, plan: m.Plan | None) -> list[FlightRow]:
    from planner.model.scenario import AircraftType
    from planner.seating.seatmaps import build_seat_map, library

    custom = {a.code: a.data for a in session.exec(select(m.AircraftType).where(
        m.AircraftType.operation_id == operation_id)).all()}
    counts: dict[str, tuple[int, int, int]] = {}
    if plan is not None:
        A = m.Assignment
        for flight_id, n, laps, provisional in session.execute(
                select(A.flight_id, func.count(), func.count(A.lap_of),
                       func.sum(case((A.provisional == True, 1), else_=0)))  # noqa: E712
                .where(A.plan_id == plan.id, col(A.flight_id).is_not(None)).group_by(A.flight_id)).all():
            counts[flight_id] = (int(n), int(laps), int(provisional or 0))
    rows = []
    lib = library()
    for f in session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id)
                          .order_by(m.Flight.departure, m.Flight.code)).all():
        data = f.data
        seats = None
        try:
            spec = AircraftType.model_validate(custom[data["aircraft"]]) if data["aircraft"] in custom \
                else lib.get(data["aircraft"])
            if spec is not None:
                seat_map = build_seat_map(spec)
                blocked = set(data.get("blocked_seats") or [])
                seats = sum(1 for s in seat_map.seats if not s.blocked and s.id not in blocked)
        except Exception:  # a seat map the planner refuses is reported by the solve, not here
            seats = None
        n, laps, provisional = counts.get(f.code, (0, 0, 0))
        rows.append(FlightRow(f.code, data.get("departure", f.departure), data.get("origin", ""),
                              [s.get("airport", "") for s in data.get("stops", [])], data.get("aircraft", ""),
                              seats, n, n - laps, laps, provisional, f.locked))
    return rows


# ------------------------------------------------------------------------------ changes since publication


@dataclass
class Change:
    action: str
    resource: str
    count: int
    last: datetime


def changes_since(session: Session, operation_id: int, plan: m.Plan | None) -> list[Change]:
    """Writes to the operation after the plan was published (or made), from the audit log: what made it stale."""
    if plan is None:
        return []
    since = plan.published_at or plan.created_at
    E = m.AuditEntry
    rows = session.execute(
        select(E.action, E.resource, func.count(), func.max(E.at))
        .where(E.operation_id == operation_id, E.at > since,
               col(E.action).in_(("create", "update", "delete", "import", "erase", "events")))
        .group_by(E.action, E.resource).order_by(func.max(E.at).desc())).all()
    return [Change(a, r, int(n), last) for a, r, n, last in rows]
