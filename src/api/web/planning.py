"""What the planning pages read: plans by their number, solve jobs, a flight's passengers and seat map, the
change list between two plans, and chart geometry for comparisons (docs/web.md, "Planning pages").

Plans are named by their `number` within the operation everywhere on the pages (URLs, headings, labels); the
database id only travels to the API's functions. Plan documents never change once stored except for the
flight locks publishing adds, so parsed documents and rendered seat maps are kept in memory per plan and per
caseload revision (`api.export_cache`).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from api import models as m
from api.export_cache import cache_for
from api.problems import not_found

log = logging.getLogger("api.web")
SVG_NS = "http://www.w3.org/2000/svg"
ACTIVE = ("queued", "running")

# ------------------------------------------------------------------------------------------------ plans


def plan_by_number(session: Session, operation_id: int, number: int) -> m.Plan:
    """The plan the pages call "plan N": its number within the operation (unique there), never its id."""
    plan = session.exec(select(m.Plan).options(defer(m.Plan.summary), defer(m.Plan.variant))  # type: ignore[arg-type]
                        .where(m.Plan.operation_id == operation_id, m.Plan.number == number)).first()
    if plan is None:
        raise not_found("plan", number)
    return plan


def plans(session: Session, operation_id: int, limit: int = 200) -> list[m.Plan]:
    """The operation's plan versions, newest first (what-if plans included; the page marks them)."""
    return list(session.exec(select(m.Plan).options(defer(m.Plan.summary))  # type: ignore[arg-type]
                             .where(m.Plan.operation_id == operation_id)
                             .order_by(col(m.Plan.number).desc()).limit(limit)).all())


def numbers_by_id(session: Session, operation_id: int) -> dict[int, int]:
    """Plan id -> plan number, to show jobs' and plans' references by number."""
    return {i: n for i, n in session.execute(select(m.Plan.id, m.Plan.number).where(  # type: ignore[call-overload]
        m.Plan.operation_id == operation_id)).all()}


def plan_body(session: Session, plan: m.Plan) -> Any:
    """The parsed plan document (planner.model.plan.Plan), kept per plan and version (publishing adds locks)."""
    from planner.model.plan import Plan

    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    key = ("web.plan_body", plan.id, plan.version)
    body = cache.get(key)
    if body is None:
        from api.web.data import building

        with building(session, plan.operation_id):  # one parse, even when the warm-up is at it
            body = cache.get(key)
            if body is None:
                body = Plan.model_validate_json(m.plan_json(session, plan.id or 0))
                cache.put(key, body)
    return body


def scenario(session: Session, operation_id: int) -> Any:
    """The operation as a planner scenario, built once per caseload revision (seconds at 7,000 people)."""
    from api.convert import build_scenario

    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    op = session.get(m.Operation, operation_id)
    key = ("web.scenario", operation_id, cache.revision(operation_id), op.version if op else 0)
    built = cache.get(key)
    if built is None:
        from api.web.data import building

        with building(session, operation_id):
            built = cache.get(key)
            if built is None:
                built = build_scenario(session, operation_id)
                cache.put(key, built)
    return built


# ------------------------------------------------------------------------------------------------- jobs


def jobs(session: Session, operation_id: int, limit: int = 20) -> list[m.SolveJob]:
    return list(session.exec(select(m.SolveJob).where(m.SolveJob.operation_id == operation_id)
                             .order_by(col(m.SolveJob.id).desc()).limit(limit)).all())


def active_job(session: Session, operation_id: int) -> m.SolveJob | None:
    """The operation's own solve still queued or running (what-if runs are listed with their variants)."""
    return session.exec(select(m.SolveJob).where(
        m.SolveJob.operation_id == operation_id, col(m.SolveJob.variant_id).is_(None),
        col(m.SolveJob.status).in_(ACTIVE)).order_by(col(m.SolveJob.id).desc())).first()


def get_job(session: Session, operation_id: int, job_id: int) -> m.SolveJob:
    job = session.get(m.SolveJob, job_id)
    if job is None or job.operation_id != operation_id:
        raise not_found("solve job", job_id)
    return job


