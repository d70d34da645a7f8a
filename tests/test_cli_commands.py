"""The command line keeps its word: quiet pipes, no overwritten folders, plans checked against the scenario
they were made for, schemas of every file format, and progress a person can read (docs/cli.md)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.model.options import Progress
from planner.pipeline.progress import PlainProgress, describe

ROOT = Path(__file__).resolve().parents[1]
FIRST = ROOT / "scenarios" / "first-charter-2022"
TWO = ROOT / "scenarios" / "teaching-two-flights"


def test_schema_into_a_closed_pipe_ends_quietly() -> None:
    cmd = f"{sys.executable} -m charterplan.cli schema all | head -c 10"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert len(proc.stdout) == 10
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


@pytest.mark.parametrize("which", ["variant", "events", "sweep"])
def test_schema_covers_the_what_if_and_event_formats(which: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", which]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "properties" in schema and "format" in schema["properties"]


def test_generate_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["generate", "--people", "20", "--out", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert main(["generate", "--people", "20", "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "scenario.yaml").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["generate", "--people", "20", "--out", str(empty)]) == 0


def test_validate_says_first_when_the_plan_is_for_another_scenario(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.json"
    assert main(["solve", str(TWO), "--time-limit", "5", "--no-seating", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["validate", str(FIRST), str(out)]) == 2
    err = capsys.readouterr()
    assert "was made for the scenario" in err.err and "violation" not in err.out
    assert main(["validate", str(TWO), str(out)]) == 0
    assert "0 violation(s)" in capsys.readouterr().out


def test_solve_reports_every_stage_with_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(TWO), "--time-limit", "10", "--out", str(tmp_path / "p.json")]) == 0
    err = capsys.readouterr().err  # not a terminal: plain lines
    for stage in ["loading", "problem", "greedy allocation", "test slots", "seating", "validation", "writing"]:
        assert f"] {stage}" in err, stage
    assert "/10s]" in err and "seated 0 of" in err


def test_plain_progress_shows_the_best_proven_bound_and_counts() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=60)
    progress(Progress("seating", elapsed=1.0, done=0, total=30, message="seated 0 of 30 flights"))
    progress(Progress("seating", elapsed=1.1, done=12, total=30, message="seated 12 of 30 flights"))  # held back
    progress(Progress("seating", elapsed=2.0, done=30, total=30, message="seated 30 of 30 flights"))
    progress(Progress("done", 70_508, 70_799, 0.0041, 3.0, limit=20))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and "seated 0 of 30 flights" in lines[0] and "seated 30 of 30 flights" in lines[1]
    assert lines[2] == describe(Progress("done", 70_508, 70_799, 0.0041, 3.0, limit=20))
    assert "bound 70,799" in lines[2] and "gap 0.41%" in lines[2] and "3.0/20s" in lines[2]


def test_a_people_file_outside_the_folder_only_from_the_command_line(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """scenario.yaml may not reach outside its folder; the person at the keyboard may, with --people."""
    folder = tmp_path / "op"
    folder.mkdir()
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((FIRST / "people.csv").read_bytes())
    text = (FIRST / "scenario.yaml").read_text(encoding="utf-8")
    text = text.replace("people: people.csv", "people: ../elsewhere.csv")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    out = tmp_path / "plan.json"
    with pytest.raises(SystemExit) as refused:
        main(["solve", str(folder), "--time-limit", "5", "--quiet", "--out", str(out)])
    assert refused.value.code == 2 and "elsewhere.csv" in capsys.readouterr().err and not out.exists()
    assert main(["solve", str(folder), "--people", str(outside), "--time-limit", "5", "--quiet",
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["flights"]


def test_the_command_line_reads_the_services_input_limits_from_its_environment(monkeypatch, capsys) -> None:
    from planner.cli.common import input_limits, load
    from planner.io.input_limits import DEFAULT_LIMITS

    folder = str(Path(__file__).parent.parent / "scenarios" / "teaching-two-flights")
    monkeypatch.delenv("CHARTERPLAN_MAX_UPLOAD_BYTES", raising=False)
    assert input_limits() == DEFAULT_LIMITS
    assert load(folder).people
    monkeypatch.setenv("CHARTERPLAN_MAX_UPLOAD_BYTES", "1024")  # smaller than the people file
    assert input_limits().max_file_bytes == 1024
    with pytest.raises(SystemExit):
        load(folder)
    assert "people.csv, (file): the file is larger than the limit of 1024 bytes" in capsys.readouterr().err
    monkeypatch.setenv("CHARTERPLAN_MAX_UPLOAD_BYTES", "20MB")
    with pytest.raises(SystemExit, match="CHARTERPLAN_MAX_UPLOAD_BYTES must be a whole number"):
        input_limits()
