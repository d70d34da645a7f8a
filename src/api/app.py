"""The FastAPI app factory: settings, database and migrations, solve workers, routers, problem details."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import api.tables  # noqa: F401  (registers every table)
from api import problems
from api.auth import authenticate, route_min_role, token_from_scope
from api.body_limit import BodyLimit
from api.db import make_engine, migrate
from api.login_throttle import LoginThrottle
from api.problems import ApiProblem
from api.security_headers import SecurityHeaders
from api.settings import Settings, get_settings
from api.text_guard import TextGuard

log = logging.getLogger("api")
access_log = logging.getLogger("api.access")
PUBLIC_PATHS = {"/health", "/ready", "/api/v1/auth/token", "/docs"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Migrations run and interrupted jobs are marked before the first request."""
    settings = settings or get_settings()
    settings.check_production()
    settings = settings.model_copy(update={"secret_key": settings.resolved_secret()})
    engine = make_engine(settings.database_url, settings.sqlite_busy_timeout_ms)
    app = FastAPI(
        title="charterplan service",
        version="1",
        description="Plans voluntary return charter flights: caseload, flights, testing, solve jobs, exports.",
        lifespan=_lifespan(settings, engine),
        docs_url=None,  # served by api.web with assets shipped in the package
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    # what api.deps hands to routes (the job manager is added when the app starts)
    app.state.settings = settings
    app.state.engine = engine
    app.state.principals = {}  # see api.auth.authenticate
    app.state.login_throttle = LoginThrottle()
    app.state.fleet_slots = threading.BoundedSemaphore(settings.solve_workers)
    problems.install(app)
    _add_middleware(app, settings, engine)
    _add_service_routes(app, engine)
    _include_routers(app)
    from api import web

    web.mount(app, settings)
    _check_every_route_has_a_role(app)
    from api.memberships import refuse_unchecked_routes  # access per operation (docs/security.md)

    refuse_unchecked_routes(api_routes(list(app.routes)))
    from api.openapi_responses import install as document_responses

    document_responses(app, PUBLIC_PATHS)
    return app


def _lifespan(settings: Settings, engine: Engine) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.jobs import JobManager

        # Few request threads: with the GIL, forty runnable threads only make every request wait longer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        migrate(engine)
        manager = JobManager(engine, settings)
        manager.recover()
        app.state.jobs = manager
        if getattr(app.state, "pages", None) is not None:
            from api.web.flight_warm import warm_job_plan

            manager.plan_hooks.append(lambda job_id: warm_job_plan(engine, app.state.pages, job_id))
        if getattr(app.state, "demo", False):
            from api.demo import load_demo

            load_demo(engine, settings)
        from api.heap import settle

        settle()  # what starting built lives as long as the service (docs/web.md, "Speed")
        try:
            yield
        finally:
            manager.shutdown()
            # the pool's connections (file handles on SQLite, sockets on PostgreSQL) close now, not whenever the
            # app is collected: a process that builds many apps (the tests) ran out of file numbers
            engine.dispose()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings, engine: Engine) -> None:
    async def logged_in(scope: Scope) -> bool:
        """Whether the request carries a valid login (checked only for bodies past the anonymous limit)."""
        token = token_from_scope(scope)
        if not token:
            return False

        def check() -> bool:
            with Session(engine) as session:
                try:
                    authenticate(Request(scope), session, token)
                except ApiProblem:
                    return False
                return True

        return await anyio.to_thread.run_sync(check)

    # Outermost first once added: headers on every answer, then the access log (which also turns an escaped
    # error into a problem), the body limit, and the text guard, which reads bodies the limit has bounded.
    app.add_middleware(TextGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 64 * 1024, logged_in=logged_in)
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders)


def _add_service_routes(app: FastAPI, engine: Engine) -> None:
    @app.get("/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", tags=["service"])
    def ready() -> JSONResponse:
        """Readiness: the database answers and the schema is migrated."""
        try:
            with engine.connect() as conn:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "schema": revision})


def _include_routers(app: FastAPI) -> None:
    from api.routers import (
        airline,  # airline and border messages (docs/airline.md)
        auth_users,
        departure,  # the departure day (docs/departure-day.md)
        events,
        exports,
        fleet,
        handover,  # document requests and arrival lists (docs/reception.md)
        jobs,
        load_summary,  # a flight's load summary (docs/load.md)
        notices,
        operations,
        people,
        plans,
        resources,
        scenarios,
        variants,
    )

    for module in (auth_users, operations, people, resources, scenarios, jobs, plans, exports, variants,
                   fleet, events):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(airline.router, prefix="/api/v1")
    app.include_router(notices.router, prefix="/api/v1")  # notices and reason letters (docs/notices.md)
    app.include_router(load_summary.router, prefix="/api/v1")
    app.include_router(handover.router, prefix="/api/v1")
    app.include_router(departure.router, prefix="/api/v1")


class AccessLog:
    """Log the route template, status and time of every request, never the URL or its query; an error that
    escaped every handler becomes a 500 problem and is logged by its type only (driver messages quote rows)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [0]

        async def noting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception as exc:
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), _route_path(scope))
            if not status[0]:
                status[0] = 500
                body = {"type": problems.PROBLEM_TYPE + "internal", "title": "Internal server error",
                        "status": 500, "detail": "an unexpected error occurred", "instance": scope.get("path", "")}
                await JSONResponse(body, 500, media_type="application/problem+json")(scope, receive, send)
        access_log.info("%s %s %s %.1fms", scope.get("method"), _route_path(scope), status[0],
                        (time.perf_counter() - started) * 1000)


def _route_path(scope: Scope) -> str:
    return getattr(scope.get("route"), "path", "(unmatched)")


def api_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, whether FastAPI flattens included routers or keeps them nested."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from api_routes(list(inner.routes), prefix + (getattr(context, "prefix", "") or ""))


def _check_every_route_has_a_role(app: FastAPI) -> None:
    """Fail at start-up, not in production, if a route has no role rule and is not one of the public ones."""
    from api import web

    missing = [f"{sorted(r.methods)} {path}" for path, r in api_routes(list(app.routes))
               if path not in PUBLIC_PATHS | web.PUBLIC_PATHS and route_min_role(r) is None]
    if missing:
        raise RuntimeError("routes without a role rule: " + ", ".join(missing))
