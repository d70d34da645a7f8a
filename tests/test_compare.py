"""Side-by-side comparison: the rows match the plans' KPIs, the text, CSV and JSON renderings agree, and the
differences in words name what changed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from planner.io.loading import ScenarioInputError, load_scenario
from planner.model.options import SolveOptions
from planner.model.scenario import Scenario
from planner.pipeline.solve import solve
from planner.whatif.compare import compare_paths
from planner.whatif.compare_rows import compare
from planner.whatif.compare_table import Comparison
from planner.whatif.compare_words import count_words, describe, scenario_changes
from planner.whatif.variant_files import parse_variant
from planner.whatif.variants import apply_variant

ROOT = Path(__file__).resolve().parent.parent
TWO = ROOT / "scenarios" / "teaching-two-flights"
LAB = ROOT / "scenarios" / "teaching-lab-bottleneck"


def variant(base: Path, **body: Any):
    return parse_variant({"format": "charterplan.variant/1", "name": "v", "base": str(base), **body})


def solved(name: str, scenario: Scenario, excluded: dict[str, str] | None = None):
    plan = solve(scenario, options=SolveOptions(time_limit=3, seat=False, deterministic=True,
                                                excluded=excluded or {}))
    return name, scenario, plan


@pytest.fixture(scope="module")
def lab_results() -> list:
    base = load_scenario(LAB)
    more = apply_variant(base, variant(LAB, testing_sites={"update": [{"id": "BRUZGI-LAB", "daily_capacity": 20}]}))
    flights = apply_variant(base, variant(LAB, flights={"add": [
        {"like": "MSQ-EBL-1", "id": "MSQ-EBL-3", "shift_hours": 48},
        {"like": "MSQ-EBL-2", "id": "MSQ-EBL-4", "shift_hours": 48}]}))
    one = apply_variant(base, variant(LAB, flights={"remove": ["MSQ-EBL-2"]}))
    return [solved("base", base), solved("lab 20/day", more.scenario), solved("two more", flights.scenario),
            solved("one flight", one.scenario)]


@pytest.fixture(scope="module")
def table(lab_results: list) -> Comparison:
    return compare(lab_results)


def test_rows_follow_the_kpis(table: Comparison, lab_results: list) -> None:
    assert table.columns == ["base", "lab 20/day", "two more", "one flight"]
    for i, (_, _, plan) in enumerate(lab_results):
        k = plan.kpis
        assert table.value("moved", i) == k.moved
        assert table.value("people", i) == k.people
        assert table.value("moved.destination.EBL", i) == k.moved_by_destination.get("EBL", 0)
        assert table.value("charters_used", i) == k.flights_used
        assert table.value("escorts_used", i) == k.escorts_used
        assert table.value("lab_peak", i) == k.lab_peak_ratio
        assert table.value("cleared_on", i) == k.cleared_on
        assert table.value("level1_value", i) == plan.objective.level1_value
        assert table.value("gap", i) == plan.objective.gap
        assert table.value("deferred", i) == sum(k.households_deferred_by_reason.values())
        for code, n in k.households_deferred_by_reason.items():
            assert table.value(f"deferred.{code}", i) == n
        for fid, n in k.seats_used_by_flight.items():
            assert table.value(f"flight.{fid}.seats_used", i) == n
            assert table.value(f"flight.{fid}.seats", i) == 42  # 8 rows of 6, rear isolation row empty
        for day, n in k.tests_by_site_day.get("BRUZGI-LAB", {}).items():
            assert table.value(f"tests.{day}", i) == n


def test_flights_missing_from_a_variant_show_as_empty(table: Comparison) -> None:
    assert table.value("flight.MSQ-EBL-2.seats_used", "one flight") is None
    assert table.value("flight.MSQ-EBL-3.seats_used", "base") is None
    assert table.value("flight.MSQ-EBL-3.seats_used", "two more") is not None


def test_more_lab_capacity_moves_more_here(table: Comparison) -> None:
    assert table.value("moved", "lab 20/day") > table.value("moved", "base")
    assert table.value("deferred.capacity.lab", "base") > table.value("deferred.capacity.lab", "lab 20/day")


def test_text_is_a_side_by_side_table(table: Comparison) -> None:
    text = table.to_text()
    lines = text.splitlines()
    assert all(name in lines[0] for name in table.columns)
    for section in ("People moved", "Households deferred, by main reason", "Tests per day (of lab capacity)",
                    "Seats used per flight (of usable seats, load factor)", "Outcome"):
        assert section in lines
    moved = next(line for line in lines if line.strip().startswith("total"))
    assert moved.split()[1:] == [f"{table.value('moved', i):,}" for i in range(len(table.columns))]
    assert "MSQ-EBL-1 usable seats" not in text  # helper rows feed the per-flight cells only
    assert any("/42 " in line for line in lines)
    assert "Differences against base" in text
    assert "two more: " in text


def test_csv_has_every_row_and_column(table: Comparison) -> None:
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows[0] == ["key", "section", "label", *table.columns]
    assert len(rows) == len(table.rows) + 2
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key["moved"][3:] == [str(table.value("moved", i)) for i in range(4)]
    assert by_key["flight.MSQ-EBL-2.seats_used"][6] == ""  # absent flight: empty cell
    assert by_key["differences"][3] == "reference"


def test_json_is_plain_data(table: Comparison) -> None:
    data = table.to_json()
    again = json.loads(json.dumps(data))
    assert again["columns"] == table.columns
    assert len(again["rows"]) == len(table.rows)
    assert again["differences"] == table.differences
    moved = next(r for r in again["rows"] if r["key"] == "moved")
    assert moved["values"] == [table.value("moved", i) for i in range(4)]
    assert {r["kind"] for r in again["rows"]} <= {"count", "ratio", "text", "date", "number"}


def test_differences_in_words(table: Comparison, lab_results: list) -> None:
    assert table.differences[0] == "reference"
    d_lab, d_two, d_one = table.differences[1:]
    moved = [p.kpis.moved for _, _, p in lab_results]
    assert d_lab.startswith(f"+{moved[1] - moved[0]} moved: lab capacity +60%")  # 20 a day, but 16 sampling places
    assert "fewer household" in d_lab and "held by lab capacity" in d_lab
    assert "two more flights to EBL" in d_two
    assert "one fewer flight to EBL" in d_one
    assert "lab" in d_one and ("capacity" in d_one)


def test_words_for_windows_distancing_aircraft_and_moves() -> None:
    base = load_scenario(TWO)
    other = apply_variant(base, variant(TWO, protocol={
        "destinations": {"EBL": {"window_hours": 72}, "BGW": {"anchor": "arrival"}},
        "seating": {"distancing": ["side"]}, "escorts": {"operational_per_passengers": 40}},
        flights={"update": [{"id": "MSQ-EBL-1", "aircraft": "A320-180Y"}, {"id": "MSQ-BGW-1", "shift_hours": 24}]},
        testing_sites={"update": [{"id": "MINSK-LAB", "open": "07:00"}]},
        escorts={"add": [{"id": "OPS-03", "role": "operational"}]})).scenario
    words = scenario_changes(base, other)
    assert "EBL test window 48 h -> 72 h" in words
    assert "BGW test counted from arrival (was departure)" in words
    assert "distancing none -> side" in words
    assert "one operational escort per 40 passengers (was 50)" in words
    assert "MSQ-EBL-1 on A320-180Y (+138 seats)" in words
    assert "MSQ-BGW-1 later by 24 h" in words
    assert "MINSK-LAB open 07:00-21:00" in words
    assert "+1 escorts" in words
    assert any(w.startswith("lab capacity +") for w in words)
    assert scenario_changes(base, base) == []


def test_exemptions_change_the_samples_booked_and_are_worded() -> None:
    base = load_scenario(TWO)
    strict = apply_variant(base, variant(TWO, protocol={"destinations": {
        "EBL": {"exempt_under_years": 0, "vaccinated_exempt": False}, "BGW": {"exempt_under_years": 0}}})).scenario
    words = scenario_changes(base, strict)
    assert "EBL test required at every age (was waived under 12 years)" in words
    assert "BGW test required at every age (was waived under 10 years)" in words
    assert "EBL test no longer waived for the vaccinated" in words
    assert not any("exempt" in w for w in words)  # no raw protocol keys
    assert "EBL test waived under 12 years (was required at every age)" in scenario_changes(strict, base)
    no_test = apply_variant(base, variant(TWO, protocol={"destinations": {"BGW": {"test": "none"}}})).scenario
    assert "BGW no entry test (was PCR)" in scenario_changes(base, no_test)
    table = compare([solved("base", base), solved("strict", strict), solved("no BGW test", no_test)])
    samples = [table.value("tests", i) for i in range(3)]
    moved = [table.value("moved", i) for i in range(3)]
    # children and the vaccinated now need a sample; nobody flying to BGW needs one any more
    assert samples[1] > samples[0] > samples[2], (samples, moved)


def test_words_for_the_caseload_filter_and_clearing() -> None:
    base = load_scenario(TWO)
    vs = apply_variant(base, variant(TWO, people_filter={"destinations": ["EBL"]}))
    a = solved("base", base)
    b = solved("EBL only", vs.scenario, vs.excluded)
    words = describe(a, b)
    assert words.startswith(f"-{a[2].kpis.moved - b[2].kpis.moved} moved")
    assert "people excluded by the caseload filter" in words
    assert describe(a, a).startswith(f"same number moved ({a[2].kpis.moved})")


def test_count_words() -> None:
    assert [count_words(n) for n in (1, 2, 10, 11)] == ["one", "two", "ten", "11"]


def test_compare_paths_mixes_variants_scenarios_and_plans(tmp_path: Path) -> None:
    base = load_scenario(TWO)
    plan = solve(base, options=SolveOptions(time_limit=2, seat=False, deterministic=True))
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.to_json())
    var = tmp_path / "later.yaml"
    var.write_text(f"format: charterplan.variant/1\nname: BGW a day later\nbase: {TWO}\n"
                   "flights: {update: [{id: MSQ-BGW-1, shift_hours: 24}]}\n")
    table = compare_paths([str(TWO), str(var), f"{plan_path}@{TWO}"], time_limit=2, processes=2, seat=False)
    assert table.columns == ["teaching-two-flights", "BGW a day later", "plan"]
    assert table.value("moved", "plan") == plan.kpis.moved
    assert table.value("moved", "teaching-two-flights") == plan.kpis.moved
    assert "MSQ-BGW-1 later by 24 h" in table.differences[1]
    assert table.differences[2].startswith("same number moved")


def test_compare_paths_reports_bad_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: charterplan.variant/1\nname: x\n")
    with pytest.raises(ScenarioInputError) as exc:
        compare_paths([str(bad)], time_limit=1)
    assert exc.value.issues[0].file == "bad.yaml" and exc.value.issues[0].field == "base"
    with pytest.raises(ScenarioInputError):
        compare_paths([f"{tmp_path / 'none.json'}@{TWO}"], time_limit=1)


def test_duplicate_names_get_numbered() -> None:
    base = load_scenario(TWO)
    r = solved("same", base)
    assert compare([r, r]).columns == ["same", "same #2"]
    with pytest.raises(ValueError):
        compare([])


def test_differences_within_the_gap_are_flagged() -> None:
    name, scenario, plan = solved("base", load_scenario(TWO))
    loose = plan.model_copy(deep=True)
    loose.objective.level1_bound = plan.objective.level1_value + 50
    loose.objective.level1_value = plan.objective.level1_value - 10
    loose.objective.gap = round(60 / loose.objective.level1_bound, 6)
    assert "within the solver gap" in describe((name, scenario, plan), ("loose", scenario, loose))
    far = loose.model_copy(deep=True)
    far.objective.level1_value = plan.objective.level1_value - 100
    far.objective.level1_bound = far.objective.level1_value + 50  # 100 lost, at most 50 of it the solver's
    assert "within the solver gap" not in describe((name, scenario, plan), ("far", scenario, far))
    assert "within the solver gap" not in describe((name, scenario, plan), (name, scenario, plan))


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from planner.io.spreadsheet import safe_cell

    assert safe_cell("-12 moved: one fewer flight") == "'-12 moved: one fewer flight"
    assert safe_cell("=HYPERLINK()") == "'=HYPERLINK()"
    assert safe_cell(-12) == -12 and safe_cell("MSQ-EBL-1") == "MSQ-EBL-1" and safe_cell(None) == ""


def test_objective_rows_are_the_oracles_score_of_each_plan() -> None:
    """A plan from elsewhere that claims more than it does is shown as the oracle scores it."""
    from planner.oracle.objective import score

    scenario = load_scenario(TWO)
    plan = solve(scenario, options=SolveOptions(time_limit=3, seating_time_limit=0.2, seating_processes=1))
    claims = plan.model_copy(deep=True)
    claims.objective.level1_value += 1000
    claims.objective.level2_spread = 0
    table = compare([("solved", scenario, plan), ("claims", scenario, claims)])
    truth = score(plan, scenario)
    for i in (0, 1):
        assert table.value("level1_value", i) == truth.level1a == plan.objective.level1_value
        assert table.value("level1b_value", i) == truth.level1b
        assert table.value("level2_spread", i) == truth.level2_spread == plan.objective.level2_spread
        assert table.value("level4_non_robust", i) == truth.level4_non_robust
        assert table.value("level4_seat_cost", i) == truth.level4_seat_cost
    assert truth.level2_spread > 0  # the claim of 0 is not what the table shows
