"""What the pages show, read from the store: current plan, funnel, flight fill, lab load, people search.

Rules come from the planner (`planner.rules.gates`, `planner.model.caseload`, `planner.rules.testing_windows`),
counts of a plan from its stored rows (`Assignment`, `Plan.summary`), so the pages say what the planner and the API say.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, or_
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from api import models as m
from api.export_cache import cache_for

log = logging.getLogger("api.web")

# --------------------------------------------------------------------------------------------- the plan


def current_plan(session: Session, operation_id: int) -> m.Plan | None:
    """The plan the pages report against: the newest published plan of the operation itself, else its newest
    draft (what-if plans of variants never count)."""
    base = select(m.Plan).options(defer(m.Plan.variant)).where(  # type: ignore[arg-type]
        m.Plan.operation_id == operation_id, col(m.Plan.variant_id).is_(None))
    published = session.exec(base.where(m.Plan.state == "published").order_by(col(m.Plan.number).desc())).first()
    return published or session.exec(base.order_by(col(m.Plan.number).desc())).first()


@dataclass
class OperationRow:
    op: m.Operation
    people: int
    flights: int
    plan: m.Plan | None


def operations_overview(session: Session) -> list[OperationRow]:
    """Every operation with its size and current plan (a handful of operations: one query each is fine)."""
    people = dict(session.execute(select(m.Person.operation_id, func.count()).where(  # type: ignore[call-overload]
        m.Person.erased == False).group_by(m.Person.operation_id)).all())  # noqa: E712
    flights = dict(session.execute(select(m.Flight.operation_id, func.count())  # type: ignore[call-overload]
                                   .group_by(m.Flight.operation_id)).all())
    ops = session.exec(select(m.Operation).order_by(m.Operation.id)).all()
    return [OperationRow(op, people.get(op.id, 0), flights.get(op.id, 0), current_plan(session, op.id or 0))
            for op in ops]


# ------------------------------------------------------------------------------------------- the funnel

#: Funnel stages, each counting the people who also passed every earlier one. The gate stages use the
#: planner's gates (`planner.rules.gates.GATES`) at the operation's `as_of`; the last two come from the plan.
STAGES = ("registered", "consented", "documented", "exit_cleared", "fit", "tested", "on_flight")
#: The stage (index into STAGES) a person reaches when this is the first gate they fail: failing consent
#: leaves them registered; failing UASC or isolation after passing fitness still leaves them short of "fit",
#: which means every personal gate passed.
_REACHED = {"gate.consent": 0, "gate.document": 1, "gate.exit_clearance": 2, "gate.fitness": 3,
            "gate.uasc": 3, "gate.isolation": 3}
_ALL_GATES = 4


@dataclass
class Funnel:
    total: dict[str, int]
    by_destination: dict[str, dict[str, int]]
    by_vulnerability: dict[str, dict[str, int]]
    plan_number: int | None


@dataclass
class _Facts:
    """Per person, computed once per caseload revision: destination, vulnerabilities, stage reached by gates."""

    people: dict[str, tuple[str, tuple[str, ...], int]] = field(default_factory=dict)


_BUILDING: dict[tuple[int, int], threading.RLock] = {}
_BUILDING_LOCK = threading.Lock()


def building(session: Session, operation_id: int) -> threading.RLock:
    """One lock per database and operation: a page arriving while the warm-up (or another page) builds the
    operation's facts waits for that build instead of starting a second one on the same cores."""
    key = (id(session.get_bind()), operation_id)
    with _BUILDING_LOCK:
        return _BUILDING.setdefault(key, threading.RLock())


def _facts(session: Session, operation_id: int) -> _Facts:
    engine = session.get_bind()
    cache = cache_for(engine)  # type: ignore[arg-type]
    op = session.get(m.Operation, operation_id)
    key = ("web.funnel", operation_id, cache.revision(operation_id), op.version if op else 0)
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    with building(session, operation_id):
        cached = cache.get(key)
        if cached is None:
            cached = _build_facts(session, operation_id)
            cache.put(key, cached)
    return cached  # type: ignore[no-any-return]


