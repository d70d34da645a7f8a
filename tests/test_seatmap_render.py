"""Seat maps as text (with a legend) and as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from planner.cli import main
from planner.io.loading import load_scenario
from planner.seating.render import SVG_LEGEND, household_code, household_colour, render_svg, render_text
from planner.seating.seat_plan import seat_plan
from planner.seating.synth import plan_for
from test_seating_rules import base


def seated_fixture():
    sc, plan = base()
    return sc, plan


def test_text_map_shows_households_marks_and_legend() -> None:
    sc, plan = seated_fixture()
    text = render_text(sc, plan, "F01")
    lines = text.splitlines()
    row1 = next(line for line in lines if line.strip().startswith("1 "))
    assert row1.split()[1:4] == ["A*", "A", "A"]  # P2 carries the infant, P3 and P1 the same household
    assert "B" in row1.split()  # bassinet row marked
    assert "EXIT" in next(line for line in lines if line.strip().startswith("3 "))
    row6 = next(line for line in lines if line.strip().startswith("6 "))
    assert row6.count("##") == 6  # isolation row
    assert "xx" in next(line for line in lines if line.strip().startswith("2 "))  # blocked 2F
    assert "xx" in next(line for line in lines if line.strip().startswith("5 "))  # stretcher zone 5B
    for word in ("Legend", "lap infant", "reduced mobility", "escort", "exit row", "blocked", "isolation row"):
        assert word in text
    assert "OPS1 (operational)" in text and "M1 (medical) serves P9, P10" in text


SVG = "{http://www.w3.org/2000/svg}"


def _text(el: ET.Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _seat_cells(root: ET.Element) -> dict[str, tuple[str, str]]:
    """Seat id -> (fill, text shown in the seat), from the map's hover groups."""
    out = {}
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        rect = g.find(f"{SVG}rect")
        if title is not None and rect is not None and ":" in (title.text or ""):
            label = g.find(f"{SVG}text")
            out[title.text.split(":")[0]] = (rect.get("fill"), _text(label) if label is not None else "")
    return out


def test_svg_has_its_own_legend_and_the_escort_list() -> None:
    sc, plan = seated_fixture()
    svg = render_svg(sc, plan, "F01")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    cells = _seat_cells(root)
    assert len(cells) == 36  # 6 rows of 6 seats
    legend = {g.get("data-key"): g for g in root.iter(f"{SVG}g") if g.get("class") == "legend-entry"}
    assert list(legend) == [key for key, _, _ in SVG_LEGEND]
    swatch = {k: g.find(f"{SVG}rect") for k, g in legend.items()}
    # each colour swatch is the colour the map gives that kind of seat
    assert swatch["household"].get("fill") == cells["1A"][0] == household_colour("A")
    assert swatch["escort"].get("fill") == cells["3A"][0]  # OPS1
    assert swatch["free"].get("fill") == cells["4F"][0]
    assert swatch["blocked"].get("fill") == cells["2F"][0] == cells["5B"][0]  # operator-blocked, stretcher zone
    assert swatch["isolation"].get("fill") == cells["6A"][0]
    assert len({swatch[k].get("fill") for k in ("escort", "free", "blocked", "isolation")}) == 4
    exit_outlines = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == swatch["exit"].get("stroke")]
    assert len(exit_outlines) == 2 and all(r.get("stroke-dasharray") for r in exit_outlines)  # row 3 and legend
    assert cells["1A"][1] == "A*" and cells["2C"][1].endswith("!")  # the marks the legend explains
    assert "lap infant" in _text(legend["lap_infant"]) and "reduced mobility" in _text(legend["mobility"])
    # no text-map symbols: the SVG draws colours and lists escorts itself
    for symbol in (">..<", "xx", "##", "see the list below the map"):
        assert symbol not in svg
    assert _text(legend["free"]) == "free seat"
    escorts = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "escorts")
    lines = [_text(t) for t in escorts.iter(f"{SVG}text") if t.get("class") == "escort"]
    assert lines == ["E1 M1 (medical) serves P9, P10", "E2 OPS1 (operational) serves -", "E3 U1 (uasc) serves P8"]
    assert (cells["4A"][1], cells["3A"][1], cells["2E"][1]) == ("E1", "E2", "E3")  # M1, OPS1, U1


def test_svg_without_escorts_says_so() -> None:
    sc, plan = seated_fixture()
    plan.flights[0].escorts = []
    root = ET.fromstring(render_svg(sc, plan, "F01"))
    escorts = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "escorts")
    assert [_text(t) for t in escorts.iter(f"{SVG}text") if t.get("class") == "escort"] == ["none on this flight"]


def test_render_after_seating() -> None:
    sc, plan = base(["side"])
    for fp in plan.flights:
        for p in fp.passengers:
            p.seat = None
        for e in fp.escorts:
            e.seat = None
    out = seat_plan(sc, plan, time_limit=0.5, processes=1, deterministic=True)
    assert "E1" in render_text(sc, out.plan, "F01")


def test_household_codes() -> None:
    assert [household_code(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]


SCENARIOS = Path(__file__).parent.parent / "scenarios"


def test_cli_seatmap_names_a_flight_missing_from_the_plan_or_the_scenario(tmp_path: Path, capsys) -> None:
    home = str(SCENARIOS / "teaching-two-flights")
    sc = load_scenario(home)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan_for(sc).to_json(), encoding="utf-8")
    flight = sc.flights[0].id
    assert main(["seatmap", str(plan_file), flight, "--scenario", home]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Flight {flight}") and "Legend:" in out
    assert "warning: the plan was made for" in err  # plan_for's placeholder digest is not this scenario's
    assert main(["seatmap", str(plan_file), flight, "--scenario", str(SCENARIOS / "first-charter-2022")]) == 2
    err = capsys.readouterr().err
    assert f"flight {flight!r} is not in the scenario" in err and "Traceback" not in err
    assert main(["seatmap", str(plan_file), "NOPE", "--scenario", home]) == 2
    assert "flight 'NOPE' is not in the plan" in capsys.readouterr().err
    assert main(["seatmap", str(tmp_path / "none.json"), flight, "--scenario", home]) == 2
    assert "not a readable plan" in capsys.readouterr().err
