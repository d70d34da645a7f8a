"""Seat maps as text (with a legend) and as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from planner.seating import seat_plan
from planner.seatmap_render import household_code, render_svg, render_text
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


def test_svg_is_well_formed() -> None:
    sc, plan = seated_fixture()
    svg = render_svg(sc, plan, "F01")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert svg.count("<rect") >= 36


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
