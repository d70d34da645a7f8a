"""Parameter sweeps: grid parsing and naming, one row per point with its gap, and monotone answers where the
optimum must be monotone (more lab capacity or more charters never serve less priority)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from planner.io.loading import ScenarioInputError
from planner.pipeline.solve_many import TABLE_RESERVE
from planner.whatif.sweep import SweepTable, load_sweep, parse_sweep, run_sweep, sweep_points

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "scenarios" / "teaching-lab-bottleneck"
TWO = ROOT / "scenarios" / "teaching-two-flights"


def spec(parameters: dict[str, Any], base: Path = LAB, **kw: Any):
    return parse_sweep({"format": "charterplan.sweep/1", "name": "s", "base": str(base),
                        "parameters": parameters, **kw})


@pytest.fixture(scope="module")
def lab_sweep() -> SweepTable:
    return run_sweep(spec({"flights": {"keep_first": [1, 2]}, "lab.daily_capacity_scale": [0.5, 1, 1.5, 2, 3]}),
                     time_limit=20, processes=2, deterministic=True)


def test_grid_order_names_and_aliases() -> None:
    points = sweep_points(spec({"flights": {"keep_first": [1, 2]}, "lab.capacity_scale": [0.5, 2]}))
    assert [p.name for p in points] == ["keep_first=1, capacity_scale=0.5", "keep_first=1, capacity_scale=2",
                                        "keep_first=2, capacity_scale=0.5", "keep_first=2, capacity_scale=2"]
    last = points[-1].variant
    assert last.flights.keep_first == 2
    assert last.testing_sites.scale.daily_capacity == 2 and last.testing_sites.scale.capacity_per_slot == 2
    assert points[0].variant.testing_sites.scale.daily_capacity == 0.5  # points do not share patches


def test_protocol_paths_and_a_common_patch() -> None:
    points = sweep_points(spec({"protocol.destinations.EBL.window_hours": [48, 72],
                                "protocol.seating.distancing": [[], ["side"]]},
                               patch={"people_filter": {"destinations": ["EBL"]}}))
    assert len(points) == 4
    assert points[1].variant.protocol == {"destinations": {"EBL": {"window_hours": 48}},
                                          "seating": {"distancing": ["side"]}}
    assert all(p.variant.people_filter.destinations == ["EBL"] for p in points)
    assert points[1].name == "window_hours=48, distancing=['side']"


def test_sweep_errors_name_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        spec({"flights.keep_first": 3})
    assert exc.value.issues[0].field == "parameters.flights.keep_first"
    with pytest.raises(ScenarioInputError) as exc:
        sweep_points(spec({"flights.keep_first": [1, -1]}))
    assert "keep_first=-1" in exc.value.issues[0].field and "flights.keep_first" in exc.value.issues[0].field
    with pytest.raises(ScenarioInputError) as exc:
        sweep_points(spec({"flights.keep_frst": [1]}))
    assert exc.value.issues[0].field.endswith("flights.keep_frst")
    with pytest.raises(ScenarioInputError) as exc:
        parse_sweep({"format": "charterplan.variant/1", "name": "x", "base": "y", "parameters": {"a": [1]}})
    assert exc.value.issues[0].field == "format"
    path = tmp_path / "s.yaml"
    path.write_text("format: charterplan.sweep/1\nname: s\nbase: x\nparameters: {}\n")
    with pytest.raises(ScenarioInputError) as exc:
        load_sweep(path)
    assert exc.value.issues[0].file == "s.yaml"


def test_one_row_per_point_with_its_gap(lab_sweep: SweepTable) -> None:
    assert len(lab_sweep.rows) == 10
    assert lab_sweep.parameters == ["keep_first", "daily_capacity_scale"]
    # 20 s for the whole sweep: 10 points in 5 rounds of 2 parallel points, less the table's reserve
    assert lab_sweep.point_time_limit == pytest.approx((20 - TABLE_RESERVE) / 5)
    for row, (_, scenario, plan) in zip(lab_sweep.rows, lab_sweep.results, strict=True):
        assert row["gap"] == plan.objective.gap
        assert row["moved"] == plan.kpis.moved
        assert row["charters"] == row["keep_first"] == len(scenario.flights)
        assert plan.stages.seating is None  # sweeps run allocation and tests only
    assert {"deferred.capacity.lab", "level1_bound", "status", "lab_peak"} <= set(lab_sweep.columns)


def test_more_lab_capacity_or_charters_never_serve_less(lab_sweep: SweepTable) -> None:
    rows = {(r["keep_first"], r["daily_capacity_scale"]): r for r in lab_sweep.rows}
    assert all(r["status"] == "optimal" for r in rows.values())  # tiny case: monotone only at optimality
    scales = [0.5, 1, 1.5, 2, 3]
    for flights in (1, 2):
        moved = [rows[(flights, s)]["moved"] for s in scales]
        value = [rows[(flights, s)]["level1_value"] for s in scales]
        assert moved == sorted(moved) and value == sorted(value)
        assert moved[0] < moved[-1]  # the lab binds at the low end
    for s in scales:
        assert rows[(2, s)]["level1_value"] >= rows[(1, s)]["level1_value"]
        assert rows[(2, s)]["moved"] >= rows[(1, s)]["moved"]


def test_renderings(lab_sweep: SweepTable) -> None:
    text = lab_sweep.to_text()
    assert text.startswith("Sweep 's': 10 points, 3.9 s per point")
    assert len(text.splitlines()) == 12
    assert "gap" in text.splitlines()[1]
    rows = list(csv.DictReader(io.StringIO(lab_sweep.to_csv())))
    assert len(rows) == 10 and list(rows[0])[:2] == ["keep_first", "daily_capacity_scale"]
    data = json.loads(json.dumps(lab_sweep.to_json()))
    assert data["rows"][0]["keep_first"] == 1 and data["point_time_limit"] == pytest.approx(3.9)
    table = lab_sweep.comparison()
    assert table.columns[0] == "keep_first=1, daily_capacity_scale=0.5"
    assert "lab capacity" in table.differences[1]


def test_sweep_on_a_variant_file_keeps_its_filter(tmp_path: Path) -> None:
    (tmp_path / "ebl.yaml").write_text(f"format: charterplan.variant/1\nname: EBL only\nbase: {TWO}\n"
                                       "people_filter: {destinations: [EBL]}\n")
    (tmp_path / "s.yaml").write_text("format: charterplan.sweep/1\nname: escorts\nbase: ebl.yaml\n"
                                     "parameters: {protocol.escorts.operational_per_passengers: [2, 50]}\n")
    table = run_sweep(tmp_path / "s.yaml", time_limit=2, processes=1)
    assert [r["operational_per_passengers"] for r in table.rows] == [2, 50]
    for row in table.rows:
        assert row["deferred.variant.excluded"] == 4
    assert table.rows[0]["moved"] <= table.rows[1]["moved"]


def test_example_sweep_files_parse() -> None:
    for path in sorted((ROOT / "variants").glob("*sweep*.yaml")):
        s = load_sweep(path)
        points = sweep_points(s)
        assert points and s.base_path().resolve().is_dir()
    assert len(sweep_points(load_sweep(ROOT / "variants" / "belarus-sweep.yaml"))) == 12


def test_each_point_is_reported_as_it_finishes_within_the_sweeps_deadline() -> None:
    from planner.model.options import Progress
    from planner.pipeline.deadline import Deadline

    seen: list[Progress] = []
    deadline = Deadline.after(6)
    table = run_sweep(spec({"lab.daily_capacity_scale": [0.5, 1, 2]}), processes=2, deadline=deadline,
                      on_progress=seen.append)
    assert [p.done for p in seen] == [1, 2, 3] and {p.total for p in seen} == {3}
    assert all(p.stage == "points" and "moved" in p.message and p.limit == 6 for p in seen)
    assert table.invalid == [] and table.seconds <= deadline.seconds + 2


def test_a_stopped_sweep_still_fills_every_row() -> None:
    import threading

    stop = threading.Event()
    stop.set()
    table = run_sweep(spec({"lab.daily_capacity_scale": [0.5, 1]}), time_limit=30, processes=2, stop=stop)
    assert len(table.rows) == 2 and table.invalid == []
    assert all(row["status"] in ("stopped", "optimal", "greedy", "feasible") for row in table.rows)
