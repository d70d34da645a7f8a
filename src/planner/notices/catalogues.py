"""The notices' gettext catalogues: compiled from `locale/<lang>/LC_MESSAGES/notices.po` when first used.

The .po files are the source (no .mo files in the repository), as for the web pages (docs/web.md). Keep them
in step with the templates and texts with `python -m planner.notices.catalogues`: it extracts every marked
message into `locale/notices.pot`, updates each language's catalogue and fills English with the source text.
`problems()` lists every message missing or broken in any language; the tests fail on any (docs/notices.md).
"""

from __future__ import annotations

import gettext
import io
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from planner.notices.languages import LANGUAGES, SOURCE

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "notices"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def po_path(code: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(po: Path, code: str) -> Any:
    from babel.messages.pofile import read_po

    with po.open("rb") as fh:
        return read_po(fh, locale=None, domain=DOMAIN)


@cache
def translations(code: str) -> gettext.GNUTranslations:
    """The compiled catalogue of one notice language; an unknown code or a missing file is an error, never a
    silent fall back to English (a returnee would get a page they cannot read)."""
    from babel.messages.mofile import write_mo

    if code not in LANGUAGES:
        raise KeyError(f"no notice language '{code}'")
    buffer = io.BytesIO()
    write_mo(buffer, _read(po_path(code), code))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def problems(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Every message of the template catalogue that a language lacks (missing, empty or fuzzy), and every
    translation whose %(name)s placeholders differ from the source's."""
    template = _read(locale_dir / f"{DOMAIN}.pot", SOURCE)
    wanted = {m.id for m in template if m.id}
    out: list[str] = []
    for code in LANGUAGES:
        po = po_path(code, locale_dir)
        if not po.is_file():
            out.append(f"{code}: no catalogue {po.name}")
            continue
        have = {m.id: m for m in _read(po, code) if m.id}
        for msgid in sorted(wanted):
            message = have.get(msgid)
            if message is None or not message.string or message.fuzzy:
                out.append(f"{code}: missing {msgid!r}")
            elif set(_PLACEHOLDER.findall(message.string)) != set(_PLACEHOLDER.findall(msgid)):
                out.append(f"{code}: placeholders of {msgid!r} differ in {message.string!r}")
    return out


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=HERE, check=True)


def main() -> int:
    """Extract, update every language's catalogue, fill English; print what is still missing."""
    pot = LOCALE_DIR / f"{DOMAIN}.pot"
    _pybabel("extract", "-F", "babel.cfg", "-k", "N_", "-o", str(pot), "--project", "charterplan",
             "--copyright-holder", "charterplan", "--no-location", "--sort-output", "--omit-header", ".")
    for code in LANGUAGES:
        command = "update" if po_path(code).is_file() else "init"
        extra = ("--no-fuzzy-matching", "--ignore-obsolete") if command == "update" else ()
        _pybabel(command, "-D", DOMAIN, "-i", str(pot), "-d", str(LOCALE_DIR), "-l", code, *extra)
    _fill_source(po_path(SOURCE))
    for line in problems():
        print(line)
    return 0


def _fill_source(po: Path) -> None:
    """English is the source language: each message translates to itself."""
    from babel.messages.pofile import write_po

    catalog = _read(po, SOURCE)
    catalog.fuzzy = False
    for message in catalog:
        if message.id:
            message.string = message.id
    with po.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, sort_output=True, width=110)


if __name__ == "__main__":
    raise SystemExit(main())
