"""Response headers every answer carries: no MIME sniffing, no referrer, no framing, and a strict
Content-Security-Policy on HTML (the web application uses same-origin scripts and styles only, none inline).
See docs/security.md."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTML_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
#: anything else (JSON, CSV, XLSX) is data: opened in a browser it may run and load nothing
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers[name] = value
                if headers.get("content-type", "").lower().startswith("text/html"):
                    headers["Content-Security-Policy"] = HTML_POLICY
                elif "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = DATA_POLICY
            await send(message)

        await self.app(scope, receive, with_headers)
