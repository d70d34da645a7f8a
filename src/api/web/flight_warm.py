"""Every flight page of a plan built in the background, so that no officer's first view pays for it
(docs/web.md, "Speed").

A flight's first view per plan version builds its view (passengers, needs in words, the accessible seat map and
the rendered seat map and passenger table) and renders its load summary and airline sections (`Pages.kept`, once
per kind of reader): 100-250 ms of CPU at 230 passengers, while every later view reads them from memory; its CSV
manifest (15-20 ms) likewise.
Officers open the flights of a new plan right after it is stored, so the pages are built once, one flight after the
other on one thread, as soon as the solve has stored its plan (`JobManager.plan_hooks`) and after sign-in for each
operation's current plan. A page arriving while a part is being built waits for that build
(`ExportCache.get_or_build`). The view and the sections are built in the default language, the sections for
officers and for the other readers (the CSRF token's slot stays in the kept airline section, filled per request);
a page in another language builds its own on its first view.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import models as m
from api.heap import settle
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
            settle()  # the pages just built live as long as the plan version (api.heap)
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
    """The view and rendered body of every flight of the plan, its load summary and airline sections rendered
    for both kinds of reader (officers, who may download and act, and the others), all in the default language,
    and its CSV manifest (the API's default format), each flight in its own short session; returns the number
    of flights built."""
    from api.routers.exports import manifest_file
    from api.web import data, routes_airline, routes_load
    from api.web.flight_view import flight_body, flight_view
    from api.web.planning import plan_body

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
            for officer in (False, True):  # the page's two kinds of reader, each with its own kept sections
                routes_load.kept_section(pages, engine, i18n.DEFAULT, op, plan, flight_id, officer)
                routes_airline.kept_section(pages, engine, i18n.DEFAULT, op, plan, flight_id, officer)
            manifest_file(session, op, plan, flight_id, "csv")  # the airline's manifest, downloaded again and again
            built += 1
    return built
