"""Notices and reason letters as HTML pages and PDF (WeasyPrint), one page per household or person.

Each page is rendered by an environment holding its language's catalogue, so one document can hold pages in
several languages, each with its own `lang` and `dir` (docs/notices.md#layout). Nothing is fetched from the
network: the style sheet is inlined and the fonts are the system's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from planner.model.plan import Reason
from planner.notices.catalogues import translations
from planner.notices.facts import Notice, ReasonLetter
from planner.notices.languages import LANGUAGES
from planner.notices.texts import BRING, REASONS

TEMPLATES = Path(__file__).parent / "templates"


class RenderingUnavailable(RuntimeError):
    """Jinja2, Babel or WeasyPrint is not installed (they come with the `service` extra)."""


def _need(module: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise RenderingUnavailable(f"notices need {module}: install charterplan with the service extra "
                                   "(pip install -e '.[service]')") from exc


class _Words:
    """What a page's template calls to format and translate in its language."""

    def __init__(self, code: str) -> None:
        self.language = LANGUAGES[code]
        self._translations = translations(code)

    def date(self, moment: datetime) -> str:
        from babel.dates import format_date

        return str(format_date(moment.date(), self.language.date_pattern, locale=self.language.babel_locale))

    def time(self, moment: datetime) -> str:
        return f"{moment:%H:%M}"

    def bring(self, item: str) -> str:
        return self._translations.gettext(BRING[item])

    def reason(self, found: Reason) -> str:
        text = REASONS.get(found.code)
        return self._translations.gettext(text) if text else found.message


@cache
def _environment(code: str) -> Any:
    _need("jinja2")
    _need("babel")
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True,
                      lstrip_blocks=True)
    env.install_gettext_translations(translations(code), newstyle=True)  # type: ignore[attr-defined]
    return env


def _page(template: str, code: str, **context: Any) -> str:
    return str(_environment(code).get_template(template).render(w=_Words(code), lang=LANGUAGES[code], **context))


def notice_page(notice: Notice) -> str:
    return _page("notice.html", notice.language, n=notice)


def letter_page(letter: ReasonLetter) -> str:
    return _page("reason_letter.html", letter.language, r=letter)


def document_html(pages: Sequence[Notice | ReasonLetter], title: str, stylesheet: str | None = None) -> str:
    """A standalone HTML document of the pages; `<html>` takes the first page's language and direction. The
    style sheet is inlined, or linked from `stylesheet` where a content policy forbids inline styles (the
    service's pages, docs/security.md)."""
    bodies = [notice_page(p) if isinstance(p, Notice) else letter_page(p) for p in pages]
    first = LANGUAGES[pages[0].language] if pages else LANGUAGES["en"]
    css = None if stylesheet else stylesheet_text()
    return str(_environment("en").get_template("document.html").render(
        pages=bodies, lang=first, title=title, css=css, stylesheet=stylesheet))


def stylesheet_text() -> str:
    return (TEMPLATES / "notice.css").read_text(encoding="utf-8")


def document_pdf(pages: Sequence[Notice | ReasonLetter], title: str) -> bytes:
    """The same pages printed to A4 by WeasyPrint; Arabic script is shaped by HarfBuzz with the Noto fonts."""
    _need("weasyprint")
    from weasyprint import HTML  # type: ignore[import-untyped,unused-ignore]

    return bytes(HTML(string=document_html(pages, title), base_url=str(TEMPLATES)).write_pdf())
