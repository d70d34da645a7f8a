"""The seat map on a flight page is plain inline SVG, whatever prefix another library registered for SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api.web import flight_view
from planner import solve
from planner.io.loading import load_scenario
from planner.model.options import SolveOptions
from planner.seating.render import render_svg

SVG_NS = "http://www.w3.org/2000/svg"


def test_seat_map_keeps_plain_svg_tags_after_a_library_registers_a_prefix() -> None:
    scenario = load_scenario("scenarios/teaching-two-flights")
    plan = solve(scenario, options=SolveOptions(time_limit=3))
    flight = next(f for f in plan.flights if f.passengers)
    taken = {p.seat for p in flight.passengers if p.seat}
    ET.register_namespace("svg", SVG_NS)  # as WeasyPrint does when it has drawn a PDF in the same process
    try:
        raw = render_svg(scenario, plan, flight.flight_id)
        svg = flight_view._make_interactive(raw, lambda seat: f"seat {seat}" if seat in taken else None)
    finally:
        ET.register_namespace("", SVG_NS)
    assert svg.startswith("<svg ") and "svg:" not in svg and f'xmlns="{SVG_NS}"' in svg
    assert svg.count('class="seat seat-taken"') == len(taken) > 0
