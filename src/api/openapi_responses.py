"""Declare in the OpenAPI description every answer a route can give, in one place, from how routes are built.

Every route may answer 422 (the text guard checks paths and queries of all of them); a route that needs a
login 401 (with `WWW-Authenticate`) and 403; a route with ids in its path 404; a route with a body 413 (and 415
and 400 for file uploads); an update or delete that takes `If-Match` 400, 409 and 428 (and documents the
header); any write 409; login and password routes 429 with `Retry-After`; and whatever status the route's own
code raises as an `ApiProblem`. All error bodies are `application/problem+json` (RFC 9457, api.problems).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.problems import TITLES

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem document.",
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
        },
        "additionalProperties": True,
    },
    "ProblemError": {
        "title": "ProblemError",
        "description": "One invalid field (`field` is a path such as `body.stops[0].arrival`) or file cell "
                       "(`file`, `row`, `column`).",
        "type": "object",
        "required": ["message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
        "additionalProperties": True,
    },
}
_RAISED = re.compile(r"ApiProblem\(\s*(\d{3})")
#: answers of routes whose code raises them through a shared function: a wrong login (401), throttling (429)
EXTRA = {"/api/v1/auth/token": {401, 429}, "/api/v1/auth/password": {403, 429}}


def _source(endpoint: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(endpoint)
    except (OSError, TypeError):
        return ""


def statuses(path: str, method: str, route: APIRoute, public: bool, body: dict[str, Any] | None) -> set[int]:
    """The error statuses a route can answer, from its path, method, body, login rule and code."""
    found = {422}
    source = _source(route.endpoint)
    if not public:
        found |= {401, 403}
    if "{" in path or "not_found(" in source:
        found.add(404)
    if body is not None:
        found.add(413)
        if "multipart/form-data" in body.get("content", {}):
            found |= {400, 415}
    if method in ("post", "put", "patch", "delete") and not public:
        found.add(409)
    if "expected_version(" in source:
        found |= {400, 409, 428}
    found |= EXTRA.get(path, set())
    found |= {int(code) for code in _RAISED.findall(source)}
    return {code for code in found if 400 <= code < 500}


def _response(code: int) -> dict[str, Any]:
    out: dict[str, Any] = {"description": TITLES.get(code, "Error"),
                           "content": {"application/problem+json": {"schema": PROBLEM_REF}}}
    if code == 401:
        out["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}}
    if code == 429:
        out["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": False,
                                          "description": "seconds to wait (login throttling)"}}
    return out


IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "the ETag of the version you read, e.g. \"3\" (or send `version` in the body)",
            "schema": {"type": "string", "pattern": r'^\s*(W/)?"?[0-9]{1,9}"?\s*$'}}


def document(schema: dict[str, Any], routes: Iterable[tuple[str, APIRoute]], public_paths: set[str]) -> None:
    """Add the problem schemas and every route's error answers to a generated OpenAPI document."""
    schema.setdefault("components", {}).setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    for path, route in routes:
        item = schema.get("paths", {}).get(path)
        if item is None:
            continue
        for method in route.methods:
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            codes = statuses(path, method.lower(), route, path in public_paths, operation.get("requestBody"))
            for code in sorted(codes):
                responses[str(code)] = _response(code)
            if "expected_version(" in _source(route.endpoint):
                params = operation.setdefault("parameters", [])
                if not any(p.get("name", "").lower() == "if-match" for p in params):
                    params.append(IF_MATCH)
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def install(app: FastAPI, public_paths: set[str]) -> None:
    """Wrap `app.openapi` so the document is completed once, when first asked for."""
    from api.app import api_routes

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            document(schema, api_routes(list(app.routes)), public_paths)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
