"""`charterplan export pnl|adl|paxlst` through a parser built here (docs/airline.md, "Command line")."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from airline.fixtures import FIRST, FLIGHT, plan, world
from airline.teletype_reader import read
from planner.cli.export import add_export_command
from planner.io.writing import write_scenario


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="charterplan")
    add_export_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *argv])
    return int(args.func(args))


@pytest.fixture
def files(tmp_path: Path) -> Path:
    scenario = world()
    scenario = scenario.model_copy(update={"people": [
        p.model_copy(update={"document_issuing_state": "IRQ", "country_of_birth": "IRQ"}) for p in scenario.people]})
    write_scenario(scenario, tmp_path / "s")
    (tmp_path / "first.json").write_text(plan(FIRST).to_json(), encoding="utf-8")
    (tmp_path / "second.json").write_text(plan({**FIRST, "C8": "6A"}).to_json(), encoding="utf-8")
    return tmp_path


def test_pnl_adl_and_paxlst_are_written(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s, first, second = str(files / "s"), str(files / "first.json"), str(files / "second.json")
    assert run("pnl", s, first, "--flight", FLIGHT, "--designator", "XY123", "--out", str(files / "f.pnl")) == 0
    pnl = read([(files / "f.pnl").read_text(encoding="utf-8")], "PNL")
    assert pnl.flight == "XY123/01DEC MSQ" and len(pnl.sections[""]) == len(FIRST)
    assert run("adl", s, second, "--flight", FLIGHT, "--since", first) == 0
    adl = read([capsys.readouterr().out], "ADL")
    assert [(p.surname, p.seat) for p in adl.sections["CHG"]] == [("DOSKI", "6A")]
    assert run("paxlst", s, second, "--flight", FLIGHT) == 0
    out = capsys.readouterr()
    assert out.out.startswith("UNA:+.? '") and "NAD+FL+++DOSKI:KAWA'" in out.out and out.err == ""


def test_input_errors_are_named_and_exit_2(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s, first = str(files / "s"), str(files / "first.json")
    assert run("adl", s, first, "--flight", FLIGHT) == 2
    assert "needs --since" in capsys.readouterr().err
    assert run("pnl", s, first, "--flight", "F9") == 2
    assert "'F9' is not in the scenario" in capsys.readouterr().err
    assert run("pnl", s, first, "--flight", FLIGHT, "--designator", "toolong12345") == 2
    assert "--designator" in capsys.readouterr().err
    assert run("pnl", s, str(files / "missing.json"), "--flight", FLIGHT) == 2
    assert "not a readable plan" in capsys.readouterr().err


def test_paxlst_with_missing_data_needs_force_and_says_who(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = files / "s" / "people.csv"
    text = people.read_text(encoding="utf-8")
    people.write_text(text.replace(",IRQ,IRQ,,", ",,IRQ,,", 1), encoding="utf-8")
    s, first = str(files / "s"), str(files / "first.json")
    assert run("paxlst", s, first, "--flight", FLIGHT) == 2
    err = capsys.readouterr().err
    assert "warning: C1: document_issuing_state: missing" in err and "--force" in err
    assert run("paxlst", s, first, "--flight", FLIGHT, "--force", "--out", str(files / "f.edi")) == 0
    assert "export forced with 1 warning(s) by " in capsys.readouterr().err
    assert (files / "f.edi").read_text(encoding="utf-8").startswith("UNA")
