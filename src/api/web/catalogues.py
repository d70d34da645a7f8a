"""Keep the translation catalogues in step with the pages: `python -m api.web.catalogues`.

Extracts every marked message into `locale/messages.pot`, updates (or creates) the catalogue of each language
in `api.web.i18n.LANGUAGES`, and fills the English one with the source text, so English is always complete.
Translators then edit `locale/<lang>/LC_MESSAGES/messages.po` (docs/web.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api.web.i18n import DEFAULT, DOMAIN, LANGUAGES, LOCALE_DIR

HERE = Path(__file__).parent


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=HERE, check=True)


def main() -> int:
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    _pybabel("extract", "-F", "babel.cfg", "-k", "N_", "-k", "gettext_", "-o", str(pot), "--project", "charterplan",
             "--copyright-holder", "charterplan", "--no-location", "--sort-output", "--omit-header", ".")
    for code in LANGUAGES:
        po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.is_file():
            _pybabel("update", "-i", str(pot), "-d", str(LOCALE_DIR), "-l", code, "--no-fuzzy-matching",
                     "--ignore-obsolete")
        else:
            _pybabel("init", "-i", str(pot), "-d", str(LOCALE_DIR), "-l", code)
    _fill_source(LOCALE_DIR / DEFAULT / "LC_MESSAGES" / f"{DOMAIN}.po")
    return 0


def _fill_source(po: Path) -> None:
    """English is the source language: each message translates to itself."""
    from babel.messages.pofile import read_po, write_po

    with po.open("rb") as fh:
        catalog = read_po(fh, locale=DEFAULT)
    catalog.fuzzy = False
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            message.string = tuple(message.id)
        else:
            message.string = message.id
    with po.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, width=110)


if __name__ == "__main__":
    raise SystemExit(main())