def job_progress(job: m.SolveJob, plan_number: int | None) -> dict[str, Any]:
    """What the progress bar shows, as the JSON the page's script polls (no personal data)."""
    elapsed = job.elapsed or 0.0
    if job.status == "running" and job.started_at is not None:
        started = job.started_at if job.started_at.tzinfo else job.started_at.replace(tzinfo=UTC)
        elapsed = max(elapsed, (datetime.now(UTC) - started).total_seconds())
    share = 1.0 if job.status not in ACTIVE else min(0.99, elapsed / job.time_limit) if job.time_limit else 0.0
    return {
        "id": job.id, "status": job.status, "stage": job.stage, "message": job.message,
        "objective": job.objective, "bound": job.bound,
        "gap": None if job.gap is None else round(job.gap, 4), "elapsed": round(elapsed, 1),
        "time_limit": job.time_limit, "share": round(share, 3), "done": job.status not in ACTIVE,
        "stop_requested": job.stop_requested, "plan_number": plan_number, "error": job.error,
    }


# -------------------------------------------------------------------------------------------- a flight


@dataclass
class Traveller:
    case_id: str
    name: str
    name_native: str
    sex: str
    age: int | None
    seat: str | None
    lap_of: str | None
    provisional: bool
    needs: list[str]
    test: str | None


@dataclass
class HouseholdGroup:
    household_id: str
    code: str
    colour: str
    palette: int  # index into planner.seating.render.PALETTE (CSS class hh-c<index>)
    members: list[Traveller] = field(default_factory=list)


@dataclass
class FlightPage:
    flight: m.Flight
    households: list[HouseholdGroup]
    passengers: int
    lap_infants: int
    escorts: list[tuple[str, str, str | None, list[str]]]  # code, id, seat, serves
    svg: str | None
    seat_count: int | None


def _age(born: Any, on: datetime) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def needs(person: m.Person, words: Callable[[str, str], str]) -> list[str]:
    """A person's needs in words: mobility, medical escort, pregnancy, child protection, vulnerabilities."""
    out = []
    if person.mobility and person.mobility != "none":
        out.append(words("mobility", person.mobility))
    if person.fitness == "fit_with_escort":
        out.append(words("fitness", person.fitness))
    if person.pregnant:
        out.append(words("flag", "pregnant"))
    if person.unaccompanied_minor:
        out.append(words("flag", "unaccompanied_minor"))
    for code in (person.vulnerabilities or "").split(";"):
        if code and code not in ("pregnant", "uasc"):
            out.append(words("vulnerability", code))
    return out


def flight_page(session: Session, operation_id: int, plan: m.Plan, flight_id: str,
                words: Callable[[str, str], str]) -> FlightPage:
    """A flight of a plan: its passengers grouped by household (in seat order), escorts and the seat map."""
    from planner.seating.render import PALETTE, household_code, household_colour

    flight = session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id,
                                                 m.Flight.code == flight_id)).first()
    body = plan_body(session, plan)
    fp = next((f for f in body.flights if f.flight_id == flight_id), None)
    if fp is None and flight is None:
        raise not_found("flight", flight_id)
    A, P = m.Assignment, m.Person
    rows = session.execute(select(A, P).join(P, (P.case_id == A.case_id) & (P.operation_id == operation_id))
                           .where(A.plan_id == plan.id, A.flight_id == flight_id)).all()
    departure = datetime.fromisoformat(flight.departure) if flight else datetime.now(UTC)
    by_household: dict[str, HouseholdGroup] = {}
    seat_key = _seat_order
    ordered = sorted(rows, key=lambda r: (seat_key(r[0].seat or _seat_of(rows, r[0].lap_of)), r[0].case_id))
    for a, p in ordered:
        group = by_household.get(p.household_id)
        if group is None:
            code = household_code(len(by_household))
            colour = household_colour(code)
            group = by_household[p.household_id] = HouseholdGroup(p.household_id, code, colour,
                                                                   PALETTE.index(colour))
        test = None
        if a.test_site:
            test = f"{a.test_site} {(a.test_start or '')[:16].replace('T', ' ')}"
        group.members.append(Traveller(
            p.case_id, f"{p.given_name} {p.family_name}".strip(), p.name_native or "", p.sex,
            _age(p.date_of_birth, departure), a.seat, a.lap_of, a.provisional, needs(p, words), test))
    escorts = []
    if fp is not None:
        for i, e in enumerate(sorted(fp.escorts, key=lambda e: e.escort_id)):
            escorts.append((f"E{i + 1}", e.escort_id, e.seat, list(e.serves)))
    laps = sum(1 for a, _ in rows if a.lap_of)
    return FlightPage(flight, list(by_household.values()), len(rows), laps,  # type: ignore[arg-type]
                      escorts, None, None)


