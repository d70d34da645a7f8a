"""The scenario writer: what it writes loads back to an equal Scenario, byte-stable, in the documented shape; and
the plan file, which reads back to an equal Plan."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.io.cell_rules import formula_like
from planner.io.loading import load_scenario
from planner.io.people_file import parse_people, read_table
from planner.io.writing import PEOPLE_COLUMNS, people_to_csv, scenario_to_yaml, write_scenario
from planner.model.fields import TYPED_VULNERABILITIES
from planner.model.plan import (
    EscortOnBoard,
    FlightPlan,
    Passenger,
    Plan,
    Reason,
    ScenarioRef,
    TestBooking,
    Transfer,
    Unassigned,
)
from planner.model.scenario import Person
from planner.synth.generate import generate_scenario

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching-two-flights"


def test_teaching_scenario_round_trips(tmp_path: Path) -> None:
    original = load_scenario(TEACHING)
    write_scenario(original, tmp_path)
    assert load_scenario(tmp_path) == original
    written = list(csv.DictReader(io.StringIO((tmp_path / "people.csv").read_text(encoding="utf-8"))))
    source = list(csv.DictReader(io.StringIO((TEACHING / "people.csv").read_text(encoding="utf-8"))))
    assert [{k: row[k] for k in source[0]} for row in written] == source  # same cells, same spelling


def test_yaml_shape_and_key_order() -> None:
    scenario = load_scenario(TEACHING)
    text = scenario_to_yaml(scenario)
    data = yaml.safe_load(text)
    assert list(data)[:6] == ["format", "name", "timezone", "as_of", "notes", "people"]
    assert data["people"] == "people.csv"
    assert data["as_of"] == "2021-11-28T18:00:00+03:00"  # quoted ISO 8601 with the offset
    assert data["flights"][0]["stops"][0]["arrival"] == "2021-12-01T14:10:00+03:00"
    assert data["testing_sites"][0]["days"]["from"] == date(2021, 11, 29)
    assert data["testing_sites"][0]["open"] == "08:00"
    assert "timezone" not in data["testing_sites"][0]  # empty optional keys are left out
    assert list(data["protocol"]["destinations"]["EBL"]) == [
        "test", "window_hours", "anchor", "exempt_under_years", "vaccinated_exempt"]


def test_yaml_has_no_anchors_or_aliases() -> None:
    # generated sites and escorts share date objects; PyYAML would write them as `&id001` / `*id001`
    text = scenario_to_yaml(generate_scenario(300, 7))
    assert "&id" not in text and "*id" not in text
    events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    assert not any(isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None) for e in events)
    assert text == scenario_to_yaml(generate_scenario(300, 7))


def test_people_csv_columns_and_cells() -> None:
    scenario = load_scenario(TEACHING)
    rows = list(csv.reader(io.StringIO(people_to_csv(scenario.people))))
    assert tuple(rows[0]) == PEOPLE_COLUMNS
    assert rows[0][:4] == ["case_id", "household_id", "given_name", "family_name"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["exit_cleared"] == "yes" and first["pregnant"] == "no"
    assert first["date_of_birth"] == "1985-03-02"


def test_write_refuses_odd_people_file_names(tmp_path: Path) -> None:
    scenario = load_scenario(TEACHING)
    with pytest.raises(ValueError):
        write_scenario(scenario, tmp_path, people_file="../people.csv")
    write_scenario(scenario, tmp_path, people_file="manifest.csv")
    assert yaml.safe_load((tmp_path / "scenario.yaml").read_text(encoding="utf-8"))["people"] == "manifest.csv"
    assert load_scenario(tmp_path) == scenario


# ---------------------------------------------------------------- property tests

# Text as officers type it: any script, commas, quotes and inner line breaks; the loader strips the ends.
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff") | st.sampled_from(
    [",", '"', "\n", ";", " "]), max_size=30).map(str.strip).filter(lambda t: not formula_like(t))
_day = st.dates(min_value=date(1930, 1, 1), max_value=date(2021, 11, 28))
_moment = st.builds(lambda d, m, h: datetime(d.year, d.month, d.day, tzinfo=timezone(timedelta(hours=h)))
                    + timedelta(minutes=m), _day, st.integers(0, 1439), st.integers(-12, 14))


@st.composite
def _person(draw: st.DrawFn, index: int) -> Person:
    return Person(
        case_id=f"C{index:04d}", household_id=draw(st.sampled_from(["H1", "H2", "H3"])),
        given_name=draw(_text), family_name=draw(_text), name_native=draw(_text),
        sex=draw(st.sampled_from(["F", "M", "X"])), date_of_birth=draw(_day),
        nationality=draw(st.sampled_from(["IRQ", "SYR", "CMR"])), destination="EBL",
        location=draw(st.sampled_from(["BRUZGI-LOGISTICS-CENTRE", "MINSK-HOTEL-1"])),
        consent=draw(st.sampled_from(["explicit", "proxy", "none"])), consent_date=draw(st.none() | _day),
        consent_note=draw(_text), document_type=draw(st.sampled_from(["passport", "etd", "none"])),
        document_number=draw(_text), document_expiry=draw(st.none() | _day), exit_cleared=draw(st.booleans()),
        fitness=draw(st.sampled_from(["fit", "fit_with_escort", "unfit", "pending"])),
        mobility=draw(st.sampled_from(["none", "WCHR", "WCHS", "WCHC", "WCHP", "STCR"])),
        pregnant=draw(st.booleans()), evacuation_capable=draw(st.booleans()),
        unaccompanied_minor=draw(st.booleans()), best_interests_approved=draw(st.booleans()),
        reception_contact=draw(_text), vaccinated=draw(st.booleans()), last_positive_test=draw(st.none() | _day),
        last_test_sample=draw(st.none() | _moment),
        last_test_result=draw(st.none() | st.sampled_from(["negative", "positive", "pending"])),
        registered_on=draw(st.none() | _day),
        vulnerabilities=draw(st.lists(st.sampled_from(TYPED_VULNERABILITIES), unique=True)), notes=draw(_text),
    )


@st.composite
def _people(draw: st.DrawFn) -> list[Person]:
    return [draw(_person(i)) for i in range(draw(st.integers(1, 6)))]


@settings(max_examples=60, deadline=None)
@given(_people())
def test_people_csv_round_trip(people: list[Person]) -> None:
    text = people_to_csv(people)
    header, rows = read_table(text.encode("utf-8"), "people.csv")
    parsed, issues = parse_people(header, rows, "people.csv")
    assert issues == []
    assert parsed == people


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 60), st.integers(0, 10_000), st.integers(1, 3))
def test_generated_scenarios_round_trip(tmp_path: Path, size: int, seed: int, flights: int) -> None:
    scenario = generate_scenario(size, seed, flights=flights, days=6)
    folder = tmp_path / f"s{size}-{seed}-{flights}"
    write_scenario(scenario, folder)
    assert load_scenario(folder) == scenario
    write_scenario(load_scenario(folder), folder / "again")
    for name in ("scenario.yaml", "people.csv"):
        assert (folder / name).read_bytes() == (folder / "again" / name).read_bytes()


def test_advance_passenger_columns_are_written_after_the_document_and_read_back() -> None:
    columns = list(PEOPLE_COLUMNS)
    at = columns.index("document_expiry")
    assert columns[at + 1:at + 4] == ["document_issuing_state", "country_of_birth", "place_of_birth"]
    scenario = generate_scenario(60, 3)
    assert all(p.country_of_birth == p.nationality for p in scenario.people)
    assert all(p.document_issuing_state == (p.nationality if p.document_type == "passport" else None)
               for p in scenario.people if p.document_type != "etd")
    text = people_to_csv(scenario.people)
    header, rows = read_table(text.encode("utf-8"), "people.csv")
    people, issues = parse_people(header, rows, "people.csv")
    assert not issues and people == scenario.people


# ---------------------------------------------------------------- plan JSON (docs/architecture.md#plan-json)

def _plan() -> Plan:
    """A plan with every kind of record, fields at their defaults and not: what the writer may leave out."""
    at = datetime(2021, 11, 29, 8, tzinfo=timezone(timedelta(hours=3)))
    return Plan(
        scenario=ScenarioRef(name="t", sha256="0" * 64), status="feasible",
        flights=[FlightPlan(flight_id="F1", locked=True, provisional=["C2"], passengers=[
                     Passenger(person_id="C1", seat="3A"), Passenger(person_id="C2"),
                     Passenger(person_id="C3", lap_of="C1")],
                     escorts=[EscortOnBoard(escort_id="E1", seat="1A", serves=["C1"]), EscortOnBoard(escort_id="E2")]),
                 FlightPlan(flight_id="F2")],
        tests=[TestBooking(person_id="C1", flight_id="F1", site_id="S", start=at, end=at + timedelta(hours=1)),
               TestBooking(escort_id="E1", site_id="S", start=at, end=at + timedelta(hours=1))],
        unassigned=[Unassigned(person_id="C4", reasons=[
            Reason(code="capacity.seats", message="no seats left on this flight", flights=["F1"]),
            Reason(code="gate.consent", message="no informed voluntary consent recorded", flights="all"),
            Reason(code="flight.no_destination", message="no flight serves destination DAM")]),
            Unassigned(person_id="C5"),
            Unassigned(person_id="C6", reasons=[Reason(code="gate.consent", message="x", flights=["F1"])]),
            Unassigned(person_id="C7", reasons=[Reason(code="gate.consent", message="x", flights=["F1"])]),
            Unassigned(person_id="C8", reasons=[Reason(code="gate.consent", message="x", flights=["F2"])])],
        transfers=[Transfer(vehicle_id="V", flight_id="F1", location="L", airport="MSQ", depart=at, arrive=at,
                            households=["H1"], people=0)],
        timings={"solve": 0.5})


def test_a_plan_reads_back_equal_from_what_it_writes() -> None:
    plan = _plan()
    text = plan.to_json()
    again = Plan.model_validate_json(text)
    assert again == plan
    assert again.to_json() == text


def test_records_are_one_a_line_without_their_defaults() -> None:
    text = _plan().to_json()
    lines = text.splitlines()
    assert '        {"person_id": "C2"},' in lines  # no seat, no lap_of
    assert '        {"lap_of": "C1", "person_id": "C3"}' in lines
    assert '        {"escort_id": "E2", "seat": null, "serves": []}' in lines  # escorts are written whole
    assert any(line.strip().startswith('{"end": ') and '"escort_id": "E1"' in line and "person_id" not in line
               for line in lines)
    [c4] = [line for line in lines if '"person_id": "C4"' in line]
    assert '{"code": "flight.no_destination", "message": "no flight serves destination DAM"}' in c4
    assert '"flights": "all"' in c4
    assert '    {"person_id": "C5"},' in lines
    [transfer] = [line for line in lines if '"vehicle_id"' in line]
    assert '"people"' not in transfer and '"format": "charterplan.plan/2"' in text
    assert '"level1_value": 0' in text and '"locked": false' in text  # only records leave defaults out
    assert json.loads(text) and text.endswith("}\n")


def test_plans_of_format_1_still_load() -> None:
    """A /1 file spelled every field out, indented one value a line; it reads as the same plan."""
    plan = _plan()
    old = plan.model_dump(mode="json")
    old["format"] = "charterplan.plan/1"
    loaded = Plan.model_validate_json(json.dumps(old, indent=2, sort_keys=True))
    assert loaded == plan
    assert loaded.format == "charterplan.plan/2"
    with pytest.raises(ValueError):
        Plan.model_validate({**old, "format": "charterplan.plan/9"})


def test_reasons_said_word_for_word_before_name_that_person() -> None:
    """C7's reasons are C6's, written once; C8's differ in one flight and are written out."""
    plan = _plan()
    lines = plan.to_json().splitlines()
    assert '    {"person_id": "C7", "reasons_of": "C6"},' in lines
    assert sum('"reasons_of"' in line for line in lines) == 1
    [c7] = [u for u in Plan.model_validate_json("\n".join(lines)).unassigned if u.person_id == "C7"]
    assert c7.reasons == plan.unassigned[3].reasons and c7.reasons[0] is not plan.unassigned[3].reasons[0]


@pytest.mark.parametrize("record", [{"person_id": "C9", "reasons_of": "C5"},  # C5 has no reasons of their own
                                    {"person_id": "C9", "reasons_of": "nobody"},
                                    {"person_id": "C9", "reasons_of": "C6", "reasons": []}])
def test_a_reference_to_no_reasons_is_refused(record: dict[str, str]) -> None:
    data = json.loads(_plan().to_json())
    data["unassigned"].append(record)
    with pytest.raises(ValueError, match="reasons_of"):
        Plan.model_validate(data)


def test_a_written_plan_meets_the_schema_charterplan_schema_prints() -> None:
    """The file's shape, `reasons_of` included, is the one `charterplan schema plan` publishes."""
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(_plan().to_json())
    assert any("reasons_of" in u for u in data["unassigned"])
    jsonschema.validate(data, Plan.model_json_schema())
    data["unassigned"][-1]["reason_of"] = "C6"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, Plan.model_json_schema())
