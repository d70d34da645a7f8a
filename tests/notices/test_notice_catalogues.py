"""Every message of notices and reason letters is translated in every language: the catalogues are complete,
in step with the templates and texts, and have a sentence for every reason code (docs/notices.md#catalogues)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

from babel.messages.pofile import read_po, write_po

from planner.model.notices import LANGUAGE_CODES, BringItem
from planner.model.reasons import REGISTRY
from planner.notices import catalogues
from planner.notices.catalogues import DOMAIN, LOCALE_DIR, po_path, problems
from planner.notices.languages import LANGUAGES
from planner.notices.texts import BRING, REASONS


def test_every_message_is_translated_in_every_language() -> None:
    assert problems() == []
    assert set(LANGUAGES) == set(LANGUAGE_CODES) == {"ar", "ckb", "kmr", "fa", "fr", "en"}


def test_the_template_catalogue_is_in_step_with_the_sources(tmp_path: Path) -> None:
    """A message added to a template or to texts.py without running the extraction fails here."""
    pot = tmp_path / "fresh.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
                    "-o", str(pot), "--omit-header", "."], cwd=catalogues.HERE, check=True,
                   capture_output=True)
    with pot.open("rb") as fresh, (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as kept:
        assert {m.id for m in read_po(fresh) if m.id} == {m.id for m in read_po(kept) if m.id}


def test_every_reason_code_and_item_to_bring_has_words() -> None:
    assert set(REGISTRY) <= set(REASONS), "a reason code without a sentence for the reason letter"
    assert set(REASONS) - set(REGISTRY) <= {"capacity.payload"}  # a code of the registry, or about to be
    assert set(BRING) == set(get_args(BringItem))


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, target)
    return target


def _edit(po: Path, msgid: str, string: str | None, fuzzy: bool = False) -> None:
    with po.open("rb") as fh:
        catalog = read_po(fh)
    if string is None:
        catalog.delete(msgid)
    else:
        catalog[msgid].string = string
        if fuzzy:
            catalog[msgid].flags.add("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog)


def test_a_missing_empty_fuzzy_or_misplaced_translation_is_found(tmp_path: Path) -> None:
    locale = _copy(tmp_path)
    _edit(po_path("ckb", locale), "Baggage", None)
    _edit(po_path("kmr", locale), "Warm clothes", "")
    _edit(po_path("fa", locale), "Seat", "صندلی", fuzzy=True)
    _edit(po_path("ar", locale), "Issued on %(date)s.", "صدر بتاريخ %(day)s.")
    assert problems(locale) == [
        "ar: placeholders of 'Issued on %(date)s.' differ in 'صدر بتاريخ %(day)s.'",
        "ckb: missing 'Baggage'",
        "kmr: missing 'Warm clothes'",
        "fa: missing 'Seat'",
    ]
    (locale / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po").unlink()
    assert "fr: no catalogue notices.po" in problems(locale)
