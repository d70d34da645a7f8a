"""A flight of a plan as its page shows it: passengers grouped by household in seat order, escorts, and the
planner's seat map made accessible (docs/web.md, "Planning pages").

The view is built once per plan version, caseload revision and language and then kept (`api.export_cache`),
with its seat map and passengers rendered as HTML on the first view (`flight_body`): officers open the same
flights again and again before a departure, and the seat titles, the needs in words and the households are the
same every time until the plan or the caseload changes.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from sqlmodel import Session, select

from api import models as m
from api.export_cache import cache_for, plan_stamp
from api.problems import not_found
from api.web import i18n, labels
from api.web.planning import plan_body, scenario

log = logging.getLogger("api.web")
SVG_NS = "http://www.w3.org/2000/svg"


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
    """What the flight page shows; plain values only (it is kept across requests, beyond any database session)."""

    departure: str | None  # None: the flight is only in the plan, no longer in the operation
    origin: str
    stops: list[str]
    aircraft: str
    households: list[HouseholdGroup]
    passengers: int
    lap_infants: int
    escorts: list[tuple[str, str, str | None, list[str]]]  # code, id, seat, serves
    svg: str | None
    seat_count: int | None
    body: str | None = None  # the seat map and passengers as HTML, once rendered (`flight_body`)


def flight_view(session: Session, operation_id: int, plan: m.Plan, flight_id: str, language: str) -> FlightPage:
    """The flight's page content in the active language, from the cache when the plan, the caseload and the
    operation are the versions it was built from (the revision is read before the data, as export_cache asks)."""
    def build() -> FlightPage:
        built = flight_page(session, operation_id, plan, flight_id, words)
        built.svg = seat_map_svg(session, operation_id, plan, flight_id, seat_labels(built).get)
        return built

    key = ("web.flight_view", flight_id, *plan_stamp(session, plan), language)
    view: FlightPage = cache_for(session.get_bind()).get_or_build(key, build)
    return view


def flight_body(env: Environment, view: FlightPage, op: m.Operation, plan: m.Plan) -> Markup:
    """The seat map and the passengers by household as HTML (plans/flight_body.html), rendered on the first view
    and kept with the view: they show no action and nothing that depends on the reader, the view is kept per
    language (the active one), and rendering 230 passengers was half of a page view's CPU."""
    if view.body is None:
        view.body = env.get_template("plans/flight_body.html").render(view=view, op=op, plan=plan)
    return Markup(view.body)


def _age(born: Any, on: datetime) -> int | None:
    if born is None:
        return None
    return int(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def words(kind: str, code: str) -> str:
    """A need's code in the active language."""
    if kind in ("mobility", "fitness"):
        return i18n.gettext_(labels.choice_label(kind, code))
    if kind == "vulnerability":
        return i18n.gettext_(labels.VULNERABILITIES.get(code, code))
    return i18n.gettext_(labels.FLAGS.get(code, code))


def needs(person: Any, words: Callable[[str, str], str]) -> list[str]:
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


def _passengers(session: Session, operation_id: int, plan: m.Plan, flight_id: str) -> list[Any]:
    """The flight's assignments with the few person fields the page shows (not whole rows)."""
    A, P = m.Assignment, m.Person
    return list(session.execute(
        select(A.case_id, A.seat, A.lap_of, A.provisional, A.test_site, A.test_start,  # type: ignore[call-overload,misc]
               P.household_id, P.given_name, P.family_name, P.name_native, P.sex, P.date_of_birth, P.mobility,
               P.fitness, P.pregnant, P.unaccompanied_minor, P.vulnerabilities)
        .join(P, (P.case_id == A.case_id) & (P.operation_id == operation_id))
        .where(A.plan_id == plan.id, A.flight_id == flight_id)).all())


def flight_page(session: Session, operation_id: int, plan: m.Plan, flight_id: str,
                words: Callable[[str, str], str]) -> FlightPage:
    """A flight of a plan: its passengers grouped by household (in seat order), escorts and the seat map."""
    from planner.seating.render import PALETTE, household_code, household_colour

    flight = session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id,
                                                 m.Flight.code == flight_id)).first()
    fp = next((f for f in plan_body(session, plan).flights if f.flight_id == flight_id), None)
    if fp is None and flight is None:
        raise not_found("flight", flight_id)
    rows = _passengers(session, operation_id, plan, flight_id)
    departure = datetime.fromisoformat(flight.departure) if flight else datetime.now(UTC)
    seats = {r.case_id: r.seat for r in rows}
    by_household: dict[str, HouseholdGroup] = {}
    for r in sorted(rows, key=lambda r: (_seat_order(r.seat or seats.get(r.lap_of)), r.case_id)):
        group = by_household.get(r.household_id)
        if group is None:
            code = household_code(len(by_household))
            colour = household_colour(code)
            group = by_household[r.household_id] = HouseholdGroup(r.household_id, code, colour,
                                                                   PALETTE.index(colour))
        test = f"{r.test_site} {(r.test_start or '')[:16].replace('T', ' ')}" if r.test_site else None
        group.members.append(Traveller(
            r.case_id, f"{r.given_name} {r.family_name}".strip(), r.name_native or "", r.sex,
            _age(r.date_of_birth, departure), r.seat, r.lap_of, r.provisional, needs(r, words), test))
    escorts = [] if fp is None else [(f"E{i + 1}", e.escort_id, e.seat, list(e.serves))
                                     for i, e in enumerate(sorted(fp.escorts, key=lambda e: e.escort_id))]
    laps = sum(1 for r in rows if r.lap_of)
    data = flight.data if flight else {}
    return FlightPage(flight.departure if flight else None, data.get("origin", ""),
                      [s.get("airport", "") for s in data.get("stops", [])], data.get("aircraft", ""),
                      list(by_household.values()), len(rows), laps, escorts, None, None)


