"""`charterplan export notices`: a folder of one file per household, one document, HTML, one household, and
clear errors (docs/notices.md#command-line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from notice_case import case, contains, page_count, pdf_text, say

from planner.cli import main
from planner.io.writing import people_to_csv, scenario_to_yaml


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The case as a scenario folder and a plan file."""
    folder = tmp_path_factory.mktemp("notices")
    s, plan = case()
    (folder / "op").mkdir()
    (folder / "op" / "scenario.yaml").write_text(scenario_to_yaml(s), encoding="utf-8")
    (folder / "op" / "people.csv").write_text(people_to_csv(s.people), encoding="utf-8")
    (folder / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    return folder / "op", folder / "plan.json"


def test_a_folder_gets_a_file_per_household(files: tuple[Path, Path], tmp_path: Path) -> None:
    scenario, plan = files
    assert main(["export", "notices", str(plan), "--scenario", str(scenario), "--out", str(tmp_path / "out")]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["notice-H1.pdf", "notice-H2.pdf", "notice-H3.pdf", "notice-H6.pdf", "reasons-H4.pdf",
                     "reasons-H5.pdf"]
    text = pdf_text((tmp_path / "out" / "notice-H1.pdf").read_bytes(), "pdftotext")
    assert contains(text, say("ckb", "Your return flight"))


def test_one_document_of_a_flight_and_one_household_as_html(files: tuple[Path, Path], tmp_path: Path) -> None:
    scenario, plan = files
    out = tmp_path / "F1.pdf"
    assert main(["export", "notices", str(plan), "--scenario", str(scenario), "--out", str(out), "--flight",
                 "F1"]) == 0
    assert page_count(out.read_bytes()) == 6  # four notices, two letters naming F1
    html = tmp_path / "h2.html"
    assert main(["export", "notices", str(scenario), str(plan), "--out", str(html), "--household", "H2"]) == 0
    assert 'dir="rtl"' in html.read_text(encoding="utf-8")
    assert main(["export", "notices", str(plan), "--scenario", str(scenario), "--out", str(tmp_path / "x"),
                 "--household", "H2", "--format", "html"]) == 0
    assert (tmp_path / "x" / "notice-H2.html").is_file()


@pytest.mark.parametrize(("extra", "words"), [
    (["--household", "H9"], "household 'H9' is not in the scenario"),
    (["--flight", "F9"], "flight 'F9' is not in the scenario"),
    (["--format", "csv"], "--format csv: notices are pdf or html"),
])
def test_bad_selection_is_a_clear_error(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        extra: list[str], words: str) -> None:
    scenario, plan = files
    assert main(["export", "notices", str(plan), "--scenario", str(scenario), "--out", str(tmp_path / "o.pdf"),
                 *extra]) == 2
    assert words in capsys.readouterr().err


def test_without_out_or_plan_it_says_how(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scenario, plan = files
    assert main(["export", "notices", str(plan), "--scenario", str(scenario)]) == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["export", "notices", str(scenario), "--out", "x.pdf"]) == 2
    assert "export notices PLAN --scenario DIR" in capsys.readouterr().err
    assert main(["export", "pnl", str(scenario), "--flight", "F1"]) == 2  # the other kinds still need a plan
