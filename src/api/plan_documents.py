"""The documents of a plan: the flight manifest for the airline and the testing schedule for the sites' staff
(docs/documents.md). Built once here and written in each format by `api.exports`; the export routes
(`api.routers.exports`) and the web print view (`api.web.routes_documents`) show the same documents."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api import models as m
from api.exports import Column, Document, Section
from api.person_rows import ERASED
from api.problems import not_found
from planner.report.needs import (
    PROVISIONAL,
    care_needs,
    carries_lap_infant,
    escort_role,
    lap_infant_of,
    travel_category,
    travels_with,
)

MANIFEST_COLUMNS = [
    Column("line", "No.", "num"), Column("seat", "Seat"), Column("household", "Household"),
    Column("case", "Case or escort number"), Column("family", "Family name", "name"),
    Column("given", "Given names", "name"), Column("native", "Name in own script", "script"),
    Column("sex", "Sex"), Column("dob", "Date of birth"), Column("age", "Age", "num"),
    Column("travels_as", "Travels as"), Column("nationality", "Nationality"),
    Column("document", "Travel document"), Column("expiry", "Document valid until"),
    Column("destination", "Destination"), Column("needs", "Needs, infants and escorts", "wide"),
    Column("sample", "Sample taken"),
]
SCHEDULE_COLUMNS = [
    Column("site", "Testing site"), Column("day", "Day"), Column("time", "Time"),
    Column("case", "Case or escort number"), Column("family", "Family name", "name"),
    Column("given", "Given names", "name"), Column("native", "Name in own script", "script"),
    Column("dob", "Date of birth"), Column("who", "Tested as"), Column("location", "Staying at"),
    Column("flight", "For flight"), Column("result", "Sampled (initials)"),
]
MANIFEST_SIGNATURES = ["Prepared by (return officer)", "Checked by", "Airline representative"]
SCHEDULE_SIGNATURES = ["Prepared by (return officer)", "Site staff (samples taken)"]
SEX = {"F": "female", "M": "male", "X": "other"}


def plan_status(plan: m.Plan) -> tuple[str, str]:
    """What every document says about its plan; a published plan whose caseload changed since is out of date
    (`api.staleness.mark_stale` sets `stale`)."""
    if plan.variant_id is not None:
        return "what-if", f"What-if plan {plan.number}: for comparison only, not for use"
    if plan.state == "published" and plan.stale:
        return "out-of-date", (f"OUT OF DATE: plan {plan.number} was published, but the caseload has changed "
                               f"since. Check with the planning team or re-plan before use.")
    if plan.state == "published":
        when = f" on {plan.published_at:%Y-%m-%d %H:%M} UTC" if plan.published_at else ""
        return "published", f"Plan {plan.number}, published{when}"
    return "draft", f"DRAFT: plan {plan.number} is not published yet"


def _seat_key(seat: str | None) -> tuple[int, str]:
    match = re.match(r"^(\d+)([A-Z]*)$", seat or "")
    return (int(match.group(1)), match.group(2)) if match else (10_000, seat or "")


@lru_cache(maxsize=4096)
def _local(iso: str | None, tz: ZoneInfo) -> str:
    """A stored UTC instant as local wall time; cached, as a manifest repeats the same few sampling slots."""
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M") if iso else ""


def _age(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def generated_at(tz: ZoneInfo) -> str:
    """The moment a document is made, in the operation's time zone (every printed document carries it)."""
    return datetime.now(UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M ") + str(tz)


def build_manifest(session: Session, op: m.Operation, plan: m.Plan, flight_id: str,
                   figure: bool = False) -> Document:
    """The manifest document of one flight of a plan (404 when the flight is neither in the operation nor in
    the plan)."""
    flight = session.exec(select(m.Flight).where(m.Flight.operation_id == op.id, m.Flight.code == flight_id)).first()
    lines = _manifest_lines(session, op.id or 0, plan, flight_id)
    if flight is None and not lines:
        raise not_found("flight", flight_id)
    tz = ZoneInfo(op.timezone)
    departure = datetime.fromisoformat(flight.departure).astimezone(tz) if flight else None
    on = departure.date() if departure else datetime.now(UTC).date()
    escorts = _escorts(session, plan, flight_id)
    roles = {e.code: str(e.data.get("role", "")) for e in session.exec(
        select(m.Escort).where(m.Escort.operation_id == op.id)).all()}
    tally = dict.fromkeys(("adult", "child", "infant", "lap", "unknown", "wheelchair", "stretcher", "medical",
                           "uasc"), 0)
    rows = _passenger_rows(lines, on, tz, _escorted_by(escorts, roles), tally)
    rows += _escort_rows(escorts, roles, {r.case_id: _short_name(r) for r in lines})
    for number, row in enumerate(rows, start=1):
        row["line"] = number
    status, words = plan_status(plan)
    svg = _seatmap_svg(session, op.id or 0, plan, flight_id) if figure and lines else None
    section = Section(title=f"Flight {flight_id}", facts=_flight_facts(op, flight, flight_id, departure), rows=rows,
                      totals=_manifest_totals(tally, lines, escorts))
    return Document(kind="manifest", title=f"Passenger manifest, flight {flight_id}",
                    subtitle=f"{op.name} · plan {plan.number}", status=status, status_words=words,
                    columns=MANIFEST_COLUMNS, sections=[section], signatures=MANIFEST_SIGNATURES,
                    generated=generated_at(tz), figure_svg=svg)


def _manifest_lines(session: Session, operation_id: int, plan: m.Plan, flight_id: str) -> list[Any]:
    """The flight's passengers with the person facts the manifest prints (outer join: erased rows stay)."""
    A, P = m.Assignment, m.Person
    # Core execution (the connection, not the ORM session): plain rows without the ORM's per-row bookkeeping
    return list(session.connection().execute(
        select(A.case_id, A.seat, A.lap_of, A.provisional, A.test_site, A.test_start, P.family_name, P.given_name,
               P.name_native, P.sex, P.date_of_birth, P.nationality, P.document_type, P.document_number,
               P.document_expiry, P.destination, P.mobility, P.unaccompanied_minor, P.fitness, P.pregnant,
               P.household_id, P.erased)
        .select_from(A)
        .join(P, (P.operation_id == operation_id) & (P.case_id == A.case_id), isouter=True)
        .where(A.plan_id == plan.id, A.flight_id == flight_id)).all())


def _escorted_by(escorts: list[dict[str, Any]], roles: dict[str, str]) -> dict[str, list[str]]:
    """case_id -> the escorts serving that passenger, in words ("medical escort MED-1")."""
    out: dict[str, list[str]] = {}
    for esc in escorts:
        for case in esc.get("serves", []):
            out.setdefault(case, []).append(f"{escort_role(roles.get(esc['escort_id'], ''))} {esc['escort_id']}")
    return out


def _passenger_rows(lines: list[Any], on: date, tz: ZoneInfo, escorted_by: dict[str, list[str]],
                    tally: dict[str, int]) -> list[dict[str, Any]]:
    """Passengers by seat, each lap infant right after the adult carrying it."""
    by_case = {r.case_id: r for r in lines}
    infant_of = {r.lap_of: r.case_id for r in lines if r.lap_of}
    rows: list[dict[str, Any]] = []
    for adult in sorted((r for r in lines if not r.lap_of), key=lambda r: (_seat_key(r.seat), r.case_id)):
        infant = infant_of.get(adult.case_id)
        rows.append(_manifest_row(adult, by_case.get(infant) if infant else None, on, tz, escorted_by, tally))
        if infant and infant in by_case:
            rows.append(_manifest_row(by_case[infant], adult, on, tz, escorted_by, tally))
    return rows


def _escort_rows(escorts: list[dict[str, Any]], roles: dict[str, str], names: dict[str, str]
                 ) -> list[dict[str, Any]]:
    rows = []
    for esc in sorted(escorts, key=lambda e: (_seat_key(e.get("seat")), e["escort_id"])):
        role = escort_role(roles.get(esc["escort_id"], ""))
        serves = [f"{c} {names.get(c, '')}".strip() for c in esc.get("serves", [])]
        rows.append({"_kind": "escort", "seat": esc.get("seat") or "", "household": "", "case": esc["escort_id"],
                     "travels_as": f"escort: {role}",
                     "needs": ("serves " + ", ".join(serves)) if serves else "serves the whole flight"})
    return rows


def _manifest_totals(tally: dict[str, int], lines: list[Any], escorts: list[dict[str, Any]]
                     ) -> list[tuple[str, Any]]:
    passengers = len(lines)
    seated = sum(1 for r in lines if r.seat) + sum(1 for e in escorts if e.get("seat"))
    totals: list[tuple[str, Any]] = [
        ("Passengers (returnees, lap infants included)", passengers),
        ("Adults (12 years and over)", tally["adult"]), ("Children (2 to 11 years)", tally["child"]),
        ("Infants (under 2 years)", tally["infant"]), ("of them on a lap", tally["lap"])]
    if tally["unknown"]:
        totals.append(("Age not known (erased records)", tally["unknown"]))
    return [*totals, ("Wheelchairs", tally["wheelchair"]), ("Stretchers", tally["stretcher"]),
            ("Medical cases (travel with a medical escort)", tally["medical"]),
            ("Unaccompanied or separated children (UASC)", tally["uasc"]),
            ("Escorts", len(escorts)), ("People on board (passengers and escorts)", passengers + len(escorts)),
            ("Seats taken", seated)]


def _flight_facts(op: m.Operation, flight: m.Flight | None, flight_id: str, departure: datetime | None
                  ) -> list[tuple[str, str]]:
    facts = [("Flight", flight_id)]
    if flight is None or departure is None:
        return facts
    data = flight.data
    stops = " → ".join(str(s.get("airport", "")) for s in data.get("stops", []))
    facts += [("Departure", f"{departure:%Y-%m-%d %H:%M} ({op.timezone})"),
              ("Route", f"{data.get('origin', '')} → {stops}"), ("Aircraft", str(data.get("aircraft", "")))]
    minutes = int(data.get("check_in_minutes", 180))
    check_in = datetime.fromtimestamp(departure.timestamp() - minutes * 60, departure.tzinfo)
    facts.append(("Check-in opens", f"{check_in:%Y-%m-%d %H:%M}"))
    return facts


def _short_name(r: Any) -> str:
    if r.sex is None or r.erased:
        return ""
    return f"{r.given_name} {r.family_name}".strip()


def _manifest_row(r: Any, other: Any, on: date, tz: ZoneInfo, escorted_by: dict[str, list[str]],
                  tally: dict[str, int]) -> dict[str, Any]:
    """One passenger line; `other` is the lap infant an adult carries, or the adult carrying an infant."""
    row: dict[str, Any] = {"_kind": "infant" if r.lap_of else "passenger", "case": r.case_id,
                           "seat": r.seat or ("on a lap" if r.lap_of else "")}
    if r.sex is None or r.erased:  # an erased person keeps only the case_id (blank columns)
        row.update(family=ERASED, given=ERASED, dob=ERASED, travels_as="lap infant" if r.lap_of else "")
        tally["unknown"] += 1
        if r.lap_of:
            row["needs"] = f"lap infant of {r.lap_of}" + (f", seat {other.seat}" if other is not None else "")
        return row
    age = _age(r.date_of_birth, on)
    travels_as, group = travel_category(age, bool(r.lap_of))
    tally[group] += 1
    if r.lap_of:
        tally["lap"] += 1
    document = " ".join(x for x in (r.document_type or "", r.document_number or "") if x)
    row.update(household=r.household_id or "", family=r.family_name, given=r.given_name,
               native=r.name_native or "", sex=SEX.get(r.sex, r.sex or ""),
               dob=r.date_of_birth.isoformat() if r.date_of_birth else "", age=age if age is not None else "",
               travels_as=travels_as, nationality=r.nationality or "", document=document,
               expiry=r.document_expiry.isoformat() if r.document_expiry else "", destination=r.destination or "",
               needs="; ".join(_needs(r, other, escorted_by, tally)),
               sample=f"{r.test_site} {_local(r.test_start, tz)}" if r.test_site else "")
    return row


def _needs(r: Any, other: Any, escorted_by: dict[str, list[str]], tally: dict[str, int]) -> list[str]:
    """The passenger's needs in the airline's words (planner.report.needs), counted into the totals."""
    needs = []
    for need in care_needs(r.mobility, r.fitness, bool(r.unaccompanied_minor), bool(r.pregnant)):
        needs.append(need.words)
        if need.counts:
            tally[need.counts] += 1
    if r.lap_of:
        carrier = f"{r.lap_of} {_short_name(other)}".strip() if other is not None else r.lap_of
        needs.append(lap_infant_of(carrier, other.seat if other is not None else None))
    elif other is not None:
        needs.append(carries_lap_infant(other.case_id))
    needs += [travels_with(escort) for escort in escorted_by.get(r.case_id, [])]
    if r.provisional:
        needs.append(PROVISIONAL)
    return needs


def _escorts(session: Session, plan: m.Plan, flight_id: str) -> list[dict[str, Any]]:
    stored = plan.summary.get("escorts_by_flight")
    if stored is not None:
        return list(stored.get(flight_id, []))
    body = json.loads(m.plan_json(session, plan.id))
    for fp in body.get("flights", []):
        if fp.get("flight_id") == flight_id:
            return list(fp.get("escorts", []))
    return []


def _seatmap_svg(session: Session, operation_id: int, plan: m.Plan, flight_id: str) -> str | None:
    """The seat map picture when the planner provides a renderer; the manifest table stands on its own."""
    try:
        from api.scenario_store import build_scenario
        from planner.model.plan import Plan
        from planner.seating.render import render_svg

        body = Plan.model_validate_json(m.plan_json(session, plan.id or 0))
        return str(render_svg(build_scenario(session, operation_id), body, flight_id))
    except Exception:
        return None


def build_schedule(session: Session, op: m.Operation, plan: m.Plan, site: str | None = None,
                   day: str | None = None) -> Document:
    """Every test booking of the plan (the plan document's `tests`: people and escorts), one section per site
    and local day, in time order."""
    operation_id = op.id
    tz = ZoneInfo(op.timezone)
    tests = [t for t in json.loads(m.plan_json(session, plan.id)).get("tests", [])
             if not site or t.get("site_id") == site]
    cases = sorted({t["person_id"] for t in tests if t.get("person_id")})
    people = {p.case_id: p for p in session.exec(select(m.Person).where(
        m.Person.operation_id == operation_id, col(m.Person.case_id).in_(cases))).all()} if cases else {}
    escorts = {e.code: e.data for e in session.exec(select(m.Escort).where(
        m.Escort.operation_id == operation_id)).all()}
    sites = {s.code: s.data for s in session.exec(select(m.TestingSite).where(
        m.TestingSite.operation_id == operation_id)).all()}
    departures = {f.code: _local(f.departure, tz) for f in session.exec(select(m.Flight).where(
        m.Flight.operation_id == operation_id)).all()}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for t in tests:
        start, end = _local(t.get("start"), tz), _local(t.get("end"), tz)
        if day and not start.startswith(day):
            continue
        flight = t.get("flight_id") or ""
        row: dict[str, Any] = {"site": t.get("site_id", ""), "day": start[:10], "time": f"{start[11:]}–{end[11:]}",
                               "flight": f"{flight} ({departures[flight]})" if flight in departures else flight}
        if t.get("escort_id"):
            data = escorts.get(t["escort_id"], {})
            row.update(_kind="escort", case=t["escort_id"], who=f"escort: {escort_role(data.get('role', ''))}",
                       location=data.get("location") or "")
        else:
            p = people.get(t.get("person_id") or "")
            if p is None or p.erased:
                names: dict[str, Any] = {"family": ERASED, "given": ERASED, "native": "", "dob": ERASED, "location": ""}
            else:
                names = {"family": p.family_name, "given": p.given_name, "native": p.name_native,
                         "dob": p.date_of_birth.isoformat() if p.date_of_birth else "", "location": p.location}
            row.update(_kind="passenger", case=t.get("person_id") or "", who="returnee", **names)
        groups.setdefault((row["site"], row["day"]), []).append(row)
    sections = []
    for (site_id, on), rows in sorted(groups.items()):
        rows.sort(key=lambda r: (r["time"], r["_kind"] == "escort", r["case"]))
        info = sites.get(site_id, {})
        facts = [("Testing site", site_id), ("Day", on)]
        if info.get("serves"):
            facts.append(("For people staying at", ", ".join(str(x) for x in info["serves"])))
        if info.get("open") and info.get("close"):
            facts.append(("Open", f"{str(info['open'])[:5]}–{str(info['close'])[:5]}"))
        escorts_here = sum(1 for r in rows if r["_kind"] == "escort")
        totals = [("Samples", len(rows)), ("Returnees", len(rows) - escorts_here), ("Escorts", escorts_here)]
        sections.append(Section(title=f"{site_id}, {on}", facts=facts, rows=rows, totals=totals))
    status, words = plan_status(plan)
    scope = " · ".join(x for x in (f"site {site}" if site else "", f"day {day}" if day else "") if x)
    return Document(kind="schedule", title="Testing schedule",
                    subtitle=f"{op.name} · plan {plan.number}" + (f" · {scope}" if scope else ""),
                    status=status, status_words=words, columns=SCHEDULE_COLUMNS, sections=sections,
                    signatures=SCHEDULE_SIGNATURES, generated=generated_at(tz))
