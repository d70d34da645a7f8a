"""The load summary against a flight computed by hand, its CSV and HTML files, and `charterplan export
load-summary` (docs/load.md)."""

from __future__ import annotations

import csv
import io
from datetime import date

from builders import SMALL, scenario
from planner.cli import main as cli_main
from planner.io.writing import write_scenario
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan
from planner.model.scenario import Scenario
from planner.report.load_summary import flight_load
from planner.report.load_summary_files import load_summary_csv, load_summary_html
from rules.kit import person

ZONES = [{"id": "FWD", "first_row": 1, "last_row": 3, "index_per_passenger": -0.5},
         {"id": "AFT", "first_row": 4, "last_row": 6, "index_per_passenger": 0.75, "max_passengers": 10}]


def _flight() -> tuple[Scenario, Plan]:
    people = [
        person("A", sex="M"),                                                     # defaults: 1 bag, 20 kg, 6 cabin
        person("B", sex="F", checked_bags=2, checked_bag_kg=35, cabin_bag_kg=8),
        person("C", sex="F", date_of_birth=date(2015, 6, 1), checked_bags=0),     # a child, no checked bag
        person("I", sex="M", date_of_birth=date(2021, 3, 1), checked_bag_kg=10),  # lap infant on B
        person("W", sex="M", mobility_aid="wheelchair_lithium_ion", mobility_aid_kg=23.5),
    ]
    s = scenario(people, standard_masses={"source": "test table", "adult": 84, "male": 88, "female": 70,
                                          "child": 35})
    aircraft = SMALL.model_validate({**SMALL.model_dump(), "payload_limit_kg": 600, "zones": ZONES})
    s = s.model_copy(update={"aircraft": [aircraft]})
    fp = FlightPlan(flight_id="F1", passengers=[
        Passenger(person_id="A", seat="1A"), Passenger(person_id="B", seat="1B"), Passenger(person_id="I", lap_of="B"),
        Passenger(person_id="C", seat="4A"), Passenger(person_id="W", seat="5C")],
        escorts=[EscortOnBoard(escort_id="OPS-1", seat="6F")])
    return s, Plan(scenario={"name": s.name, "sha256": "x"}, flights=[fp])


def test_load_summary_matches_the_hand_computed_flight():
    s, plan = _flight()
    load = flight_load(s, plan, "F1")
    fwd, aft = load.zones  # nobody outside a zone: no "-" row
    # FWD: A (male 88) and B (female 70) seated, infant I on B's lap (0 kg, not seated): index 2 × -0.5
    assert (dict(fwd.counts), fwd.seated, fwd.mass_kg, fwd.index) == ({"male": 1, "female": 1, "infant": 1}, 2,
                                                                       158, -1.0)
    # AFT: C (child 35), W (male 88), the escort (adult 84): index 3 × 0.75
    assert (dict(aft.counts), aft.seated, aft.mass_kg, aft.index) == ({"child": 1, "male": 1, "escort": 1}, 3,
                                                                       207, 2.25)
    # bags: A 1/20, B 2/35, C 0/0, I 1/10, W 1/20, escort 1/20; cabin 6+8+6+6+6+6 (in the standard masses)
    assert (load.checked_bags, load.checked_kg, load.cabin_kg) == (6, 105, 38)
    assert (dict(load.aids), load.aids_kg) == ({"wheelchair_lithium_ion": 1}, 23.5)
    assert load.passenger_kg == 365
    assert load.traffic_load_kg == 365 + 105 + 23.5
    assert (load.payload_limit_kg, load.margin_kg, load.balance_index) == (600, 600 - 493.5, 1.25)


def test_csv_and_html_carry_the_figures():
    s, plan = _flight()
    load = flight_load(s, plan, "F1")
    rows = list(csv.DictReader(io.StringIO(load_summary_csv([load]))))
    figure = {(r["section"], r["item"], r["category"]): (r["count"], r["kg"]) for r in rows}
    assert figure[("passengers", "FWD", "infant")] == ("1", "")
    assert figure[("zone", "AFT", "index")] == ("3", "2.25")
    assert figure[("baggage", "checked", "")] == ("6", "105.0")
    assert figure[("hold", "wheelchair_lithium_ion", "")] == ("1", "")
    assert figure[("total", "traffic load", "")] == ("", "493.5")
    assert figure[("total", "payload limit", "")] == ("", "600.0")
    assert figure[("total", "balance index", "")] == ("", "1.25")
    html = load_summary_html([load], "Load <test>")
    assert "Load &lt;test&gt;" in html and "493.5 kg" in html and "1.25" in html


def test_unseated_plan_puts_everyone_outside_the_zones_and_has_no_index():
    s, plan = _flight()
    for pa in plan.flights[0].passengers:
        pa.seat = None
    plan.flights[0].escorts[0].seat = None
    load = flight_load(s, plan, "F1")
    assert load.zones[-1].zone_id == "-" and load.zones[-1].seated == 5
    assert load.balance_index is None


def test_cli_export_load_summary(tmp_path, capsys):
    s, plan = _flight()
    write_scenario(s, tmp_path / "scn")
    (tmp_path / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    args = ["export", "load-summary", str(tmp_path / "scn"), str(tmp_path / "plan.json")]
    assert cli_main([*args, "--flight", "F1"]) == 0
    assert "F1,total,traffic load,,,493.5" in capsys.readouterr().out
    assert cli_main([*args, "--out", str(tmp_path / "load.html")]) == 0
    assert "Load summary F1" in (tmp_path / "load.html").read_text(encoding="utf-8")
    assert cli_main([*args, "--flight", "NOPE"]) == 2
    assert "flight NOPE is not in the scenario" in capsys.readouterr().err
