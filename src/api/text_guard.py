"""Refuse NUL characters in paths, query parameters, form and JSON bodies before any route sees them.

PostgreSQL text columns cannot hold U+0000 (the driver raises a DataError, which would be a 500) and no field of
a caseload needs one, so the request is a 422 naming where the character is, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

MESSAGE = "must not contain a NUL character (U+0000)"


def nul_fields_in_url(request: Request) -> list[str]:
    """Field paths (`path`, `query.flight`) whose decoded text holds a NUL."""
    fields = ["path"] if "\x00" in request.url.path else []
    return fields + _nul_fields_in_form(request.scope.get("query_string", b""), "query")


def _nul_fields_in_form(encoded: bytes, where: str) -> list[str]:
    """Names of URL-encoded fields (a query string or a form body) whose name or value holds a NUL."""
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True)
    return [f"{where}.{name.replace(chr(0), '?')}" for name, value in pairs if "\x00" in name or "\x00" in value]


def nul_fields_in_json(body: bytes) -> list[str]:
    """Field paths (`body.stops[0].airport`) of JSON strings, keys included, that hold a NUL."""
    if b"\\u0000" not in body:  # a NUL can only reach a JSON string escaped; skip the parse otherwise
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []  # the route's own validation reports malformed JSON
    return list(_walk(document, "body"))


def _walk(value: Any, path: str) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key).replace("\x00", "?")
            if "\x00" in str(key):
                yield f"{path}.{name}"
            yield from _walk(item, f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


async def nul_fields(request: Request) -> list[str]:
    """Every place in the request that holds a NUL; JSON and form bodies are read (and cached for the route)."""
    fields = nul_fields_in_url(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type.endswith("json"):
        fields += nul_fields_in_json(await request.body())
    elif media_type == "application/x-www-form-urlencoded":
        fields += _nul_fields_in_form(await request.body(), "body")
    return fields
