"""The officers' web application: server-rendered pages served by the same app as the API.

`mount` is called once by `api.app.create_app` after the API routers are included. How the pages are built
(layout, sign-in, CSRF, translations, adding a page, browser tests) is described in docs/web.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problems import ApiProblem
from api.settings import Settings
from api.web.i18n import Catalogues
from api.web.session import PUBLIC_PATHS, CsrfRejected, PageForbidden, SignInRequired, login_redirect
from api.web.templating import STATIC_DIR, Pages, protect

__all__ = ["PUBLIC_PATHS", "mount"]


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the web pages, their static files and error pages (and /docs when docs are enabled) to `app`."""
    from api.web import (
        routes_admin,
        routes_airline,  # the flight page's airline and border messages (docs/airline.md)
        routes_auth,
        routes_departure,
        routes_documents,
        routes_handover,  # arrival lists and document requests (docs/reception.md)
        routes_load,  # the flight page's load summary (docs/load.md)
        routes_notices,
        routes_operations,
        routes_people,
        routes_plans,
        routes_replan,
        routes_whatif,
    )

    app.state.pages = Pages(Catalogues())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.docs_enabled:
        _docs(app)
    for module in (routes_auth, routes_operations, routes_people, routes_plans, routes_replan, routes_whatif,
                   routes_admin, routes_documents):
        app.include_router(module.router)
    app.include_router(routes_notices.router)  # notices per household (docs/notices.md)
    app.include_router(routes_airline.router)
    routes_airline.install(app.state.pages)
    app.include_router(routes_load.router)
    app.include_router(routes_handover.router)
    app.include_router(routes_departure.router)  # the departure day (docs/departure-day.md)
    routes_load.install(app.state.pages)
    _honour_public_paths()
    _error_pages(app)


def _honour_public_paths() -> None:
    """The sign-in pages need no role: add them to the paths the app's start-up role check accepts."""
    from api import app as app_module

    app_module.PUBLIC_PATHS.update(PUBLIC_PATHS)


def _is_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a script): errors are answered with an HTML page."""
    path = request.url.path
    if path.startswith(("/api/", "/openapi.json", "/health", "/ready", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "") or request.method == "POST"


def _error_pages(app: FastAPI) -> None:
    problem_json = app.exception_handlers[ApiProblem]
    http_json = app.exception_handlers[StarletteHTTPException]

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        response = RedirectResponse(login_redirect(exc.next_path), status_code=303)
        protect(response)
        return response

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _error(request, 403, "forbidden")

    async def csrf(request: Request, exc: Exception) -> Response:
        return _error(request, 403, "csrf")

    async def problem(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, ApiProblem)
        if _is_page(request):
            return _error(request, exc.status, "problem", exc.detail)
        return await problem_json(request, exc)

    async def http(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, StarletteHTTPException)
        if _is_page(request) and exc.status_code in (404, 405):
            return _error(request, exc.status_code, "missing")
        return await http_json(request, exc)

    app.add_exception_handler(SignInRequired, sign_in)
    app.add_exception_handler(PageForbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf)
    app.add_exception_handler(ApiProblem, problem)
    app.add_exception_handler(StarletteHTTPException, http)


def _error(request: Request, status: int, kind: str, detail: str | None = None) -> HTMLResponse:
    return request.app.state.pages.render(request, "error.html", {"status": status, "kind": kind,
                                                                  "detail": detail}, status_code=status)


def _docs(app: FastAPI) -> None:
    """Swagger UI from files shipped in `static/vendor/swagger-ui/` (version 5, which reads OpenAPI 3.1),
    started by a same-origin script (the content policy allows no inline script), so it works offline."""

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return request.app.state.pages.render(request, "docs.html")