def _build_facts(session: Session, operation_id: int) -> _Facts:
    from api.web.planning import scenario as cached_scenario
    from planner.model.caseload import derived_vulnerabilities, households
    from planner.rules.gates import first_failure

    scenario = cached_scenario(session, operation_id)
    facts = _Facts()
    for household in households(scenario):
        for person in household.members:
            failure = first_failure(person, household, None, scenario)
            reached = _ALL_GATES if failure is None else _REACHED.get(failure.code, 3)
            facts.people[person.case_id] = (person.destination,
                                            tuple(derived_vulnerabilities(person, household, scenario)), reached)
    return facts


def warm(engine: Any) -> None:
    """Build what every operation's dashboard needs in the background (at 7,000 people the first dashboard
    otherwise waits seconds for the scenario, the gates and the plan's document): started when someone signs in
    or opens the operations list; a page asking meanwhile waits for this build rather than starting its own."""
    if getattr(engine, "_web_warming", False):
        return
    engine._web_warming = True

    def run() -> None:
        try:
            with Session(engine) as session:
                for op_id in session.exec(select(m.Operation.id)).all():
                    plan = current_plan(session, op_id or 0)
                    funnel(session, op_id or 0, plan)  # the scenario, the gates and the counts
                    lab_load(session, op_id or 0, plan)  # the plan's document, shared with the flight pages
        except Exception:  # a warm-up only: the page builds what it needs itself
            log.warning("warming the web pages' caches failed", exc_info=False)
        finally:
            engine._web_warming = False

    threading.Thread(target=run, name="web-warm", daemon=True).start()


def funnel(session: Session, operation_id: int, plan: m.Plan | None) -> Funnel:
    """People per stage: overall, per destination and per vulnerability (derived ones included); counted once
    per caseload revision and plan version (a pass over every person, tens of ms at 7,000)."""
    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    op = session.get(m.Operation, operation_id)
    key = ("web.funnel_counts", operation_id, cache.revision(operation_id), op.version if op else 0,
           plan.id if plan else None, plan.version if plan else None)
    found = cache.get(key)
    if found is None:
        found = _funnel(session, operation_id, plan)
        cache.put(key, found)
    return found  # type: ignore[no-any-return]


def _funnel(session: Session, operation_id: int, plan: m.Plan | None) -> Funnel:
    facts = _facts(session, operation_id)
    tested: set[str] = set()
    flying: set[str] = set()
    if plan is not None:
        for case_id, flight_id, test_start in session.execute(
                select(m.Assignment.case_id, m.Assignment.flight_id, m.Assignment.test_start)
                .where(m.Assignment.plan_id == plan.id)).all():
            if flight_id:
                flying.add(case_id)
            if flight_id or test_start:
                tested.add(case_id)
    total: Counter[str] = Counter()
    by_dest: dict[str, Counter[str]] = defaultdict(Counter)
    by_vuln: dict[str, Counter[str]] = defaultdict(Counter)
    for case_id, (destination, vulns, reached) in facts.people.items():
        stages = list(STAGES[:reached + 1])
        if case_id in tested:
            stages.append("tested")
        if case_id in flying:
            stages.append("on_flight")
        for counter in (total, by_dest[destination], *(by_vuln[v] for v in vulns)):
            counter.update(stages)
    full = lambda c: {s: c.get(s, 0) for s in STAGES}  # noqa: E731
    return Funnel(full(total), {d: full(c) for d, c in sorted(by_dest.items())},
                  {v: full(c) for v, c in sorted(by_vuln.items())}, plan.number if plan else None)


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
    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
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


# ------------------------------------------------------------------------------------------- lab load

_DOCUMENTS: dict[tuple[int, int, int], dict[str, Any]] = {}


@dataclass
class LabDay:
    site: str
    day: date
    tests: int
    capacity: int | None


