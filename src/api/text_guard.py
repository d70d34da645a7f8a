"""Refuse text no column can store: NUL characters anywhere in a request (path, query parameters, form and
JSON bodies), lone surrogates in JSON strings and JSON bodies that are not UTF-8, with a 422 naming the field,
before any route sees them.

PostgreSQL text cannot hold U+0000, and neither database driver can encode a lone surrogate (`"\\ud800"` is valid
JSON but not valid Unicode), so either would be a 500 after half a request's work; no caseload field needs
one. A pure ASGI middleware: it reads JSON and form bodies (which the body limit outside it has already
bounded, see api.body_limit) and hands the same bytes to the route. See docs/security.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_TYPE

MESSAGE = "must not contain a NUL character (U+0000)"
SURROGATE_MESSAGE = "must be valid Unicode text (a lone surrogate such as \\ud800 is not)"
UTF8_MESSAGE = "must be JSON text in UTF-8 (RFC 8259)"
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # a NUL or a surrogate can only reach JSON escaped
_SURROGATE = re.compile("[\ud800-\udfff]")


def nul_fields_in_url(scope: Scope) -> list[str]:
    """Field paths (`path`, `query.flight`) whose decoded text holds a NUL."""
    fields = ["path"] if "\x00" in scope.get("path", "") else []
    return fields + _nul_fields_in_form(scope.get("query_string", b""), "query")


def _nul_fields_in_form(encoded: bytes, where: str) -> list[str]:
    """Names of URL-encoded fields (a query string or a form body) whose name or value holds a NUL."""
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True)
    return [f"{where}.{name.replace(chr(0), '?')}" for name, value in pairs if "\x00" in name or "\x00" in value]


def bad_fields_in_json(body: bytes) -> list[tuple[str, str]]:
    """(field path, message) for JSON strings, keys included, holding a NUL or a lone surrogate."""
    if not _SUSPECT.search(body):
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # the route's own validation reports malformed JSON
    return list(_walk(document, "body"))


def _utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def _printable(text: str) -> str:
    return _SURROGATE.sub("?", text.replace("\x00", "?"))


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        message = _problem(value)
        if message:
            yield path, message
    elif isinstance(value, dict):
        for key, item in value.items():
            name = _printable(str(key))
            message = _problem(str(key))
            if message:
                yield f"{path}.{name}", message
            yield from _walk(item, f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def _refusal(scope: Scope, errors: list[dict[str, str]]) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + "validation", "title": "Unprocessable content", "status": 422,
            "detail": f"{len(errors)} field(s) are not valid", "instance": _printable(scope.get("path", "")),
            "errors": errors}
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


class TextGuard:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        errors = [{"field": f, "message": MESSAGE, "type": "nul_character"} for f in nul_fields_in_url(scope)]
        media_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        body: bytes | None = None
        if media_type.endswith("json") or media_type == "application/x-www-form-urlencoded":
            chunks = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            if media_type.endswith("json") and not _utf8(body):
                errors.append({"field": "body", "message": UTF8_MESSAGE, "type": "json_invalid"})
            elif media_type.endswith("json"):
                errors += [{"field": f, "message": m,
                            "type": "nul_character" if m == MESSAGE else "invalid_unicode"}
                           for f, m in bad_fields_in_json(body)]
            else:
                errors += [{"field": f, "message": MESSAGE, "type": "nul_character"}
                           for f in _nul_fields_in_form(body, "body")]
        if errors:
            await _refusal(scope, errors)(scope, receive, send)
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
