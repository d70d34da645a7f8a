"""Check-in marks of the departure day (docs/departure-day.md): every mark a tablet sent, kept as history.

A mark carries the id the tablet gave it (`client_id`, unique), so a mark sent twice after a broken connection
is stored once; a person's current mark is their latest by the time it was made on the tablet. Erasing or
deleting a person removes their marks (`forget_person`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, delete
from sqlmodel import Field, Session, col, select

from api.models import Keyed, utcnow
from planner.departure.checkin import CheckInMark, Mark


class CheckInMarkRow(Keyed, table=True):
    """One mark as sent by a tablet. Deleting the operation or the plan deletes its marks."""

    __tablename__ = "checkin_mark"
    __table_args__ = (UniqueConstraint("client_id"),
                      Index("ix_checkin_mark_plan_flight", "plan_id", "flight_id"))

    operation_id: int = Field(foreign_key="operation.id", ondelete="CASCADE")
    plan_id: int = Field(foreign_key="plan.id", ondelete="CASCADE")
    flight_id: str = Field(max_length=64)
    case_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=500)
    client_id: str = Field(max_length=64)
    marked_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = Field(max_length=64)


@dataclass(frozen=True)
class NewMark:
    client_id: str
    case_id: str
    status: Mark
    reason: str
    marked_at: datetime


def record_marks(session: Session, operation_id: int, plan_id: int, flight_id: str, marks: Iterable[NewMark],
                 actor: str) -> tuple[int, int]:
    """Store the marks not stored before (by `client_id`); (stored, already there). The caller commits."""
    incoming = list(marks)
    known = set(session.exec(select(CheckInMarkRow.client_id).where(
        col(CheckInMarkRow.client_id).in_([m.client_id for m in incoming]))).all())
    stored = 0
    for m in incoming:
        if m.client_id in known:
            continue
        known.add(m.client_id)
        session.add(CheckInMarkRow(operation_id=operation_id, plan_id=plan_id, flight_id=flight_id,
                                   case_id=m.case_id, status=m.status, reason=m.reason, client_id=m.client_id,
                                   marked_at=m.marked_at, recorded_by=actor))
        stored += 1
    return stored, len(incoming) - stored


def current_marks(session: Session, plan_id: int, flight_id: str) -> dict[str, CheckInMark]:
    """Each person's latest mark on the flight (by the tablet's time, then by arrival)."""
    rows = session.exec(select(CheckInMarkRow).where(CheckInMarkRow.plan_id == plan_id,
                                                     CheckInMarkRow.flight_id == flight_id)
                        .order_by(col(CheckInMarkRow.marked_at), col(CheckInMarkRow.id))).all()
    return {r.case_id: CheckInMark(r.case_id, r.status, r.reason) for r in rows}  # type: ignore[arg-type]


def forget_person(session: Session, operation_id: int, case_id: str) -> None:
    """Erasure: the person's marks go (the counts of a past departure lose them too)."""
    session.execute(delete(CheckInMarkRow).where(col(CheckInMarkRow.operation_id) == operation_id,
                                                 col(CheckInMarkRow.case_id) == case_id))