def lab_load(session: Session, operation_id: int, plan: m.Plan | None) -> list[LabDay]:
    """Samples per testing site and local day as the plan counted them (escorts included), with the site's
    daily lab capacity where it sets one."""
    if plan is None or plan.id is None:
        return []
    from planner.rules.testing_windows import daily_capacities

    kpis = _plan_kpis(session, plan)
    per_site: dict[str, dict[str, int]] = kpis.get("tests_by_site_day", {})
    capacity: dict[tuple[str, date], int] = {}
    try:
        capacity = daily_capacities(_sites_scenario(session, operation_id))
    except Exception:
        capacity = {}
    out = []
    for site, days in sorted(per_site.items()):
        for day, n in sorted(days.items()):
            d = date.fromisoformat(day)
            out.append(LabDay(site, d, int(n), capacity.get((site, d))))
    return out


def _plan_kpis(session: Session, plan: m.Plan) -> dict[str, Any]:
    """The `kpis` of a stored plan document, from the parsed document the flight pages share
    (`planning.plan_body`: parsed once per plan version, about 0.3 s at 7,000 people)."""
    from api.web.planning import plan_body

    key = (id(session.get_bind()), plan.id or 0, plan.version)
    kpis = _DOCUMENTS.get(key)
    if kpis is None:
        kpis = plan_body(session, plan).kpis.model_dump(mode="json")
        if len(_DOCUMENTS) > 64:
            _DOCUMENTS.clear()
        _DOCUMENTS[key] = kpis
    return kpis


def _sites_scenario(session: Session, operation_id: int) -> Any:
    from planner.model.scenario import Scenario, TestingSite

    op = session.get(m.Operation, operation_id)
    sites = [TestingSite.model_validate(s.data) for s in session.exec(
        select(m.TestingSite).where(m.TestingSite.operation_id == operation_id)).all()]
    return Scenario.model_construct(name=op.name if op else "", timezone=op.timezone if op else "UTC",
                                    as_of=datetime.fromisoformat(op.as_of) if op else None, testing_sites=sites)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    capacity: int | None
    over: bool
    cap_y: float | None


