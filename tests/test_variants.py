"""Variant files: each override kind, caseload filters reported as `variant.excluded`, errors naming the file
and field, and parallel solving in a deterministic order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from planner.io.loading import ScenarioInputError, load_scenario
from planner.model.scenario import Scenario
from planner.oracle.validate import validate
from planner.pipeline.solve import solve
from planner.report.explain import primary_code
from planner.whatif.variant_files import load_variant, parse_variant
from planner.whatif.variant_runs import run_variants
from planner.whatif.variants import VariantScenario, apply_variant, load_variant_scenario, merge_patch

ROOT = Path(__file__).resolve().parent.parent
TWO = ROOT / "scenarios" / "teaching-two-flights"
LAB = ROOT / "scenarios" / "teaching-lab-bottleneck"


@pytest.fixture(scope="module")
def two() -> Scenario:
    return load_scenario(TWO)


@pytest.fixture(scope="module")
def belarus() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "belarus-2021-iraq")


def variant(**body: Any):
    return parse_variant({"format": "charterplan.variant/1", "name": "v", "base": str(TWO), **body})


def fields(exc: pytest.ExceptionInfo[ScenarioInputError]) -> list[str]:
    return [i.field for i in exc.value.issues]


# ---------------------------------------------------------------- merge patch (RFC 7396)

@pytest.mark.parametrize(("target", "patch", "result"), [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


# ---------------------------------------------------------------- protocol

def test_protocol_patch_changes_window_distancing_and_escort_ratio(two: Scenario) -> None:
    vs = apply_variant(two, variant(protocol={
        "destinations": {"EBL": {"window_hours": 72}, "BGW": None},
        "seating": {"distancing": ["side", "front-back"]},
        "escorts": {"operational_per_passengers": 10},
    }))
    proto = vs.scenario.protocol
    assert proto.destinations["EBL"].window_hours == 72
    assert proto.destinations["EBL"].anchor == "arrival"  # untouched keys stay
    assert "BGW" not in proto.destinations  # null removes
    assert proto.seating.distancing == ["side", "front-back"]
    assert proto.escorts.operational_per_passengers == 10
    assert two.protocol.destinations["EBL"].window_hours == 48  # the base is not changed
    assert "BGW" in two.protocol.destinations


def test_protocol_patch_errors_name_the_field(two: Scenario) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(protocol={"destinations": {"EBL": {"window_hours": 0}}, "lab_turnarond": 3}))
    assert "protocol.destinations.EBL.window_hours" in fields(exc)
    assert "protocol.lab_turnarond" in fields(exc)


def test_escort_ratio_changes_escorts_on_board(two: Scenario) -> None:
    vs = apply_variant(two, variant(protocol={"escorts": {"operational_per_passengers": 4}},
                                    escorts={"add": [{"id": f"OPS-X{i}", "role": "operational"} for i in range(6)]}))
    plan = solve(vs.scenario, options=vs.solve_options(time_limit=2, seat=False))
    assert validate(vs.scenario, plan) == []
    roles = {e.id: e.role for e in vs.scenario.escorts}
    for fp in plan.flights:
        ops = sum(1 for e in fp.escorts if roles[e.escort_id] == "operational")
        assert ops >= -(-len(fp.passengers) // 4)


# ---------------------------------------------------------------- testing sites

def test_site_update_capacity_hours_and_days(two: Scenario) -> None:
    vs = apply_variant(two, variant(testing_sites={"update": [
        {"id": "BRUZGI-LAB", "capacity_per_slot": 9, "daily_capacity": None, "open": "07:00", "close": "21:00",
         "days": {"from": "2021-11-29", "to": "2021-12-01"}},
    ]}))
    site = {s.id: s for s in vs.scenario.testing_sites}["BRUZGI-LAB"]
    assert site.capacity_per_slot == 9
    assert site.daily_capacity is None  # explicit null lifts the daily lab limit
    assert (site.open.hour, site.close.hour) == (7, 21)
    assert str(site.days.to) == "2021-12-01"
    assert site.serves == ["BRUZGI"]  # not given: unchanged


def test_site_add_remove_and_scale(two: Scenario) -> None:
    vs = apply_variant(two, variant(testing_sites={
        "remove": ["MINSK-LAB"],
        "add": [{"id": "MINSK-LAB-2", "serves": ["MINSK-HOTEL-1"], "days": {"from": "2021-11-29", "to": "2021-12-05"},
                 "capacity_per_slot": 5, "daily_capacity": 30}],
        "scale": {"daily_capacity": 1.5, "capacity_per_slot": 2},
    }))
    sites = {s.id: s for s in vs.scenario.testing_sites}
    assert set(sites) == {"BRUZGI-LAB", "MINSK-LAB-2"}
    assert sites["BRUZGI-LAB"].daily_capacity == 24 and sites["BRUZGI-LAB"].capacity_per_slot == 8
    assert sites["MINSK-LAB-2"].daily_capacity == 45 and sites["MINSK-LAB-2"].capacity_per_slot == 10


def test_site_scale_only_the_named_sites(two: Scenario) -> None:
    vs = apply_variant(two, variant(testing_sites={"scale": {"capacity_per_slot": 3, "sites": ["MINSK-LAB"]}}))
    sites = {s.id: s for s in vs.scenario.testing_sites}
    assert sites["MINSK-LAB"].capacity_per_slot == 18
    assert sites["BRUZGI-LAB"].capacity_per_slot == 4


def test_unknown_site_ids_are_errors(two: Scenario) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(testing_sites={"remove": ["NOPE"], "update": [{"id": "NADA", "daily_capacity": 1}],
                                                  "add": [{"id": "MINSK-LAB", "serves": ["X"],
                                                           "days": {"from": "2021-11-29", "to": "2021-11-30"}}]}))
    assert fields(exc) == ["testing_sites.remove[0]", "testing_sites.update[0].id", "testing_sites.add[0].id"]


def test_closing_before_opening_is_reported_on_the_result(two: Scenario) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(testing_sites={"update": [{"id": "MINSK-LAB", "close": "08:00"}]}))
    assert any("close" in f and f.startswith("(result)") for f in fields(exc))


# ---------------------------------------------------------------- flights

def test_shift_hours_moves_departure_and_every_stop(belarus: Scenario) -> None:
    base = {f.id: f for f in belarus.flights}["MSQ-EBL-BGW-05"]
    vs = apply_variant(belarus, variant(flights={"update": [{"id": "MSQ-EBL-BGW-05", "shift_hours": 30}]}))
    moved = {f.id: f for f in vs.scenario.flights}["MSQ-EBL-BGW-05"]
    assert moved.departure == base.departure + timedelta(hours=30)
    assert [s.arrival for s in moved.stops] == [s.arrival + timedelta(hours=30) for s in base.stops]
    assert len(moved.stops) == 2


def test_new_departure_carries_the_arrivals_along(two: Scenario) -> None:
    vs = apply_variant(two, variant(flights={"update": [{"id": "MSQ-EBL-1",
                                                         "departure": "2021-12-03T08:00:00+03:00"}]}))
    f = {f.id: f for f in vs.scenario.flights}["MSQ-EBL-1"]
    assert f.departure.isoformat() == "2021-12-03T08:00:00+03:00"
    assert f.stops[0].arrival - f.departure == timedelta(hours=4, minutes=10)


def test_explicit_stops_replace_the_arrivals(two: Scenario) -> None:
    vs = apply_variant(two, variant(flights={"update": [
        {"id": "MSQ-EBL-1", "stops": [{"airport": "EBL", "arrival": "2021-12-01T15:00:00+03:00"},
                                      {"airport": "BGW", "arrival": "2021-12-01T17:00:00+03:00"}]}]}))
    f = {f.id: f for f in vs.scenario.flights}["MSQ-EBL-1"]
    assert [s.airport for s in f.stops] == ["EBL", "BGW"]
    assert f.departure.isoformat() == "2021-12-01T10:00:00+03:00"


def test_change_aircraft_type(two: Scenario) -> None:
    vs = apply_variant(two, variant(flights={"update": [{"id": "MSQ-BGW-1", "aircraft": "A320-180Y"}]}))
    assert {f.id: f.aircraft for f in vs.scenario.flights}["MSQ-BGW-1"] == "A320-180Y"


def test_add_remove_copy_and_keep_first(two: Scenario) -> None:
    new = {"id": "MSQ-EBL-9", "aircraft": "SMALL-6x6", "origin": "MSQ", "departure": "2021-12-04T10:00:00+03:00",
           "stops": [{"airport": "EBL", "arrival": "2021-12-04T14:10:00+03:00"}]}
    vs = apply_variant(two, variant(flights={"remove": ["MSQ-BGW-1"], "add": [
        new, {"like": "MSQ-BGW-1", "id": "MSQ-BGW-2", "shift_hours": 24}]}))
    flights = {f.id: f for f in vs.scenario.flights}
    assert set(flights) == {"MSQ-EBL-1", "MSQ-EBL-9", "MSQ-BGW-2"}  # a removed flight can still be copied
    assert flights["MSQ-BGW-2"].departure.isoformat() == "2021-12-03T10:00:00+03:00"
    assert flights["MSQ-BGW-2"].stops[0].airport == "BGW"
    kept = apply_variant(two, variant(flights={"add": [new], "keep_first": 2})).scenario.flights
    assert [f.id for f in kept] == ["MSQ-EBL-1", "MSQ-BGW-1"]


def test_flight_errors_name_the_entry(two: Scenario) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(flights={
            "remove": ["X"], "update": [{"id": "Y", "shift_hours": 1}],
            "add": [{"like": "Z", "id": "NEW"}, {"like": "MSQ-EBL-1", "id": "MSQ-BGW-1"}]}))
    assert fields(exc) == ["flights.remove[0]", "flights.update[0].id", "flights.add[0].like", "flights.add[1].id"]
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(flights={"update": [{"id": "MSQ-EBL-1", "aircraft": "NO-SUCH-TYPE"}]}))
    assert any("aircraft" in f for f in fields(exc))


def test_a_new_flight_with_a_typo_is_an_input_error() -> None:
    with pytest.raises(ScenarioInputError) as exc:
        variant(flights={"add": [{"id": "N", "aircraft": "A320-180Y", "origin": "MSQ",
                                  "departure": "2021-12-04T10:00:00",
                                  "stops": [{"airport": "EBL", "arrival": "2021-12-04T14:00:00+03:00"}]}]})
    assert fields(exc) == ["flights.add.0.departure"]
    assert "timezone" in exc.value.issues[0].message


def test_added_flight_moves_more_people(two: Scenario) -> None:
    vs = apply_variant(two, variant(aircraft={"add": [{"type": "TINY-4x2", "rows": {"first": 1, "last": 4},
                                                       "layout": "A B"}]},
                                    flights={"update": [{"id": "MSQ-EBL-1", "aircraft": "TINY-4x2"}]}))
    small = solve(vs.scenario, options=vs.solve_options(time_limit=2, seat=False))
    more = apply_variant(vs.scenario, variant(flights={"add": [{"like": "MSQ-EBL-1", "id": "MSQ-EBL-2",
                                                                 "shift_hours": 24}]},
                                              escorts={"add": [{"id": "OPS-09", "role": "operational",
                                                                        "location": "MINSK-HOTEL-1"}]}))
    bigger = solve(more.scenario, options=more.solve_options(time_limit=2, seat=False))
    assert bigger.kpis.moved_by_destination.get("EBL", 0) > small.kpis.moved_by_destination.get("EBL", 0)


# ---------------------------------------------------------------- escorts

def test_escorts_add_remove_update(two: Scenario) -> None:
    vs = apply_variant(two, variant(escorts={
        "remove": ["OPS-02"],
        "update": [{"id": "OPS-01", "available": {"from": "2021-12-02", "to": "2021-12-03"}}],
        "add": [{"id": "MED-02", "role": "medical", "location": "MINSK-HOTEL-1"}]}))
    escorts = {e.id: e for e in vs.scenario.escorts}
    assert set(escorts) == {"OPS-01", "MED-01", "MED-02"}
    assert str(escorts["OPS-01"].available.from_) == "2021-12-02"
    assert escorts["OPS-01"].location == "MINSK-HOTEL-1"
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(escorts={"remove": ["NONE"], "update": [{"id": "NOBODY", "vaccinated": True}]}))
    assert fields(exc) == ["escorts.remove[0]", "escorts.update[0].id"]


def test_no_escort_available_defers_everyone(two: Scenario) -> None:
    vs = apply_variant(two, variant(escorts={"remove": ["OPS-01", "OPS-02"]}))
    plan = solve(vs.scenario, options=vs.solve_options(time_limit=2, seat=False))
    assert plan.kpis.moved == 0
    assert "capacity.escorts" in plan.kpis.households_deferred_by_reason


# ---------------------------------------------------------------- caseload filters

def test_filters_exclude_whole_households(two: Scenario) -> None:
    assert set(apply_variant(two, variant(people_filter={"destinations": ["EBL"]})).excluded) == \
        {"H05", "H06", "H07", "H08"}
    assert set(apply_variant(two, variant(people_filter={"locations": ["BRUZGI"]})).excluded) == \
        {p.household_id for p in two.people if p.location != "BRUZGI"}
    assert set(apply_variant(two, variant(people_filter={"households": ["H01", "H02"]})).excluded) == \
        {p.household_id for p in two.people} - {"H01", "H02"}
    assert set(apply_variant(two, variant(people_filter={"exclude_households": ["H03"]})).excluded) == {"H03"}


def test_consent_filter_by_date_leaves_missing_consent_to_the_gate(two: Scenario) -> None:
    late = two.model_copy(deep=True)
    late.people[0].consent_date = late.people[0].consent_date + timedelta(days=10)  # C0001 of household H01
    vs = apply_variant(late, variant(people_filter={"consent_recorded_by": "2021-11-25"}))
    assert set(vs.excluded) == {"H01"}
    assert "C0001" in vs.excluded["H01"]
    no_consent = {p.household_id for p in two.people if p.consent == "none"}
    assert no_consent and not no_consent & set(vs.excluded)


def test_registered_by_filter(two: Scenario) -> None:
    dates = sorted({p.registered_on for p in two.people if p.registered_on})
    vs = apply_variant(two, variant(people_filter={"registered_by": str(dates[0])}))
    late = {p.household_id for p in two.people if p.registered_on is None or p.registered_on > dates[0]}
    assert set(vs.excluded) == late


def test_filtered_people_stay_in_the_caseload_as_variant_excluded(two: Scenario) -> None:
    vs = apply_variant(two, variant(people_filter={"destinations": ["EBL"]}))
    plan = solve(vs.scenario, options=vs.solve_options(time_limit=2, seat=False))
    assert validate(vs.scenario, plan) == []
    excluded_people = {p.case_id for p in two.people if p.household_id in vs.excluded}
    flown = {pa.person_id for fp in plan.flights for pa in fp.passengers}
    assert not excluded_people & flown
    reasons = {u.person_id: u.reasons for u in plan.unassigned}
    for pid in excluded_people:
        assert primary_code(reasons[pid]) == "variant.excluded"
        assert "destination BGW" in reasons[pid][0].message
    assert plan.kpis.people == len(two.people)  # same caseload as the base
    assert plan.kpis.households_deferred_by_reason["variant.excluded"] == 4
    assert plan.kpis.moved_by_destination.get("BGW", 0) == 0


def test_unknown_destination_in_filter_is_an_error(two: Scenario) -> None:
    with pytest.raises(ScenarioInputError) as exc:
        apply_variant(two, variant(people_filter={"destinations": ["EBL", "QQQ"]}))
    assert fields(exc) == ["people_filter.destinations[1]"]


# ---------------------------------------------------------------- files

def test_variant_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("format: charterplan.variant/1\nname: bad\nbase: x\nflights: {remove: X, updte: []}\n")
    with pytest.raises(ScenarioInputError) as exc:
        load_variant(path)
    assert {i.file for i in exc.value.issues} == {"bad.yaml"}
    assert set(fields(exc)) == {"flights.remove", "flights.updte"}
    path.write_text("format: charterplan.scenario/1\nname: x\n")
    with pytest.raises(ScenarioInputError) as exc:
        load_variant(path)
    assert fields(exc) == ["format"]
    path.write_text("format: [unclosed\n")
    with pytest.raises(ScenarioInputError) as exc:
        load_variant(path)
    assert exc.value.issues[0].row is not None
    with pytest.raises(ScenarioInputError):
        load_variant(tmp_path / "missing.yaml")


def test_base_resolves_relative_to_the_variant_file(tmp_path: Path) -> None:
    folder = tmp_path / "what-if"
    folder.mkdir()
    path = folder / "v.yaml"
    path.write_text(f"format: charterplan.variant/1\nname: later\nbase: {TWO}\n"
                    "flights: {update: [{id: MSQ-BGW-1, shift_hours: 24}]}\n")
    v, vs = load_variant_scenario(path)
    assert v.source == path.resolve() and v.base_path() == TWO
    relative = folder / "rel.yaml"
    relative.write_text("format: charterplan.variant/1\nname: r\nbase: ../scenario\n")
    assert load_variant(relative).base_path() == folder / ".." / "scenario"
    assert vs.scenario.name.endswith("[later]")


def test_every_example_variant_applies(belarus: Scenario) -> None:
    files = sorted((ROOT / "variants").glob("belarus-*.yaml"))
    variants = [load_variant(f) for f in files if "sweep" not in f.name]
    assert len(variants) >= 4
    for v in variants:
        assert v.base_path().resolve() == (ROOT / "scenarios" / "belarus-2021-iraq").resolve()
        vs = apply_variant(belarus, v)
        assert len(vs.scenario.people) == len(belarus.people)


# ---------------------------------------------------------------- running in parallel

def test_run_variants_in_parallel_keeps_the_order(two: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "ebl.yaml"
    path.write_text(f"format: charterplan.variant/1\nname: EBL only\nbase: {TWO}\n"
                    "people_filter: {destinations: [EBL]}\n")
    plain = ("base", VariantScenario(two, {}))
    moved = ("BGW later", apply_variant(two, variant(flights={"update": [{"id": "MSQ-BGW-1", "shift_hours": 24}]})))
    results = run_variants([plain, load_variant(path), moved], time_limit=2, processes=2, seat=False,
                           deterministic=True)
    assert [name for name, _, _ in results] == ["base", "EBL only", "BGW later"]
    for _, scenario, plan in results:
        assert validate(scenario, plan) == []
    assert results[1][2].kpis.households_deferred_by_reason.get("variant.excluded") == 4
    alone = run_variants([plain], time_limit=2, processes=1, seat=False, deterministic=True)
    assert alone[0][2].to_json() == results[0][2].to_json()


def test_run_variants_with_seating(two: Scenario) -> None:
    [(_, scenario, plan)] = run_variants([("seated", VariantScenario(two, {}))], time_limit=2, processes=1)
    assert plan.stages.seating is not None
    assert all(pa.seat or pa.lap_of for fp in plan.flights for pa in fp.passengers)
    assert validate(scenario, plan) == []
