"""The flight page's "Airline and border messages" section (docs/airline.md, "In the service"): what was sent,
the PAXLST warnings per person, and for officers the downloads and "download and mark as sent".

The flight page's template shows the section through `airline_section_html`, a template function `install`
registers (so the flight page's own route needs no change), which renders it once per plan version, sent
messages and kind of reader and keeps it; its figures come from `section_of`. Downloads and sending call
`api.airline_messages`, the functions the API uses, so checks, records and audit entries are the API's own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api import airline_messages as am
from api import models as m
from api.auth import Principal
from api.deps import SessionDep
from api.export_cache import cache_for, plan_stamp
from api.params import Id
from api.problems import not_found
from api.routers.airline import message_download
from api.sent_messages import SentMessage, sent_marker
from api.web import planning
from api.web.i18n import N_
from api.web.session import csrf_token, form, page, reader_is_officer
from api.web.templating import Pages
from api.web.templating import pages as pages_of

router = APIRouter(include_in_schema=False)
OfficerPage = Annotated[Principal, Depends(page("officer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
BASE = "/operations/{operation_id}/plans/{number}/flights/{flight_id}/messages"
KINDS = ("pnl", "adl", "paxlst")

#: Each required API element in words (the warning's field), for the warnings table.
MISSING_WORDS = {
    "family_name": N_("family name in Latin letters"),
    "document_type": N_("a travel document"),
    "document_number": N_("document number"),
    "document_expiry": N_("document expiry date"),
    "document_issuing_state": N_("document issuing state"),
    "country_of_birth": N_("country of birth"),
    "case_id": N_("the person is no longer in the caseload: solve again"),
}


@dataclass
class PersonWarnings:
    case_id: str
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentRow:
    """A message sent, as the section lists it (its roster is never read here)."""

    kind: str
    plan_id: int
    sent_at: datetime
    sent_by: str
    passengers: int
    parts: int
    incomplete: int


@dataclass(frozen=True)
class Facts:
    """What the section shows of a flight, the same for every reader: kept per plan version, flight, caseload
    revision and the flight's sent messages (`sent_marker`)."""

    sent: tuple[SentRow, ...]
    plan_numbers: dict[int, int]
    adl_ready: bool
    warnings: tuple[PersonWarnings, ...]


@dataclass
class Section:
    """What the section shows: the messages sent (newest first), whether an ADL can be made, the warnings by
    person, and whether the viewer may act."""

    sent: tuple[SentRow, ...]
    plan_numbers: dict[int, int]
    adl_ready: bool
    warnings: tuple[PersonWarnings, ...]
    can_act: bool
    published: bool
    what_if: bool


def section_of(engine: Engine, plan: m.Plan, flight_id: str, can_act: bool) -> Section:
    """The section's figures for a kind of reader (officers may act), from the cache while the plan, the caseload
    and the flight's sent messages are those it was built from: the key costs the revision and one indexed count,
    where building it reads every passenger's row (35-40 ms at 230 passengers). The revision and the marker are
    read before the data, as `api.export_cache` asks, so an entry built while a message is being sent is filed
    under the older key."""
    with Session(engine) as session:
        facts = section_facts(session, plan, flight_id)
    return Section(sent=facts.sent, plan_numbers=facts.plan_numbers, adl_ready=facts.adl_ready,
                   warnings=facts.warnings, can_act=can_act, published=plan.state == "published",
                   what_if=plan.variant_id is not None)


def section_facts(session: Session, plan: m.Plan, flight_id: str) -> Facts:
    """The section's facts from the cache, built once (`ExportCache.get_or_build`) when missing; also called by
    the warm-up after a plan is stored (`api.web.flight_warm`)."""
    cache = cache_for(session.get_bind())
    key = ("web.airline_section", flight_id, *plan_stamp(session, plan),
           sent_marker(session, plan.operation_id, flight_id))
    facts: Facts = cache.get_or_build(key, lambda: _facts(session, plan, flight_id))
    return facts


def _facts(session: Session, plan: m.Plan, flight_id: str) -> Facts:
    """The flight's last ten messages sent (any plan), the numbers of their plans and the PAXLST warnings."""
    table = m.table_of(SentMessage)
    rows = session.execute(
        select(*(table.c[name] for name in ("kind", "plan_id", "sent_at", "sent_by", "passengers", "parts",
                                            "incomplete")))
        .where(table.c.operation_id == plan.operation_id, table.c.flight_id == flight_id)
        .order_by(table.c.id.desc()).limit(10)).all()
    sent = tuple(SentRow(*r) for r in rows)
    ids = {s.plan_id for s in sent}
    numbers = {pid or 0: n for pid, n in session.exec(select(m.Plan.id, m.Plan.number)
                                                     .where(col(m.Plan.id).in_(ids))).all()}
    by_person: dict[str, PersonWarnings] = {}
    for w in am.flight_warnings(session, plan.operation_id, plan.id or 0, flight_id):
        by_person.setdefault(w.case_id, PersonWarnings(w.case_id)).missing.append(MISSING_WORDS.get(w.field, w.field))
    return Facts(sent, numbers, any(s.kind in ("PNL", "ADL") for s in sent), tuple(by_person.values()))


