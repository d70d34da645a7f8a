"""The officers' web application: server-rendered pages served by the same app as the API.

`mount` is called once by `api.app.create_app` after the API routers are included.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.settings import Settings


def mount(app: FastAPI, settings: Settings) -> None:
    """Add the web pages (and the interactive API description when docs are enabled) to `app`."""
    if settings.docs_enabled:

        @app.get("/docs", include_in_schema=False)
        def docs() -> HTMLResponse:
            return get_swagger_ui_html(openapi_url="/openapi.json", title="charterplan service")