@dataclass
class Chart:
    """Geometry of the lab-load bar chart (drawn as SVG by the template, no script)."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]
    groups: list[tuple[float, float, str]]
    top: int
    plot_left: int
    plot_bottom: int


def lab_chart(days: list[LabDay]) -> Chart | None:
    if not days:
        return None
    top = max(max(d.tests for d in days), max((d.capacity or 0) for d in days), 1)
    step = _nice_step(top)
    top = -(-top // step) * step
    left, right, upper, bottom = 48, 12, 12, 56
    bar_w, gap, group_gap = 34, 8, 24
    sites: list[str] = []
    for d in days:
        if d.site not in sites:
            sites.append(d.site)
    n_groups = len(sites)
    width = left + right + len(days) * (bar_w + gap) + (n_groups - 1) * group_gap
    height = 240
    plot_h = height - upper - bottom
    bars, groups = [], []
    x = float(left)
    for site in sites:
        start = x
        for d in (d for d in days if d.site == site):
            h = plot_h * d.tests / top
            cap_y = upper + plot_h - plot_h * d.capacity / top if d.capacity else None
            bars.append(Bar(x, upper + plot_h - h, bar_w, h, d.day.strftime("%d %b"), d.tests, d.capacity,
                            bool(d.capacity and d.tests > d.capacity), cap_y))
            x += bar_w + gap
        groups.append((start, x - gap, site))
        x += group_gap
    ticks = [(upper + plot_h - plot_h * v / top, v) for v in range(0, top + 1, step)]
    return Chart(max(width, 240), height, bars, ticks, groups, top, left, upper + plot_h)


def _nice_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 6:
            return step
    return 10_000


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
        select(E.action, E.resource, func.count(), func.max(E.at))  # type: ignore[call-overload]
        .where(E.operation_id == operation_id, E.at > since,
               col(E.action).in_(("create", "update", "delete", "import", "erase", "events")))
        .group_by(E.action, E.resource).order_by(func.max(E.at).desc())).all()
    return [Change(a, r, int(n), last) for a, r, n, last in rows]


# --------------------------------------------------------------------------------------------- people


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
    cache = cache_for(session.get_bind())  # type: ignore[arg-type]
    key = ("web.filter_choices", operation_id, cache.revision(operation_id))
    found = cache.get(key)
    if found is None:
        found = _filter_choices(session, operation_id)
        cache.put(key, found)
    return found  # type: ignore[no-any-return]


def _filter_choices(session: Session, operation_id: int) -> dict[str, list[str]]:
    P = m.Person
    base = select(P.destination).where(P.operation_id == operation_id, P.erased == False)  # noqa: E712
    dest = sorted(d for d in session.exec(base.distinct()).all() if d)
    loc = sorted(x for x in session.exec(select(P.location).where(P.operation_id == operation_id,
                                                                    P.erased == False).distinct()).all() if x)  # noqa: E712
    return {"destination": dest, "location": loc}


def search_people(session: Session, operation_id: int, filters: PeopleFilters, plan: m.Plan | None,
                  limit: int, offset: int) -> tuple[int, list[m.Person], dict[str, m.Assignment]]:
    """One page of people matching the filters, in SQL (the caseload never leaves the database whole)."""
    from api.routers.people import _eligible

    P = m.Person
    stmt = select(P).where(P.operation_id == operation_id, P.erased == False)  # noqa: E712
    q = filters.q.strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(col(P.case_id).startswith(q, autoescape=True),
                              col(P.household_id).startswith(q, autoescape=True),
                              func.lower(P.given_name).contains(q.lower(), autoescape=True),
                              func.lower(P.family_name).contains(q.lower(), autoescape=True),
                              col(P.name_native).contains(q, autoescape=True),
                              func.lower(P.given_name + " " + P.family_name).like(like)))
    if filters.destination:
        stmt = stmt.where(P.destination == filters.destination)
    if filters.location:
        stmt = stmt.where(P.location == filters.location)
    if filters.vulnerability:
        stmt = stmt.where(col(P.vulnerabilities).contains(f";{filters.vulnerability};", autoescape=True))
    if filters.status in ("eligible", "ineligible"):
        op = session.get(m.Operation, operation_id)
        cond = _eligible(session, op)  # type: ignore[arg-type]
        stmt = stmt.where(cond if filters.status == "eligible" else ~cond)
    if filters.status in ("flying", "not_flying"):
        on = select(m.Assignment.case_id).where(m.Assignment.plan_id == (plan.id if plan else -1))
        on = on.where(col(m.Assignment.flight_id).is_not(None)) if filters.status == "flying" \
            else on.where(col(m.Assignment.flight_id).is_(None))
        stmt = stmt.where(col(P.case_id).in_(on))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = list(session.exec(stmt.order_by(P.case_id).offset(offset).limit(limit)).all())
    assignments: dict[str, m.Assignment] = {}
    if plan is not None and rows:
        for a in session.exec(select(m.Assignment).where(m.Assignment.plan_id == plan.id, col(
                m.Assignment.case_id).in_([r.case_id for r in rows]))).all():
            assignments[a.case_id] = a
    return total, rows, assignments


@dataclass
class ReasonGroup:
    code: str
    message: str
    flights: list[str]
    every_flight: bool


def grouped_reasons(reasons: list[dict[str, Any]], serving: int) -> list[ReasonGroup]:
    """The plan repeats a reason once per flight serving the destination; the page says it once, with the
    flights it concerns ("every flight" when it is all of them)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for r in reasons:
        groups.setdefault((r.get("code", ""), r.get("message", "")), []).append(r.get("flight_id") or "")
    out = []
    for (code, message), flights_ in groups.items():
        named = sorted(f for f in flights_ if f)
        out.append(ReasonGroup(code, message, named, serving > 1 and len(named) >= serving))
    return out


def household(session: Session, operation_id: int, household_id: str) -> list[m.Person]:
    return list(session.exec(select(m.Person).where(
        m.Person.operation_id == operation_id, m.Person.household_id == household_id,
        m.Person.erased == False).order_by(m.Person.case_id)).all())  # noqa: E712


def serving_flights(session: Session, operation_id: int, destination: str) -> int:
    """Flights with a stop at `destination` (the planner gives one reason per such flight)."""
    n = 0
    for f in session.exec(select(m.Flight).where(m.Flight.operation_id == operation_id)).all():
        if any(s.get("airport") == destination for s in f.data.get("stops", [])):
            n += 1
    return n
