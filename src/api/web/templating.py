"""Rendering pages: one Jinja2 environment with the gettext extension, and the context every page gets.

`render(request, "people/list.html", {...})` adds the signed-in principal, the CSRF token, the language and
direction, the navigation and the helpers below, and the security headers of an HTML page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from api.export_cache import store_for
from api.web import i18n, labels
from api.web.session import csrf_token, remember_csrf_seed

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
#: The policy every page must work under (no inline script or style); the service may also set it globally.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; " \
      "base-uri 'self'; form-action 'self'"


@cache
def _asset_version(path: str) -> str:
    """A short hash of a static file, so a changed file gets a new URL and may be cached for long."""
    file = STATIC_DIR / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10] if file.is_file() else "0"


def static_url(path: str) -> str:
    return f"/static/{path}?v={_asset_version(path)}"


def format_date(value: Any) -> str:
    """ISO dates (2021-11-25): read the same way in every language and script."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_moment(value: str | None) -> str:
    """An ISO 8601 moment with offset as stored ("2021-11-25T09:00:00+03:00") shown as "2021-11-25 09:00"."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M")


def query(request: Request, **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one): for paging and sorting."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


#: kept parts of pages, per database: a store of their own (`store_for`), so that a flight's sections per kind of
#: reader and language (a few kB each) and the shared cache's large entries never push each other out
FRAGMENTS_KEPT = 512


class Pages:
    """The template environment and the catalogues; one per app (`app.state.pages`)."""

    def __init__(self, catalogues: i18n.Catalogues) -> None:
        self.catalogues = catalogues
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            # templates ship with the package and change only with a new release: without this, every render
            # (and every macro import inside it) asks the file system whether the template changed
            auto_reload=False,
        )
        self.env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
        self.env.globals.update(
            static_url=static_url, format_date=format_date, format_moment=format_moment,
            languages=lambda: catalogues.offered,
            role_word=lambda code: labels.ROLES.get(code, code),
            reason_word=lambda code: labels.REASONS.get(code, code),
            vulnerability_word=lambda code: labels.VULNERABILITIES.get(code, code),
            action_word=lambda code: labels.ACTIONS.get(code, code),
            field_label=lambda name: labels.FIELD_LABELS.get(name, name.replace("_", " ")),
            choice_label=labels.choice_label,
        )
        self.env.filters["date"] = format_date
        self.env.filters["moment"] = format_moment

    def fragment(self, request: Request, template: str, key: tuple[Any, ...],
                 context: Callable[[], dict[str, Any]]) -> Markup:
        """A part of a page that is the same for every reader, in the request's language (`kept`)."""
        return self.kept(request.app.state.engine, self.catalogues.choose(request).code, template, key, context)

    def kept(self, engine: Any, language: str, template: str, key: tuple[Any, ...],
             context: Callable[[], dict[str, Any]]) -> Markup:
        """A part of a page that is the same for every reader, rendered once per `key` and language and kept
        (a store of its own, `store_for`): `key` must name every version the part is
        drawn from (the caller reads the caseload revision before the data). It is rendered from what `context()`
        returns (called only when the part is not kept, so a kept part reads nothing) and the language alone,
        without the principal, the CSRF token or the request, so nothing personal to a reader can be kept in it;
        taking no request, it is also how the warm-up renders a part before anyone asks for it
        (`api.web.flight_warm`)."""
        lang = i18n.LANGUAGES.get(language, i18n.LANGUAGES[i18n.DEFAULT])
        i18n.activate(self.catalogues.get(lang.code))
        html: str = store_for(engine, "page parts", FRAGMENTS_KEPT).get_or_build(
            (template, *key, lang.code),
            lambda: self.env.get_template(template).render({**context(), "lang": lang}))
        return Markup(html)

    def render(self, request: Request, template: str, context: dict[str, Any] | None = None,
               status_code: int = 200) -> HTMLResponse:
        language = self.catalogues.choose(request)
        i18n.activate(self.catalogues.get(language.code))
        principal = getattr(request.state, "principal", None)
        values: dict[str, Any] = {
            "request": request,
            "principal": principal,
            "csrf_token": csrf_token(request),
            "lang": language,
            "url": request.app.url_path_for,
            "query": lambda **changes: query(request, **changes),
            "path": request.url.path,
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status_code)
        protect(response)
        remember_csrf_seed(response, request)
        return response


def protect(response: Any) -> None:
    """Headers every page carries: the content policy, no framing, no sniffing, no caching of personal data."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    return pages(request).render(request, template, context, status_code)


def fragment(request: Request, template: str, key: tuple[Any, ...],
             context: Callable[[], dict[str, Any]]) -> Markup:
    return pages(request).fragment(request, template, key, context)


def safe(text: str) -> Markup:
    return Markup(text)