def _seat_of(rows: list[Any], case_id: str | None) -> str | None:
    for a, _ in rows:
        if a.case_id == case_id:
            return a.seat  # type: ignore[no-any-return]
    return None


def _seat_order(seat: str | None) -> tuple[int, str]:
    if not seat:
        return (10_000, "")
    digits = "".join(ch for ch in seat if ch.isdigit())
    return (int(digits) if digits else 10_000, seat)


def seat_map_svg(session: Session, operation_id: int, plan: m.Plan, flight_id: str,
                 label: Callable[[str], str | None], cache_tag: str) -> str | None:
    """The planner's seat-map SVG (`planner.seating.render.render_svg`) made part of the page: its English
    legend and escort list are left to the page (translated), and each occupied seat becomes a focusable group
    whose `<title>` and accessible name say who sits there and what they need (`label(seat)`)."""
    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    op = session.get(m.Operation, operation_id)
    key = ("web.seatmap", plan.id, plan.version, flight_id, cache.revision(operation_id),
           op.version if op else 0, cache_tag)
    cached = cache.get(key)
    if cached is not None:
        return str(cached) if cached else None
    from planner.seating.render import render_svg

    body = plan_body(session, plan)
    if not any(f.flight_id == flight_id and any(p.seat for p in f.passengers) for f in body.flights):
        cache.put(key, "")
        return None
    try:
        raw = render_svg(scenario(session, operation_id), body, flight_id)
    except Exception as exc:  # a flight the current data no longer describes: the list below still stands
        log.warning("seat map of a flight not drawn: %s", type(exc).__name__)
        return None
    svg = _make_interactive(raw, label)
    cache.put(key, svg)
    return svg


def _make_interactive(raw: str, label: Callable[[str], str | None]) -> str:
    root = ET.fromstring(raw)
    q = f"{{{SVG_NS}}}"
    bottom = 0.0
    for g in list(root):
        if g.tag == f"{q}g" and g.get("id") in ("legend", "escorts"):
            root.remove(g)
    for g in root.iter(f"{q}g"):
        title = g.find(f"{q}title")
        rect = g.find(f"{q}rect")
        if title is None or rect is None or not title.text:
            continue
        bottom = max(bottom, float(rect.get("y", 0)) + float(rect.get("height", 0)))
        seat = title.text.split(":", 1)[0]
        words = label(seat)
        g.set("class", "seat")
        if words:
            title.text = words
            g.set("tabindex", "0")
            g.set("role", "img")
            g.set("aria-label", words)
            g.set("class", "seat seat-taken")
        else:
            g.remove(title)
            g.set("aria-hidden", "true")
    for t in root.findall(f"{q}title"):
        root.remove(t)
    width = root.get("width", "520")
    height = int(bottom + 12) if bottom else int(float(root.get("height", "400")))
    root.set("height", str(height))
    root.set("viewBox", f"0 0 {width} {height}")
    root.set("class", "seatmap")
    root.set("role", "group")
    root.set("font-family", "sans-serif")
    # Plain tag names and one xmlns, not ElementTree's global prefix registry: a library that registers its
    # own prefix for SVG (WeasyPrint does) would otherwise turn <svg> into <svg:svg>, which HTML does not draw.
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(q):
            element.tag = element.tag[len(q):]
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="unicode")


# -------------------------------------------------------------------------------------- changes in words


@dataclass
class ChangeLine:
    case_id: str
    name: str
    kind: str
    before: str | None
    after: str | None
    reason: str
    reason_code: str = ""


