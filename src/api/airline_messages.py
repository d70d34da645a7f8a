"""A flight's airline and border messages in the service (docs/airline.md, "In the service"): the PNL, the ADL
since the last PNL or ADL sent, and the PAXLST with its per-person warnings, built by `planner.airline` from the
stored operation and plan; sending records what the airline or border got (`api.sent_messages`).

The API (`api.routers.airline`) and the web pages (`api.web.routes_airline`) both call these functions, so
checks, audit entries and records are the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from api import models as m
from api.audit import audit
from api.auth import Principal
from api.db import write_lock
from api.person_rows import COLUMNS
from api.problems import ApiProblem, not_found
from api.scenario_store import build_scenario
from api.sent_messages import SentMessage, last_sent, record_from_json, record_to_json
from planner.airline.adl import adl_body, diff_records
from planner.airline.paxlst import (
    IncompleteData,
    Parties,
    PaxWarning,
    paxlst_message,
    paxlst_warnings,
    person_warnings,
)
from planner.airline.pnl import Addressing, default_designator, header_for, pnl_message, stops_of
from planner.airline.roster import ExportError, PaxRecord, flight_roster
from planner.airline.teletype import split_parts
from planner.model import scenario as sc
from planner.model.plan import Plan
from planner.model.scenario import Scenario

#: The airline's two-character code and a flight number of 1 to 4 digits, with an optional suffix (as the CLI).
DESIGNATOR = re.compile(r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$")
#: What `planner.airline.paxlst.person_warnings` reads of a person: the fields with a column, and those kept in
#: the row's `extra` (api.person_rows).
_WARNING_FIELDS = ("family_name", "document_type", "document_number", "document_expiry", "document_issuing_state",
                   "country_of_birth")
_WARNING_COLUMNS = tuple(f for f in _WARNING_FIELDS if f in COLUMNS)
_WARNING_EXTRA = tuple(f for f in _WARNING_FIELDS if f not in COLUMNS)
#: Every other field of the constructed person, given so pydantic computes no defaults (slow for factories).
_UNREAD: dict[str, object] = dict.fromkeys(sc.Person.model_fields)
#: PAXLST sender and receiver identifications (UNB/UNG): letters and digits as agreed with the border.
PARTY = re.compile(r"^[A-Z0-9]{1,35}$")


@dataclass
class Built:
    """A message ready to download: its text, number of parts and passengers, and for the PNL and ADL the
    records the next ADL is to be compared with."""

    kind: str
    text: str
    parts: int
    passengers: int
    roster: list[PaxRecord] = field(default_factory=list)
    incomplete: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Source:
    """The stored plan and the operation as the planner sees them, for one flight."""

    op: m.Operation
    plan: m.Plan
    scenario: Scenario
    body: Plan
    flight_id: str


def message_plan(session: Session, operation_id: int, plan_id: int) -> m.Plan:
    """The plan row; a what-if plan (solved with a variant) is never sent to an airline or border."""
    plan = session.get(m.Plan, plan_id)
    if plan is None or plan.operation_id != operation_id:
        raise not_found("plan", plan_id)
    if plan.variant_id is not None:
        raise ApiProblem(409, f"plan {plan.number} is a what-if plan; messages are made from the operation's "
                         "own plans", kind="variant-plan")
    return plan


def load_source(session: Session, operation_id: int, plan: m.Plan, flight_id: str) -> Source:
    """Today's people and flights with the plan's bookings; a flight the plan does not have is a 404."""
    op = session.get(m.Operation, operation_id)
    if op is None:
        raise not_found("operation", operation_id)
    body = Plan.model_validate_json(m.plan_json(session, plan.id or 0))
    if not any(f.flight_id == flight_id for f in body.flights):
        raise not_found("flight", flight_id)
    return Source(op, plan, build_scenario(session, operation_id), body, flight_id)


def designator_of(source: Source, designator: str | None) -> str:
    if designator is None or designator == "":
        return default_designator(source.scenario, source.flight_id)
    if not DESIGNATOR.match(designator):
        raise ApiProblem(422, f"designator {designator!r}: give the airline's two-character code and a flight "
                         "number of 1 to 4 digits, e.g. ZZ1234", kind="invalid-designator")
    return designator


@contextmanager
def _as_conflict() -> Iterator[None]:
    """Data that cannot be put into a message (a name without Latin letters) is a 409 naming case and field."""
    try:
        yield
    except ExportError as exc:
        raise ApiProblem(409, f"cannot make the message: {exc}", kind="cannot-export") from None


def build_pnl(source: Source, designator: str, now: datetime) -> Built:
    with _as_conflict():
        parts = pnl_message(source.scenario, source.body, source.flight_id, Addressing(designator, now))
        roster = flight_roster(source.scenario, source.body, source.flight_id)
    return Built("PNL", "".join(parts), len(parts), len(roster), roster)


def build_adl(session: Session, source: Source, designator: str, now: datetime) -> Built:
    """The difference, person by person, between the roster the last PNL or ADL sent and today's roster of the
    plan (docs/airline.md, "ADL"); 409 while no PNL was sent for the flight."""
    base = last_sent(session, source.op.id or 0, source.flight_id, ("PNL", "ADL"))
    if base is None:
        raise ApiProblem(409, f"no PNL was sent for flight {source.flight_id} yet: send the PNL first",
                         kind="no-pnl-sent")
    before = [record_from_json(r) for r in base.roster]
    with _as_conflict():
        current = flight_roster(source.scenario, source.body, source.flight_id)
        header = header_for("ADL", source.scenario, source.body, source.flight_id, Addressing(designator, now))
        body = adl_body(diff_records(before, current), current, stops_of(source.scenario, source.flight_id))
        parts = split_parts(header, body)
    return Built("ADL", "".join(parts), len(parts), len(current), current)


def flight_warnings(session: Session, operation_id: int, plan_id: int, flight_id: str) -> list[PaxWarning]:
    """The PAXLST warnings of everyone the plan puts on the flight (lap infants too), read from their rows
    only, so the flight page can list them without building the whole operation."""
    on = session.exec(select(m.Assignment.case_id).where(m.Assignment.plan_id == plan_id,
                                                          m.Assignment.flight_id == flight_id)
                      .order_by(col(m.Assignment.id))).all()
    table = m.table_of(m.Person)
    columns = [table.c[name] for name in ("case_id", "erased", *_WARNING_COLUMNS, "extra")]
    rows = {r["case_id"]: r for r in session.execute(select(*columns).where(
        table.c.operation_id == operation_id, table.c.case_id.in_(on))).mappings()}
    out: list[PaxWarning] = []
    for case_id in on:
        row = rows.get(case_id)
        if row is None or row["erased"]:
            out.append(PaxWarning(case_id, "case_id", "no longer in the caseload (erased or deleted); solve again"))
            continue
        # only the fields the checks read, without validation: they are stored values, and loading and
        # validating whole people would make the section most of the flight page's time
        fields = {name: row[name] for name in _WARNING_COLUMNS}
        extra = row["extra"] or {}
        fields.update({name: extra.get(name) for name in _WARNING_EXTRA})
        out.extend(person_warnings(sc.Person.model_construct(**{**_UNREAD, **fields, "case_id": case_id})))
    return out


def incomplete_problem(warnings: list[PaxWarning]) -> ApiProblem:
    people = len({w.case_id for w in warnings})
    return ApiProblem(409, f"required API data is missing for {people} person(s) ({len(warnings)} warning(s)); "
                      "fix the data, or export with force=true (officers; audited)", kind="incomplete-api-data",
                      people=people, warnings=[w.__dict__ for w in warnings])


def build_paxlst(source: Source, parties: Parties, force: bool, principal: Principal) -> Built:
    """The PAXLST; incomplete data is a 409 with the warnings unless `force` (officer role and above)."""
    if force and not principal.at_least("officer"):
        raise ApiProblem(403, "forcing an export of incomplete API data needs the role 'officer' or higher",
                         kind="forbidden")
    try:
        with _as_conflict():
            text = paxlst_message(source.scenario, source.body, source.flight_id, parties, force=force)
    except IncompleteData as exc:
        raise incomplete_problem(exc.warnings) from None
    warnings = paxlst_warnings(source.scenario, source.body, source.flight_id) if force else []
    passengers = next(len(f.passengers) for f in source.body.flights if f.flight_id == source.flight_id)
    return Built("PAXLST", text, 1, passengers, incomplete=len({w.case_id for w in warnings}))


def parties_of(source: Source, designator: str, sender: str, receiver: str, now: datetime) -> Parties:
    for name, value in (("sender", sender), ("receiver", receiver)):
        if not PARTY.match(value):
            raise ApiProblem(422, f"{name} {value!r}: 1 to 35 capital letters and digits", kind="invalid-party")
    return Parties(sender=sender, receiver=receiver, designator=designator, sent_at=now)


def audit_download(session: Session, principal: Principal, source: Source, built: Built, sent: bool) -> None:
    """Who exported or sent which message of which flight and plan, and how many passengers (never who);
    a forced PAXLST names how many people had incomplete data."""
    details: dict[str, object] = {"plan_id": source.plan.id, "passengers": built.passengers, "parts": built.parts}
    if built.incomplete:
        details.update(forced=True, incomplete=built.incomplete)
    audit(session, principal, "send" if sent else "export", built.kind.lower(), source.flight_id,
          operation_id=source.op.id, **details)


def record(session: Session, principal: Principal, source: Source, built: Built, sent: bool) -> None:
    """The audit entry, and when `sent` the record of what was sent, in one short transaction. Sending needs
    a published plan: what the airline or border gets must be a plan that no longer changes."""
    if sent and source.plan.state != "published":
        raise ApiProblem(409, f"plan {source.plan.number} is a draft: publish it before sending its messages "
                         "(download it to look at it)", kind="plan-not-published")
    with write_lock(session.get_bind()):
        if sent:
            session.add(SentMessage(operation_id=source.op.id or 0, plan_id=source.plan.id or 0,
                                    flight_id=source.flight_id, kind=built.kind, sent_by=principal.username,
                                    passengers=built.passengers, parts=built.parts, incomplete=built.incomplete,
                                    sha256=built.sha256, roster=[record_to_json(r) for r in built.roster]))
        audit_download(session, principal, source, built, sent)
        session.commit()


def now_utc() -> datetime:
    return datetime.now(UTC)
