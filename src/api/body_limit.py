"""Count every request body while it streams and cut it at the limit with 413, chunked or not.

`Content-Length` alone is no limit: a chunked body has none. This ASGI middleware wraps `receive`, so no part
of the app (the text guard, FastAPI's body parsing, multipart uploads) can read past the limit. A caller that
is not logged in gets a much smaller limit, ANONYMOUS_BYTES, enough for a sign-in form: whether the caller
is logged in is checked only once a body outgrows that, so ordinary requests pay nothing. See
docs/security.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_TYPE

ANONYMOUS_BYTES = 16 * 1024


class _TooLarge(Exception):
    """Raised from `receive` when the body passes its limit; the middleware answers 413."""


def too_large_response(scope: Scope, limit: int, anonymous: bool) -> JSONResponse:
    detail = (f"a request without a valid login may carry at most {limit} bytes; log in first" if anonymous
              else f"the request body is larger than the limit of {limit} bytes")
    body = {"type": PROBLEM_TYPE + "too-large", "title": "Content too large", "status": 413, "detail": detail,
            "instance": scope.get("path", "")}
    # the rest of the body is not read: the connection closes after this answer
    return JSONResponse(body, status_code=413, media_type="application/problem+json",
                        headers={"Connection": "close"})


class _Counted:
    """One request's body as it streams: how much came, under which limit, and whether the answer started."""

    def __init__(self, limits: BodyLimit, scope: Scope, receive: Receive, send: Send):
        self.limits, self.scope, self._receive, self._send = limits, scope, receive, send
        self.limit = limits.anonymous_bytes
        self.checked = self.exceeded = self.started = False
        self.received = 0

    async def widen(self) -> None:
        """Past the anonymous limit: a logged-in caller gets the full one (asked once)."""
        if not self.checked:
            self.checked = True
            if await self.limits.logged_in(self.scope):
                self.limit = self.limits.max_bytes

    async def declared_too_large(self) -> bool:
        """Whether `Content-Length` already says the body is over the caller's limit."""
        length = Headers(scope=self.scope).get("content-length")
        if length is None or not length.strip().isdigit() or int(length) <= self.limit:
            return False
        await self.widen()
        return int(length) > self.limit

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                await self.widen()
            if self.received > self.limit:
                self.exceeded = True
                raise _TooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # whatever the app made of the cut body is replaced by the 413
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def refuse(self) -> None:
        anonymous = self.limit < self.limits.max_bytes
        await too_large_response(self.scope, self.limit, anonymous)(self.scope, self._receive, self._send)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, logged_in: Callable[[Scope], Awaitable[bool]],
                 anonymous_bytes: int = ANONYMOUS_BYTES):
        self.app = app
        self.max_bytes = max_bytes
        self.anonymous_bytes = anonymous_bytes
        self.logged_in = logged_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _Counted(self, scope, receive, send)
        if await body.declared_too_large():
            await body.refuse()
            return
        try:
            await self.app(scope, body.receive, body.send)
        except _TooLarge:
            pass
        except Exception:
            if not body.exceeded:
                raise
        if body.exceeded and not body.started:
            await body.refuse()