def change_lines(session: Session, operation_id: int, comparison: dict[str, Any]) -> list[ChangeLine]:
    """The API's per-person comparison (`api.routers.plans.compare_plans`) with names, one line per change."""
    ids = [c["case_id"] for c in comparison["changes"]]
    names: dict[str, str] = {}
    for chunk in range(0, len(ids), 500):
        for case_id, given, family in session.execute(select(m.Person.case_id, m.Person.given_name,  # type: ignore[call-overload]
                                                             m.Person.family_name).where(
                m.Person.operation_id == operation_id, col(m.Person.case_id).in_(ids[chunk:chunk + 500]))).all():
            names[case_id] = f"{given} {family}".strip()
    out = []
    for c in comparison["changes"]:
        for d in c["details"]:
            code, reason = _reason(d.get("reason") or "")
            out.append(ChangeLine(c["case_id"], names.get(c["case_id"], ""), d["kind"], _moment(d.get("before")),
                                  _moment(d.get("after")), reason, code))
    order = {"added": 0, "dropped": 1, "moved_flight": 2, "moved_seat": 3, "retest": 4}
    out.sort(key=lambda x: (order.get(x.kind, 9), x.case_id))
    return out


def _reason(text: str) -> tuple[str, str]:
    """"gate.isolation: in isolation ..." -> ("gate.isolation", "in isolation ..."): the code is shown in words."""
    code, sep, rest = text.partition(": ")
    if sep and "." in code and " " not in code:
        return code, rest
    return "", text


def _moment(value: str | None) -> str | None:
    """Sample starts are ISO moments ("2022-03-19T16:00:00+03:00"): shown as "2022-03-19 16:00"."""
    if value and len(value) >= 16 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return value


# --------------------------------------------------------------------------------------------- charts


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    text: str
    series: int


@dataclass
class GroupedChart:
    """Bars per category (x) and series (columns of a comparison), drawn by the template as SVG."""

    width: int
    height: int
    bars: list[Bar]
    categories: list[tuple[float, str]]
    ticks: list[tuple[float, str]]
    series: list[str]
    plot_left: int
    plot_bottom: float
    caps: list[tuple[float, float, float]] = field(default_factory=list)  # x1, x2, y of capacity marks


def grouped_chart(categories: list[str], series: list[str], values: list[list[float | None]],
                  caps: list[list[float | None]] | None = None, ratio: bool = False,
                  bar_w: int = 22) -> GroupedChart | None:
    """values[category][series]; caps (same shape) draws a capacity mark over a bar."""
    if not categories or not series:
        return None
    top = max([v or 0 for row in values for v in row] + [c or 0 for row in (caps or []) for c in row] + [1e-9])
    if ratio:
        top = max(top, 1.0)
        step = 0.25 if top <= 1.0 else 0.5
        top = step * -(-top // step)
        tick_values = [i * step for i in range(round(top / step) + 1)]
    else:
        top_int = max(1, int(-(-top // 1)))
        step_i = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)
                       if top_int / s <= 6), 20000)
        top = float(-(-top_int // step_i) * step_i)
        tick_values = [float(v) for v in range(0, int(top) + 1, step_i)]
    left, upper, bottom = 56, 14, 40
    gap, group_gap = 3, 18
    bars_w = len(series) * (bar_w + gap) - gap
    group_w = max(bars_w, 120)  # room for the category's label under it
    width = left + 12 + len(categories) * (group_w + group_gap)
    height = 260
    plot_h = height - upper - bottom
    bars, cats, marks = [], [], []
    x = float(left + group_gap / 2)
    for ci, name in enumerate(categories):
        x0 = x
        x += (group_w - bars_w) / 2
        for si in range(len(series)):
            v = values[ci][si]
            h = plot_h * (v or 0) / top
            text = "—" if v is None else (f"{v:.0%}" if ratio else f"{v:g}")
            bars.append(Bar(x + si * (bar_w + gap), upper + plot_h - h, bar_w, h, v or 0, text, si))
            cap = caps[ci][si] if caps else None
            if cap:
                cy = upper + plot_h - plot_h * cap / top
                marks.append((x + si * (bar_w + gap) - 2, x + si * (bar_w + gap) + bar_w + 2, cy))
        cats.append((x0 + group_w / 2, name))
        x = x0 + group_w + group_gap
    ticks = [(upper + plot_h - plot_h * v / top, f"{v:.0%}" if ratio else f"{v:g}") for v in tick_values]
    return GroupedChart(max(int(width), 260), height, bars, cats, ticks, series, left, upper + plot_h, marks)
