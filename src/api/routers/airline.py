"""Airline and border messages of a plan's flight (docs/airline.md, "In the service"): the PNL, the ADL since the
last PNL or ADL sent, the PAXLST and its warnings. GET downloads a message to look at; POST downloads it and
records it as sent, which is what the next ADL is compared with.

Every download is audited (who, which message, flight and plan, how many passengers; never who they are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel
from sqlmodel import Session

from api import airline_messages as am
from api.content_disposition import content_disposition
from api.deps import Officer, SessionDep, Viewer
from api.params import CodePath, Id
from api.sent_messages import last_sent, sent_history

router = APIRouter(tags=["airline"])
BASE = "/operations/{operation_id}/plans/{plan_id}/flights/{flight_id}"
TEXT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/plain": {}}},
                                         409: {"description": "the message cannot be made or sent (the problem "
                                                              "names why; PAXLST: every warning)"}}
Designator = Annotated[str | None, Query(max_length=8, description="the airline's code and flight number, e.g. "
                                                                   "ZZ1234 (default: ZZ and the flight's position)")]
Party = Annotated[str, Query(max_length=35)]
Force = Annotated[bool, Query(description="export although required API data is missing (officers; audited with "
                                          "the number of incomplete records)")]
EXTENSIONS = {"PNL": "txt", "ADL": "txt", "PAXLST": "edi"}


class Warning_(BaseModel):
    case_id: str
    field: str
    problem: str


class Warnings(BaseModel):
    flight_id: str
    plan_id: int
    people: int
    warnings: list[Warning_]


class Sent(BaseModel):
    kind: str
    plan_id: int
    sent_at: Any
    sent_by: str
    passengers: int
    parts: int
    incomplete: int


class Status(BaseModel):
    flight_id: str
    plan_id: int
    adl_base: Sent | None
    sent: list[Sent]


def message_download(built: am.Built, flight_id: str, plan_number: int) -> Response:
    name = f"{built.kind.lower()}-{flight_id}-plan{plan_number}"
    return Response(content=built.text, media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": content_disposition(name, EXTENSIONS[built.kind]), "Cache-Control": "no-store",
        "X-Message-Parts": str(built.parts)})


def _source(session: Session, operation_id: int, plan_id: int, flight_id: str) -> am.Source:
    plan = am.message_plan(session, operation_id, plan_id)
    return am.load_source(session, operation_id, plan, flight_id)


def _sent(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in Sent.model_fields}


@router.get(BASE + "/messages", response_model=Status)
def message_status(operation_id: Id, plan_id: Id, flight_id: CodePath, _: Viewer, session: SessionDep) -> Any:
    """What was sent for the flight (newest first, any plan) and which message the next ADL starts from."""
    am.message_plan(session, operation_id, plan_id)
    base = last_sent(session, operation_id, flight_id, ("PNL", "ADL"))
    return {"flight_id": flight_id, "plan_id": plan_id, "adl_base": _sent(base) if base else None,
            "sent": [_sent(r) for r in sent_history(session, operation_id, flight_id)]}


@router.get(BASE + "/paxlst/warnings", response_model=Warnings)
def paxlst_warnings(operation_id: Id, plan_id: Id, flight_id: CodePath, _: Viewer, session: SessionDep) -> Any:
    """Per person on the flight, each required API element the data cannot fill (case number and field only)."""
    am.message_plan(session, operation_id, plan_id)
    found = am.flight_warnings(session, operation_id, plan_id, flight_id)
    return {"flight_id": flight_id, "plan_id": plan_id, "people": len({w.case_id for w in found}),
            "warnings": [w.__dict__ for w in found]}


@dataclass(frozen=True)
class Options:
    """What a download names beyond the flight: the designator, and for the PAXLST the parties and `force`."""

    designator: str | None
    sender: str = "CHARTERPLAN"
    receiver: str = "APIS"
    force: bool = False


def teletype_options(designator: Designator = None) -> Options:
    return Options(designator)


def paxlst_options(designator: Designator = None, sender: Party = "CHARTERPLAN", receiver: Party = "APIS",
                   force: Force = False) -> Options:
    return Options(designator, sender, receiver, force)


def _build(kind: str, session: Session, source: am.Source, options: Options, principal: Any) -> am.Built:
    code = am.designator_of(source, options.designator)
    now = am.now_utc()
    if kind == "PNL":
        return am.build_pnl(source, code, now)
    if kind == "ADL":
        return am.build_adl(session, source, code, now)
    parties = am.parties_of(source, code, options.sender, options.receiver, now)
    return am.build_paxlst(source, parties, options.force, principal)


def message_routes(kind: str, options: Callable[..., Options], look: str, send: str) -> None:
    """GET (`look`: a download, nothing recorded) and POST (`send`: recorded as sent) of one message kind, with
    the query parameters of `options`; the route names (`pnl`, `send_pnl`, ...) name the OpenAPI operations."""
    name = kind.lower()
    given = Depends(options)

    def answer(operation_id: int, plan_id: int, flight_id: str, principal: Any, session: Session, chosen: Options,
               sent: bool) -> Response:
        source = _source(session, operation_id, plan_id, flight_id)
        built = _build(kind, session, source, chosen, principal)
        am.record(session, principal, source, built, sent)
        return message_download(built, flight_id, source.plan.number)

    def look_at(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer, session: SessionDep,
                chosen: Options = given) -> Response:
        return answer(operation_id, plan_id, flight_id, principal, session, chosen, sent=False)

    def mark_sent(operation_id: Id, plan_id: Id, flight_id: CodePath, principal: Officer, session: SessionDep,
                  chosen: Options = given) -> Response:
        return answer(operation_id, plan_id, flight_id, principal, session, chosen, sent=True)

    router.get(f"{BASE}/{name}", response_class=Response, responses=TEXT, name=name, description=look)(look_at)
    router.post(f"{BASE}/{name}", response_class=Response, responses=TEXT, name=f"send_{name}",
                description=send)(mark_sent)


message_routes("PNL", teletype_options,
               "The flight's PNL (IATA RP 1708 teletype; parts one after another), to look at: nothing is recorded.",
               "The PNL, recorded as sent (a published plan only): later ADLs are differences from it.")
message_routes("ADL", teletype_options,
               "The ADL from the last PNL or ADL sent for the flight to this plan, to look at: nothing is recorded.",
               "The ADL, recorded as sent: the next ADL is the difference from this plan.")
message_routes("PAXLST", paxlst_options,
               "The flight's PAXLST (UN/EDIFACT D.05B), to look at; 409 with every warning while data is missing.",
               "The PAXLST, recorded as sent (a published plan only).")
