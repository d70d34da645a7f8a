"""RFC 9457 problem details for every error the API returns, with field paths for validation errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("api")

PROBLEM_TYPE = "https://charterplan.example/problems/"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class ApiProblem(Exception):
    """Raise anywhere in a route to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, title: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers
        self.extra = extra


def not_found(what: str, ident: object) -> ApiProblem:
    return ApiProblem(404, f"{what} {ident} does not exist", kind="not-found")


def problem_response(request: Request, status: int, title: str, detail: str, kind: str,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "stops", 0, "airport") -> "body.stops[0].airport"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(request, exc.status, exc.title, exc.detail, exc.kind, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(request, exc.status_code, title, detail, title.lower().replace(" ", "-"),
                                headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))[:300],
                   "type": e.get("type", "")} for e in exc.errors()]
        return problem_response(request, 422, "Unprocessable content",
                                f"{len(errors)} field(s) are not valid", "validation", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The type only: messages of unexpected errors may quote personal data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, _route_of(request))
        return problem_response(request, 500, "Internal server error", "an unexpected error occurred", "internal")


def allowed_methods(request: Request) -> str:
    """Every method some route of this path takes. Starlette names only the first route that matched the path,
    and this service has one route per method."""
    table = getattr(request.app.state, "route_methods", None)
    if table is None:
        from starlette.routing import compile_path

        from api.app import api_routes

        table = [(compile_path(path)[0], set(route.methods)) for path, route in api_routes(list(request.app.routes))]
        table += [(route.path_regex, set(route.methods)) for route in request.app.routes
                  if getattr(route, "methods", None) and hasattr(route, "path_regex")]
        request.app.state.route_methods = table
    path = request.scope.get("path", "")
    return ", ".join(sorted({m for regex, methods in table if regex.match(path) for m in methods}))


def _route_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "?")
