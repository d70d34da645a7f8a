"""The people file's `language` column: English when blank, any case, and an unknown or ambiguous code is an
input error naming the row and the field (docs/notices.md#the-language-column)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.io.input_errors import ScenarioInputError
from planner.io.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "scenarios" / "teaching-two-flights"


def _with_languages(tmp_path: Path, values: list[str]) -> Path:
    folder = tmp_path / "op"
    shutil.copytree(SOURCE, folder)
    lines = (folder / "people.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",language"]
    for i, line in enumerate(lines[1:]):
        out.append(f"{line},{values[i] if i < len(values) else ''}")
    (folder / "people.csv").write_text("\n".join(out) + "\n", encoding="utf-8")
    return folder


def test_blank_is_english_and_case_does_not_matter(tmp_path: Path) -> None:
    s = load_scenario(_with_languages(tmp_path, ["", "CKB", " kmr ", "fa", "Fr", "ar"]))
    assert [p.language for p in s.people[:7]] == ["en", "ckb", "kmr", "fa", "fr", "ar", "en"]


@pytest.mark.parametrize(("value", "words"), [("de", "unknown language code 'de' (allowed: ar, ckb, kmr, fa, fr, en)"),
                                              ("ku", "write ckb for Sorani (Arabic script) or kmr for Kurmanji")])
def test_an_unknown_code_names_row_and_field(tmp_path: Path, value: str, words: str) -> None:
    with pytest.raises(ScenarioInputError) as caught:
        load_scenario(_with_languages(tmp_path, ["en", "en", value]))
    (issue,) = [i for i in caught.value.issues if i.field == "language"]
    assert issue.row == 4  # the third person, after the header line
    assert words in issue.message
