"""The FastAPI app factory: settings, database and migrations, solve workers, routers, problem details."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import text

from api import problems
from api.auth import route_min_role
from api.db import make_engine, migrate
from api.nul_guard import MESSAGE, nul_fields
from api.settings import Settings, get_settings

log = logging.getLogger("api")
access_log = logging.getLogger("api.access")
PUBLIC_PATHS = {"/health", "/ready", "/api/v1/auth/token", "/docs"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Migrations run and interrupted jobs are marked before the first request."""
    settings = settings or get_settings()
    settings.check_production()
    engine = make_engine(settings.database_url, settings.sqlite_busy_timeout_ms)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio

        from api.jobs import JobManager

        # Few request threads: with the GIL, forty runnable threads only make every request wait longer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        migrate(engine)
        manager = JobManager(engine, settings)
        manager.recover()
        app.state.jobs = manager
        if getattr(app.state, "demo", False):
            from api.demo import load_demo

            load_demo(engine, settings)
        try:
            yield
        finally:
            manager.shutdown()

    docs = settings.docs_enabled
    app = FastAPI(
        title="charterplan service",
        version="1",
        description="Plans voluntary return charter flights: caseload, flights, testing, solve jobs, exports.",
        lifespan=lifespan,
        docs_url=None,  # served by api.web with assets shipped in the package
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.principals = {}  # see api.auth.authenticate
    problems.install(app)

    @app.middleware("http")
    async def guard_and_log(request: Request, call_next):  # type: ignore[no-untyped-def]
        # Refuse over-size bodies before they are read; log the route template, never the URL or its query.
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_upload_bytes + 64 * 1024:
            return problems.problem_response(
                request, 413, "Content too large",
                f"the upload is {int(length)} bytes; the limit is {settings.max_upload_bytes} bytes",
                "too-large")
        nul = await nul_fields(request)
        if nul:
            return problems.problem_response(
                request, 422, "Unprocessable content", f"{len(nul)} field(s) are not valid", "validation",
                errors=[{"field": field, "message": MESSAGE, "type": "nul_character"} for field in nul])
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:
            # Handled here so the server never logs a traceback: driver errors quote row values.
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method,
                      getattr(request.scope.get("route"), "path", "(unmatched)"))
            response = problems.problem_response(request, 500, "Internal server error",
                                                 "an unexpected error occurred", "internal")
        route = request.scope.get("route")
        access_log.info("%s %s %s %.1fms", request.method, getattr(route, "path", "(unmatched)"),
                        response.status_code, (time.perf_counter() - started) * 1000)
        return response

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

    from api.routers import (
        auth_users,
        events,
        exports,
        jobs,
        operations,
        people,
        plans,
        resources,
        scenarios,
        variants,
    )

    for module in (auth_users, operations, people, resources, scenarios, jobs, plans, exports, variants,
                   events):
        app.include_router(module.router, prefix="/api/v1")
    from api import web

    web.mount(app, settings)
    _check_every_route_has_a_role(app)
    return app


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
    missing = [f"{sorted(r.methods)} {path}" for path, r in api_routes(list(app.routes))
               if path not in PUBLIC_PATHS and route_min_role(r) is None]
    if missing:
        raise RuntimeError("routes without a role rule: " + ", ".join(missing))
