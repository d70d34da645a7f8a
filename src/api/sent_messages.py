"""Airline and border messages as they were sent (docs/airline.md, "In the service"): which plan a flight's PNL,
ADL or PAXLST was made from, when and by whom, and for the PNL and ADL the passenger records as sent, so the
next ADL is the per-person difference from what the airline already has, data changes included.

A row keeps no message text. Its roster holds what the airline was sent (names in Latin letters, booking,
seat, requests, lap infant); erasing or deleting a person removes their records here too (`forget_person`).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, bindparam, func
from sqlmodel import Field, Session, col, select

from api.models import Keyed, table_of, utcnow
from planner.airline.roster import Infant, PaxRecord

#: The message kinds a row records.
KINDS = ("PNL", "ADL", "PAXLST")


class SentMessage(Keyed, table=True):
    """One message sent for a flight. Deleting the operation or the plan deletes its rows (ON DELETE CASCADE),
    so the operation's own deletion needs no change."""

    __tablename__ = "sent_message"
    __table_args__ = (Index("ix_sent_message_op_flight", "operation_id", "flight_id"),)

    operation_id: int = Field(foreign_key="operation.id", ondelete="CASCADE")
    plan_id: int = Field(foreign_key="plan.id", ondelete="CASCADE")
    flight_id: str = Field(max_length=64)
    kind: str = Field(max_length=8)
    sent_at: datetime = Field(default_factory=utcnow)
    sent_by: str = Field(max_length=64)
    passengers: int = 0
    parts: int = 1
    #: PAXLST only: the people with missing required data when the export was forced (0 otherwise)
    incomplete: int = 0
    sha256: str = Field(max_length=64)
    roster: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


_SENT = table_of(SentMessage)
_MARKER = select(func.count(), func.max(_SENT.c.id)).where(_SENT.c.operation_id == bindparam("operation_id"),
                                                         _SENT.c.flight_id == bindparam("flight_id"))


def record_to_json(record: PaxRecord) -> dict[str, Any]:
    data = asdict(record)
    data["ssrs"] = list(record.ssrs)
    if record.infant is not None:
        data["infant"]["born"] = record.infant.born.isoformat()
    return data


def record_from_json(data: dict[str, Any]) -> PaxRecord:
    infant = data.get("infant")
    return PaxRecord(**{**data, "ssrs": tuple(data["ssrs"]),
                        "infant": None if infant is None else Infant(**{**infant,
                                                                        "born": date.fromisoformat(infant["born"])})})


def last_sent(session: Session, operation_id: int, flight_id: str, kinds: tuple[str, ...]) -> SentMessage | None:
    """The newest row of these kinds for the flight (the base of the next ADL: kinds PNL and ADL)."""
    stmt = (select(SentMessage).where(SentMessage.operation_id == operation_id, SentMessage.flight_id == flight_id,
                                      col(SentMessage.kind).in_(kinds))
            .order_by(col(SentMessage.id).desc()).limit(1))
    return session.exec(stmt).first()


def sent_history(session: Session, operation_id: int, flight_id: str, limit: int = 20) -> list[SentMessage]:
    """The flight's messages, newest first."""
    stmt = (select(SentMessage).where(SentMessage.operation_id == operation_id, SentMessage.flight_id == flight_id)
            .order_by(col(SentMessage.id).desc()).limit(limit))
    return list(session.exec(stmt).all())


def sent_marker(session: Session, operation_id: int, flight_id: str) -> tuple[int, int]:
    """How many messages were sent for the flight and the newest one's id: one indexed read that changes with
    every message sent and every row deleted with its plan or operation (ids only grow), so what is kept of a
    flight's messages (the flight page's section) is keyed by it, on every replica alike. The statement is built
    once: building it on each view cost ten times the read."""
    count, newest = session.execute(_MARKER, {"operation_id": operation_id, "flight_id": flight_id}).one()
    return int(count), int(newest or 0)


def forget_person(session: Session, operation_id: int, case_id: str) -> None:
    """Remove a person's records (as passenger or as lap infant) from every roster kept for the operation, in
    the caller's transaction. The airline keeps what it was sent; tell it by other means if needed."""
    table = table_of(SentMessage)
    rows = session.execute(select(table.c.id, table.c.roster).where(table.c.operation_id == operation_id)).all()
    for row_id, roster in rows:
        kept = [r for r in roster if r["case_id"] != case_id]
        kept = [{**r, "infant": None} if (r.get("infant") or {}).get("case_id") == case_id else r for r in kept]
        if kept != roster:
            session.execute(table.update().where(table.c.id == row_id).values(roster=kept))
