"""Interface languages: gettext catalogues compiled from `locale/<lang>/LC_MESSAGES/messages.po` at start.

The .po files are the source (translators edit them; `docs/web.md` has the Babel commands); they are compiled
in memory with Babel when the app starts, so no build step and no .mo files in the repository. A language is
offered once its catalogue is nearly complete, so nobody gets a page half in one script and half in another.
"""

from __future__ import annotations

import gettext
import io
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

log = logging.getLogger("api.web")

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANG_COOKIE = "cp_lang"
#: Share of messages that must be translated before a language is offered in the selector.
COMPLETE_ENOUGH = 0.95


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47 tag, also the `lang` attribute
    name: str  # in its own script, as the selector shows it
    direction: str  # "ltr" or "rtl", the page's `dir`


#: Languages the interface is prepared for. Sorani Kurdish (ckb, Arabic script) is the language of the
#: Kurdistan Region of Iraq, where most returnees of the bundled operations go.
LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
    "ckb": Language("ckb", "کوردی", "rtl"),
    "ru": Language("ru", "Русский", "ltr"),
}


def _noop(message: str) -> str:
    return message


#: Marks a string for extraction without translating it yet (labels defined at import time).
N_ = _noop


class Catalogues:
    """The compiled catalogue of every language, and which of them are complete enough to offer."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self.translations: dict[str, gettext.NullTranslations] = {}
        self.completeness: dict[str, float] = {}
        for code in LANGUAGES:
            po = locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
            if po.is_file():
                self.translations[code], self.completeness[code] = _compile(po, code)
        if DEFAULT not in self.translations:
            self.translations[DEFAULT] = gettext.NullTranslations()
            self.completeness[DEFAULT] = 1.0
        self.offered = [LANGUAGES[c] for c in LANGUAGES
                        if c == DEFAULT or self.completeness.get(c, 0.0) >= COMPLETE_ENOUGH]

    def choose(self, request: Request) -> Language:
        """The cookie's language if it is offered, else the best of Accept-Language, else English."""
        offered = {lang.code: lang for lang in self.offered}
        wanted = request.cookies.get(LANG_COOKIE, "")
        if wanted in offered:
            return offered[wanted]
        for tag in _accept_language(request.headers.get("accept-language", "")):
            base = tag.split("-")[0]
            if tag in offered or base in offered:
                return offered.get(tag) or offered[base]
        return LANGUAGES[DEFAULT]

    def get(self, code: str) -> gettext.NullTranslations:
        return self.translations.get(code) or self.translations[DEFAULT]


def _compile(po: Path, code: str) -> tuple[gettext.NullTranslations, float]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=None, domain=DOMAIN)
    messages = [msg for msg in catalog if msg.id]
    done = sum(1 for msg in messages if (all(msg.string) if isinstance(msg.string, tuple) else msg.string))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    log.debug("catalogue %s: %d of %d messages", code, done, len(messages))
    return gettext.GNUTranslations(buffer), (done / len(messages) if messages else 0.0)


def _accept_language(header: str) -> list[str]:
    """Language tags of an Accept-Language header, best first (q=0 ones left out)."""
    tags: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            tags.append((-q, i, tag.lower()))
    return [t for _, _, t in sorted(tags)]


_current: ContextVar[gettext.NullTranslations | None] = ContextVar("web_translations", default=None)
_SOURCE = gettext.NullTranslations()


def activate(translations: gettext.NullTranslations) -> None:
    """Use `translations` for the rest of this request's rendering (templates call `gettext`)."""
    _current.set(translations)


def gettext_(message: str) -> str:
    return (_current.get() or _SOURCE).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return (_current.get() or _SOURCE).ngettext(singular, plural, n)