def _seat_order(seat: str | None) -> tuple[int, str]:
    if not seat:
        return (10_000, "")
    digits = "".join(ch for ch in seat if ch.isdigit())
    return (int(digits) if digits else 10_000, seat)


def seat_labels(view: FlightPage) -> dict[str, str]:
    """Seat -> who sits there and what they need, in the active language (the seat map's titles)."""
    out: dict[str, str] = {}
    infants: dict[str, list[str]] = {}
    for group in view.households:
        for t in group.members:
            if t.lap_of:
                infants.setdefault(t.lap_of, []).append(t.name)
    for group in view.households:
        for t in group.members:
            if not t.seat:
                continue
            parts = [i18n.gettext_("%(seat)s: %(name)s (%(case)s), household %(code)s") % {
                "seat": t.seat, "name": t.name, "case": t.case_id, "code": group.code}]
            if t.age is not None:
                parts.append(i18n.gettext_("age %(n)s") % {"n": t.age})
            parts += t.needs
            for name in infants.get(t.case_id, []):
                parts.append(i18n.gettext_("carries the infant %(name)s") % {"name": name})
            out[t.seat] = ", ".join(parts)
    for code, escort_id, seat, serves in view.escorts:
        if seat:
            out[seat] = i18n.gettext_("%(seat)s: escort %(code)s (%(id)s)") % {
                "seat": seat, "code": code, "id": escort_id}
            if serves:
                out[seat] += ", " + i18n.gettext_("serves %(who)s") % {"who": ", ".join(serves)}
    return out


def seat_map_svg(session: Session, operation_id: int, plan: m.Plan, flight_id: str,
                 label: Callable[[str], str | None]) -> str | None:
    """The planner's seat-map SVG (`planner.seating.render.render_svg`) made part of the page: its English
    legend and escort list are left to the page (translated), and each occupied seat becomes a focusable group
    whose `<title>` and accessible name say who sits there and what they need (`label(seat)`). Kept with the
    rest of the flight's view (`flight_view`)."""
    from planner.seating.render import render_svg

    body = plan_body(session, plan)
    if not any(f.flight_id == flight_id and any(p.seat for p in f.passengers) for f in body.flights):
        return None
    try:
        raw = render_svg(scenario(session, operation_id), body, flight_id)
    except Exception as exc:  # a flight the current data no longer describes: the list below still stands
        log.warning("seat map of a flight not drawn: %s", type(exc).__name__)
        return None
    return _make_interactive(raw, label)


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
        said = label(seat)
        g.set("class", "seat")
        if said:
            title.text = said
            g.set("tabindex", "0")
            g.set("role", "img")
            g.set("aria-label", said)
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