#: where the reader's own CSRF token goes in the kept section: random per process, so no stored text can hold it
_CSRF_SLOT = "csrf-slot-" + secrets.token_hex(16)


def airline_section_html(request: Request, op: m.Operation, plan: m.Plan, flight_id: str) -> Markup:
    """The section as HTML for the request's reader and language (`kept_section`), its form carrying the
    reader's own CSRF token in the kept slot, so no reader's token is ever shown to another."""
    pages = pages_of(request)
    html = kept_section(pages, request.app.state.engine, pages.catalogues.choose(request).code, op, plan, flight_id,
                        reader_is_officer(request))
    return Markup(html.replace(_CSRF_SLOT, str(escape(csrf_token(request)))))


def kept_section(pages: Pages, engine: Engine, language: str, op: m.Operation, plan: m.Plan, flight_id: str,
                 can_act: bool) -> Markup:
    """The section as HTML, rendered once per plan version, caseload revision, operation version, the flight's
    sent messages (`sent_marker`), language and whether the reader may act (officers), and kept (`Pages.kept`):
    rendering it was a good part of a flight page's CPU. Its form holds a slot (`_CSRF_SLOT`) where
    `airline_section_html` puts each reader's token. Takes no request, so the warm-up after a plan is stored
    renders it before the first view (`api.web.flight_warm`)."""
    revision = cache_for(engine).revision(plan.operation_id)  # before the data, as export_cache asks
    with Session(engine) as session:
        marker = sent_marker(session, plan.operation_id, flight_id)
    key = ("airline", flight_id, plan.id, plan.version, revision, op.version, marker, can_act)
    return pages.kept(engine, language, "airline/section.html", key, lambda: {
        "airline": section_of(engine, plan, flight_id, can_act), "op": op, "plan": plan, "flight_id": flight_id,
        "csrf_token": _CSRF_SLOT})


def install(pages: Pages) -> None:
    """Make the section available to the flight page's template (called once by `api.web.mount`)."""
    pages.env.globals["airline_section_html"] = airline_section_html


def _plan(session: Session, operation_id: int, number: int) -> m.Plan:
    plan: m.Plan = planning.plan_by_number(session, operation_id, number)
    return am.message_plan(session, operation_id, plan.id or 0)


def _message(session: Session, principal: Principal, operation_id: int, plan: m.Plan, flight_id: str,
             kind: str, designator: str | None, force: bool, sent: bool) -> Response:
    if kind not in KINDS:
        raise not_found("message kind", kind)
    source = am.load_source(session, operation_id, plan, flight_id)
    code = am.designator_of(source, designator or None)
    now = am.now_utc()
    if kind == "pnl":
        built = am.build_pnl(source, code, now)
    elif kind == "adl":
        built = am.build_adl(session, source, code, now)
    else:
        built = am.build_paxlst(source, am.parties_of(source, code, "CHARTERPLAN", "APIS", now), force, principal)
    am.record(session, principal, source, built, sent)
    return message_download(built, flight_id, plan.number)


@router.get(BASE + "/{kind}", name="web.airline_download")
def download(request: Request, operation_id: Id, number: Id, flight_id: str, kind: str, principal: OfficerPage,
             session: SessionDep) -> Response:
    """A message to look at: nothing is recorded as sent (PAXLST: refused while data is missing)."""
    plan = _plan(session, operation_id, number)
    return _message(session, principal, operation_id, plan, flight_id, kind,
                    request.query_params.get("designator", "")[:8].strip().upper(), False, sent=False)


@router.post(BASE, name="web.airline_send")
def send(request: Request, operation_id: Id, number: Id, flight_id: str, principal: OfficerForm,
         session: SessionDep) -> Response:
    """Download a message and record it as sent; a PAXLST with missing data needs the box ticked (audited)."""
    data = request.state.form
    kind = str(data.get("kind") or "")
    plan = _plan(session, operation_id, number)
    force = kind == "paxlst" and data.get("force") == "on"  # the box is about the PAXLST only
    return _message(session, principal, operation_id, plan, flight_id, kind,
                    str(data.get("designator") or "")[:8].strip().upper(), force, sent=True)
