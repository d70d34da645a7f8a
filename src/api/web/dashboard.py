"""What the dashboard shows beyond the flights: the funnel from registration to the flight and the lab load.

Rules come from the planner (`planner.rules.gates`, `planner.model.caseload`, `planner.rules.testing_windows`),
counts of a plan from its stored rows (`Assignment`) and its document's KPIs, so the dashboard says what the
planner and the API say. Everything here is kept per caseload revision and plan version (`api.export_cache`).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from api import models as m
from api.export_cache import cache_for
from api.web import people_search
from api.web.data import building, current_plan
from api.web.flight_warm import warm_plan

log = logging.getLogger("api.web")

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


def _facts(session: Session, operation_id: int) -> _Facts:
    engine = session.get_bind()
    cache = cache_for(engine)
    op = session.get(m.Operation, operation_id)
    key = ("web.funnel", operation_id, cache.revision(operation_id), op.version if op else 0)
    cached: _Facts | None = cache.get(key)
    if cached is not None:
        return cached
    with building(session, operation_id):
        cached = cache.get(key)
        if cached is None:
            cached = _build_facts(session, operation_id)
            cache.put(key, cached)
    return cached


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


def funnel(session: Session, operation_id: int, plan: m.Plan | None) -> Funnel:
    """People per stage: overall, per destination and per vulnerability (derived ones included); counted once
    per caseload revision and plan version (a pass over every person, tens of ms at 7,000)."""
    cache = cache_for(session.get_bind())
    op = session.get(m.Operation, operation_id)
    key = ("web.funnel_counts", operation_id, cache.revision(operation_id), op.version if op else 0,
           plan.id if plan else None, plan.version if plan else None)
    found: Funnel | None = cache.get(key)
    if found is None:
        found = _funnel(session, operation_id, plan)
        cache.put(key, found)
    return found


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


def warm(engine: Any, pages: Any = None) -> None:
    """Build what every operation's dashboard needs in the background (at 7,000 people the first dashboard
    otherwise waits seconds for the scenario, the gates and the plan's document): started when someone signs in
    or opens the operations list; a page asking meanwhile waits for this build rather than starting its own.
    Given the app's `pages`, then the flight pages of each operation's current plan, through `warm_plan`, which
    builds them once per plan version even when a solve's warm-up is building them at the same time."""
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
                    people_search.roster(session, op_id or 0)  # the people list's filters and pages
                    people_search.plan_status(session, op_id or 0, plan)
                    if pages is not None and plan is not None and plan.id is not None:
                        warm_plan(engine, pages, plan.id)  # once per plan version, also when a solve just did
        except Exception:  # a warm-up only: the page builds what it needs itself
            log.warning("warming the web pages' caches failed", exc_info=False)
        finally:
            engine._web_warming = False

    threading.Thread(target=run, name="web-warm", daemon=True).start()


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
    daily lab capacity where it sets one; kept per caseload revision and plan version (the sites' capacities
    come from a scenario built for them, too slow to build on every dashboard)."""
    if plan is None or plan.id is None:
        return []
    cache = cache_for(session.get_bind())
    op = session.get(m.Operation, operation_id)
    key = ("web.lab_load", operation_id, cache.revision(operation_id), op.version if op else 0, plan.id,
           plan.version)
    found = cache.get(key)
    if found is None:
        found = _lab_load(session, operation_id, plan)
        cache.put(key, found)
    return list(found)


def _lab_load(session: Session, operation_id: int, plan: m.Plan) -> list[LabDay]:
    from planner.rules.lab_capacity import daily_capacities

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
