"""The synthetic scenario generator and the bundled scenarios."""

from __future__ import annotations

import importlib.util
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from planner.io.loading import load_scenario
from planner.io.writing import people_to_csv, scenario_to_yaml, write_scenario
from planner.model.caseload import age_years
from planner.model.fields import TYPED_VULNERABILITIES
from planner.model.scenario import Person, Scenario
from planner.seating.seatmaps import resolve_aircraft
from planner.synth.generate import generate_scenario
from planner.synth.names import (
    AR_FAMILY,
    AR_FEMALE,
    AR_MALE,
    FA_FAMILY,
    FA_FEMALE,
    FA_MALE,
    KU_FAMILY,
    KU_FEMALE,
    KU_MALE,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ["belarus-2021-iraq", "first-charter-2022", "teaching-lab-bottleneck", "teaching-vulnerable-first",
           "teaching-two-flights"]


@pytest.fixture(scope="module")
def medium() -> Scenario:
    return generate_scenario(1500, 7, flights=8)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_scenario(generate_scenario(300, 42), tmp_path / "a")
    write_scenario(generate_scenario(300, 42), tmp_path / "b")
    for name in ("scenario.yaml", "people.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seeds_differ() -> None:
    a, b = generate_scenario(200, 1), generate_scenario(200, 2)
    assert people_to_csv(a.people) != people_to_csv(b.people)
    assert scenario_to_yaml(a) != scenario_to_yaml(b)


@pytest.mark.parametrize(("people", "flights"), [(1, None), (7, None), (60, 1), (250, 3), (900, None)])
def test_generated_scenarios_load_without_errors(tmp_path: Path, people: int, flights: int | None) -> None:
    scenario = generate_scenario(people, people, flights=flights)
    write_scenario(scenario, tmp_path)
    loaded = load_scenario(tmp_path)
    assert len(loaded.people) == people
    assert loaded == scenario


def test_bad_arguments_are_refused() -> None:
    for kwargs in ({"people": 0, "seed": 1}, {"people": 5, "seed": 1, "days": 1},
                   {"people": 5, "seed": 1, "flights": 0}, {"people": 5, "seed": 1, "destinations": {"XXX": 1}}):
        with pytest.raises(ValueError):
            generate_scenario(**kwargs)


def test_households_and_ages(medium: Scenario) -> None:
    on = medium.as_of.date()
    sizes = Counter(Counter(p.household_id for p in medium.people).values())
    households = sum(sizes.values())
    assert 0.3 < sizes[1] / households < 0.55  # singles are common
    assert max(sizes) <= 8 and any(size >= 6 for size in sizes)  # and some large families
    ages = [age_years(p.date_of_birth, on) for p in medium.people]
    assert 0.55 < sum(a >= 18 for a in ages) / len(ages) < 0.85
    assert 0.005 < sum(a < 2 for a in ages) / len(ages) < 0.08  # lap infants
    assert 0.005 < sum(a >= 60 for a in ages) / len(ages) < 0.08  # some elderly
    assert max(ages) < 95 and 20 < statistics.median(ages) < 35
    for hid in {p.household_id for p in medium.people}:
        members = [p for p in medium.people if p.household_id == hid]
        assert len({p.destination for p in members}) == 1
        if not members[0].unaccompanied_minor:
            assert any(age_years(p.date_of_birth, on) >= 18 for p in members)
        else:
            assert all(age_years(p.date_of_birth, on) < 18 for p in members)


def test_shares_are_sane(medium: Scenario) -> None:
    people = medium.people
    n = len(people)

    def share(predicate: Callable[[Person], bool]) -> float:
        return sum(1 for p in people if predicate(p)) / n

    assert share(lambda p: p.nationality == "IRQ") > 0.9
    assert share(lambda p: p.destination == "EBL") > 0.55
    assert 0.05 < share(lambda p: p.destination == "BGW") < 0.35
    assert 0.02 < share(lambda p: p.destination == "ISU") < 0.25
    assert share(lambda p: p.destination not in ("EBL", "BGW", "ISU")) < 0.05  # no flight serves them
    assert share(lambda p: p.consent == "explicit") > 0.85
    assert share(lambda p: p.consent == "none") < 0.08
    assert all(p.consent_note for p in people if p.consent == "proxy")
    assert 0.01 < share(lambda p: p.document_status in ("none", "requested")) < 0.1
    assert all(p.document_authority for p in people if p.document_status == "requested")
    assert share(lambda p: p.document_type == "etd") > 0.1
    assert share(lambda p: p.exit_cleared) > 0.9
    assert share(lambda p: p.fitness == "fit") > 0.7
    assert share(lambda p: p.fitness == "unfit") < 0.02
    assert share(lambda p: p.mobility != "none") < 0.04
    assert share(lambda p: p.pregnant) < 0.05 and all(p.sex == "F" for p in people if p.pregnant)
    assert 0.05 < share(lambda p: p.vaccinated) < 0.4
    assert share(lambda p: p.last_positive_test is not None) < 0.05
    assert all(set(p.vulnerabilities) <= set(TYPED_VULNERABILITIES) for p in people)
    registered = {p.registered_on for p in people}
    assert len(registered) > 20 and max(registered) <= medium.as_of.date()  # spread over weeks


def test_names_have_a_native_spelling(medium: Scenario) -> None:
    tables = [KU_MALE, KU_FEMALE, KU_FAMILY, AR_MALE, AR_FEMALE, AR_FAMILY, FA_MALE, FA_FEMALE, FA_FAMILY]
    for table in tables:
        for latin, native in table.items():
            assert latin.replace("-", "").isascii() and native
            assert all("\u0600" <= c <= "\u06ff" or c == " " for c in native), (latin, native)
    for p in medium.people:
        if p.nationality != "CMR":
            assert p.name_native and any("\u0600" <= c <= "\u06ff" for c in p.name_native)


def test_capacity_is_sized_to_bind(medium: Scenario) -> None:
    seats = sum(resolve_aircraft(f.aircraft).seat_count for f in medium.flights)
    assert 0.6 * len(medium.people) < seats < 1.1 * len(medium.people)
    served = {s.airport for f in medium.flights for s in f.stops}
    assert served == {"EBL", "BGW", "ISU"}
    assert set(medium.protocol.destinations) == served
    locations = {p.location for p in medium.people}
    assert locations <= {loc for site in medium.testing_sites for loc in site.serves}
    daily = sum(s.daily_capacity or 0 for s in medium.testing_sites)
    assert 0.2 * len(medium.people) / 14 < daily < len(medium.people) / 4
    roles = Counter(e.role for e in medium.escorts)
    assert roles["operational"] >= len(medium.flights) // 2 and roles["medical"] >= 1 and roles["uasc"] >= 1
    for flight in medium.flights:
        assert flight.origin == "MSQ" and flight.check_in_minutes == 180
        assert flight.departure > medium.as_of
        block = (flight.stops[0].arrival - flight.departure).total_seconds() / 60
        assert 240 <= block <= 280


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / name)
    assert scenario.people and scenario.flights
    if name != "teaching-two-flights":  # hand-made, documented by its own notes
        assert (ROOT / "scenarios" / name / "README.md").exists()


def test_bundled_sizes() -> None:
    belarus = load_scenario(ROOT / "scenarios" / "belarus-2021-iraq")
    assert 6500 <= len(belarus.people) <= 7500 and len(belarus.flights) == 30 and len(belarus.testing_sites) == 3
    span = max(f.departure for f in belarus.flights) - min(f.departure for f in belarus.flights)
    assert span.days <= 14
    first = load_scenario(ROOT / "scenarios" / "first-charter-2022")
    assert len(first.people) == 98 and len(first.flights) == 1
    assert first.flights[0].departure.date() == date(2022, 3, 22)
    assert [s.airport for s in first.flights[0].stops] == ["EBL"]


def test_make_bundled_reproduces_small_scenarios() -> None:
    spec = importlib.util.spec_from_file_location("make_bundled", ROOT / "scenarios" / "make_bundled.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check", "first-charter-2022", "teaching-lab-bottleneck",
                        "teaching-vulnerable-first"]) == 0
