"""Count every request body while it streams and cut it at the limit with 413, chunked or not.

`Content-Length` alone is no limit: a chunked body has none. This ASGI middleware wraps `receive`, so no part
of the app (the text guard, FastAPI's body parsing, multipart uploads) can read past the limit. A caller that
is not logged in gets a much smaller limit, ANONYMOUS_BYTES, enough for a sign-in form: whether the caller
is logged in is checked only once a body outgrows that, so ordinary requests pay nothing. See
docs/security.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

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
        state: dict[str, Any] = {"limit": self.anonymous_bytes, "checked": False, "received": 0,
                                 "exceeded": False, "started": False}

        async def widen() -> None:
            """Past the anonymous limit: a logged-in caller gets the full one."""
            if not state["checked"]:
                state["checked"] = True
                if await self.logged_in(scope):
                    state["limit"] = self.max_bytes

        length = Headers(scope=scope).get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.anonymous_bytes:
            await widen()
            if int(length) > state["limit"]:
                await too_large_response(scope, state["limit"], state["limit"] < self.max_bytes)(scope, receive, send)
                return

        async def counted_receive() -> Message:
            if state["exceeded"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > state["limit"]:
                    await widen()
                if state["received"] > state["limit"]:
                    state["exceeded"] = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"] and not state["started"]:
                return  # whatever the app made of the cut body is replaced by the 413 below
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        except Exception:
            if not state["exceeded"]:
                raise
        if state["exceeded"] and not state["started"]:
            await too_large_response(scope, state["limit"], state["limit"] < self.max_bytes)(scope, receive, send)
