"""The perimeter: body limits before authentication, text guards, response headers, download names, 405s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from service_testkit import Api

from api.content_disposition import content_disposition

MIB = 1024 * 1024


def _stream(api: Api, url: str, total: int, headers: dict[str, str] | None = None,
            chunk: bytes = b"x" * 64 * 1024, prefix: bytes = b"") -> tuple[Any, int]:
    """POST a chunked body (no Content-Length unless given) of `total` bytes through httpx's ASGI transport,
    which pulls the body as the app reads it; returns the response and how many bytes the app pulled."""
    sent = [0]

    async def body() -> AsyncIterator[bytes]:
        if prefix:
            sent[0] += len(prefix)
            yield prefix
        while sent[0] < total:
            sent[0] += len(chunk)
            yield chunk

    async def go() -> Any:
        transport = httpx.ASGITransport(app=api.client.app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.post(url, content=body(), headers=headers or {})

    return asyncio.run(go()), sent[0]


def test_an_anonymous_chunked_body_is_cut_early_with_413(api: Api) -> None:
    r, sent = _stream(api, "/api/v1/operations", 200 * MIB, {"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert sent <= 1 * MIB, f"the server read {sent} bytes of an anonymous body"


def test_an_anonymous_body_announced_too_large_is_refused_unread(api: Api) -> None:
    r, sent = _stream(api, "/api/v1/operations/import", 10 * MIB,
                      {"Content-Length": str(10 * MIB), "Content-Type": "application/zip"})
    assert r.status_code == 413, r.text
    assert sent <= 64 * 1024


def test_a_logged_in_chunked_body_is_cut_at_the_upload_limit(api: Api) -> None:
    limit = api.settings.max_upload_bytes
    part = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
            b"Content-Type: application/zip\r\n\r\n")
    r, sent = _stream(api, "/api/v1/operations/import", limit + 4 * MIB,
                      api.headers("coordinator", **{"Content-Type": "multipart/form-data; boundary=b"}), prefix=part)
    assert r.status_code == 413, r.text
    assert sent <= limit + 1 * MIB
    r, sent = _stream(api, "/api/v1/operations", limit + 4 * MIB,
                      api.headers("coordinator", **{"Content-Type": "application/json"}), prefix=b'{"name": "')
    assert r.status_code == 413, r.text
    assert sent <= limit + 1 * MIB
    # a chunked JSON body within the limit still reaches its route
    body = b'{"name": "chunked", "as_of": "2022-01-10T00:00:00+00:00"}'
    r, _ = _stream(api, "/api/v1/operations", len(body), api.headers("coordinator", **{
        "Content-Type": "application/json"}), chunk=body)
    assert r.status_code == 201, r.text


def test_a_forged_token_does_not_lift_the_anonymous_limit(api: Api) -> None:
    r, sent = _stream(api, "/api/v1/operations", 50 * MIB,
                      {"Content-Type": "application/json", "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA"})
    assert r.status_code == 413 and sent <= 1 * MIB


def test_the_login_form_still_works_and_is_bounded(api: Api) -> None:
    r, sent = _stream(api, "/api/v1/auth/token", 50 * MIB, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and sent <= 1 * MIB
    body = b"username=officer1&password=correct+horse+battery"
    r, _ = _stream(api, "/api/v1/auth/token", len(body), {"Content-Type": "application/x-www-form-urlencoded"},
                   chunk=body)
    assert r.status_code == 200, r.text


def test_a_lone_surrogate_in_json_is_a_422_naming_the_field_and_nothing_is_stored(api: Api) -> None:
    before = api.get("/api/v1/operations").json()["total"]
    body = b'{"name": "op \\ud800 x", "as_of": "2022-01-10T00:00:00+00:00"}'
    r = api.post("/api/v1/operations", "coordinator", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.name"]
    assert api.get("/api/v1/operations").json()["total"] == before
    # a proper pair (an emoji written as escapes) is fine
    body = b'{"name": "op \\ud83d\\ude00", "as_of": "2022-01-10T00:00:00+00:00"}'
    r = api.post("/api/v1/operations", "coordinator", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "op \N{GRINNING FACE}"


def test_a_failed_request_commits_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session dependency rolls back when the route fails after writing."""
    from api.routers import operations

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(operations, "audit", explode)
    before = api.get("/api/v1/operations").json()["total"]
    r = api.post("/api/v1/operations", "coordinator", json={"name": "half", "as_of": "2022-01-10T00:00:00+00:00"})
    assert r.status_code == 500
    assert api.get("/api/v1/operations").json()["total"] == before


def test_security_headers_on_every_response(api: Api) -> None:
    for r in (api.client.get("/health"), api.client.get("/api/v1/operations"), api.get("/api/v1/operations"),
              api.client.get("/docs"), api.client.get("/no/such/page")):
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    html = api.client.get("/docs")
    csp = html.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_405_names_every_method_of_the_path(api: Api) -> None:
    r = api.client.request("PUT", "/api/v1/operations")
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "POST"}
    r = api.client.request("TRACE", "/api/v1/operations/1")
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize("name", ['x"; filename="evil.html', "a\r\nSet-Cookie: s=1", "عملية الإعادة",
                                  "../../etc/passwd", "", "\x00\x7f", "a" * 500])
def test_content_disposition_is_one_safe_header(name: str) -> None:
    value = content_disposition(name, "csv")
    value.encode("latin-1")  # a header value must be Latin-1; ours is ASCII
    assert value.isascii() and "\r" not in value and "\n" not in value
    parts = value.split("; ")
    assert len(parts) == 3 and parts[0] == "attachment", value
    assert parts[1].startswith('filename="') and parts[1].endswith('"') and parts[2].startswith("filename*=UTF-8''")
    fallback = parts[1][len('filename="'):-1]
    assert '"' not in fallback and "/" not in fallback and "\\" not in fallback and fallback.endswith(".csv")
    assert len(value) < 400


def test_content_disposition_keeps_unicode_in_the_extended_name() -> None:
    value = content_disposition("عملية", "zip")
    assert f"filename*=UTF-8''{quote('عملية.zip', safe='')}" in value


def test_export_names_from_query_text_cannot_inject(api: Api) -> None:
    from service_testkit import wait_job

    op = api.import_teaching()
    job = api.post(f"/api/v1/operations/{op}/solve-jobs", "officer", json={"time_limit": 2}).json()
    done = wait_job(api, op, job["id"])
    assert done["status"] in ("succeeded", "stopped"), done
    plan = api.get(f"/api/v1/operations/{op}/plans").json()["items"][0]["id"]
    for site in ('x"; filename="evil.html', "a\r\nb", "موقع"):
        r = api.get(f"/api/v1/operations/{op}/plans/{plan}/testing-schedule", "officer",
                    params={"site": site, "format": "csv"})
        assert r.status_code == 200, (site, r.status_code, r.text)
        parts = r.headers["content-disposition"].split("; ")
        assert len(parts) == 3 and parts[1].count('"') == 2, parts
