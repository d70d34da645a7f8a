"""Every flight page of a plan built in the background, so that no officer's first view pays for it
(docs/web.md, "Speed").

A flight's first view per plan version builds its view (passengers, needs in words, the accessible seat map and
the rendered seat map and passenger table), its load summary and its airline section: 100-250 ms of CPU at 230
passengers, while every later view reads them from `api.export_cache`; its CSV manifest (15-20 ms) likewise.
Officers open the flights of a new plan right after it is stored, so the pages are built once, one flight after the
other on one thread, as soon as the solve has stored its plan (`JobManager.plan_hooks`) and after sign-in for each
operation's current plan. A page arriving while a part is being built waits for that build
(`ExportCache.get_or_build`). The view is built in the default language; a page in another language builds its own
on its first view.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import models as m
from api.web import i18n

log = logging.getLogger("api.web")
_RUNNING: set[tuple[int, int, int]] = set()
_RUNNING_LOCK = threading.Lock()


def warm_plan(engine: Engine, pages: Any, plan_id: int) -> None:
    """Build the flight pages of one stored plan on a background thread (once per plan version at a time)."""
    with Session(engine) as session:
        plan = session.get(m.Plan, plan_id)
        if plan is None:
            return
        key = (id(engine), plan_id, plan.version)
    with _RUNNING_LOCK:
        if key in _RUNNING:
            return
        _RUNNING.add(key)

    def run() -> None:
        try:
            build_flight_pages(engine, pages, plan_id)
        except Exception:  # a warm-up only: each page builds what it lacks itself
            log.warning("building the flight pages of plan %s in the background failed", plan_id, exc_info=False)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(key)

    threading.Thread(target=run, name="web-warm-flights", daemon=True).start()


def warm_job_plan(engine: Engine, pages: Any, job_id: int) -> None:
    """After a solve job ended: build the flight pages of the plan it stored, if it stored one."""
    with Session(engine) as session:
        job = session.get(m.SolveJob, job_id)
        plan_id = job.plan_id if job is not None else None
    if plan_id is not None:
        warm_plan(engine, pages, plan_id)


def build_flight_pages(engine: Engine, pages: Any, plan_id: int) -> int:
    """The view, rendered body, load summary and airline section of every flight of the plan, in the default
    language, and its CSV manifest (the API's default format), each flight in its own short session; returns
    the number of flights built."""
    from api.routers.exports import manifest_file
    from api.routers.load_summary import plan_flight_load
    from api.web import data
    from api.web.flight_view import flight_body, flight_view
    from api.web.planning import plan_body
    from api.web.routes_airline import section_facts

    i18n.activate(pages.catalogues.get(i18n.DEFAULT))
    with Session(engine) as session:
        plan = session.get(m.Plan, plan_id)
        if plan is None:
            return 0
        flight_ids = [f.flight_id for f in plan_body(session, plan).flights]
        data.flights(session, plan.operation_id, plan)
    built = 0
    for flight_id in flight_ids:
        with Session(engine) as session:
            plan = session.get(m.Plan, plan_id)
            op = session.get(m.Operation, plan.operation_id) if plan is not None else None
            if plan is None or op is None:
                return built
            view = flight_view(session, plan.operation_id, plan, flight_id, i18n.DEFAULT)
            flight_body(pages.env, view, op, plan)
            plan_flight_load(session, plan.operation_id, plan_id, flight_id)
            section_facts(session, plan, flight_id)
            manifest_file(session, op, plan, flight_id, "csv")  # the airline's manifest, downloaded again and again
            built += 1
    return built
