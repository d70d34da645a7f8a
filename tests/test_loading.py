"""Bad input is reported all at once, each error naming file, row and field; nothing crashes."""

import shutil
from pathlib import Path

import pytest

from planner.io.input_errors import ScenarioInputError
from planner.io.loading import load_scenario
from planner.io.people_file import parse_people, read_table
from planner.io.scenario_checks import check_scenario
from planner.model.caseload import households
from planner.model.scenario import ScenarioFile
from planner.rules.gates import first_failure

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(TEACHING, tmp_path / "s")
    return tmp_path / "s"


def _issues(folder: Path) -> list:
    with pytest.raises(ScenarioInputError) as exc:
        load_scenario(folder)
    return exc.value.issues


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_teaching_scenario_loads():
    s = load_scenario(TEACHING)
    assert len(s.people) == 24 and len(s.flights) == 2


def _line_of(path: Path):
    """A finder of the 1-based line of the first line of `path` holding a text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lambda needle: next(n for n, text in enumerate(lines, start=1) if needle in text)


def test_every_error_is_reported_at_once(folder: Path):
    people = folder / "people.csv"
    _edit(people, "C0001,H01,Rebin,Ahmed,,M,1985-03-02,IRQ,EBL", "C0001,H01,Rebin,Ahmed,,M,2030-03-02,IRQ,XXX")
    _edit(people, "C0007,H02", "C0006,H02")  # duplicate case_id
    _edit(people, "C0013,H05,Zahra,Jaber,,F,1954-08-08,IRQ,BGW", "C0013,H05,Zahra,Jaber,,F,1954-08-08,IRQ,EBL")
    _edit(people, "C0014,H06,Mustafa,Abbas,,M,1983-12-12", "C0014,H06,Mustafa,Abbas,,M,12/12/1983")
    _edit(people, ",,,2021-11-10,,\nC0018", ",2021-11-27T10:00:00,,2021-11-10,,\nC0018")
    yaml_path = folder / "scenario.yaml"
    _edit(yaml_path, 'arrival: "2021-12-01T14:10:00+03:00"', 'arrival: "2021-12-01T09:10:00+03:00"')
    _edit(yaml_path, "escorts:\n", "escorts:\n  - {id: OPS-09, role: operational, testing_site: NOWHERE}\n")
    _edit(yaml_path, "MINSK-LAB, serves: [MINSK-HOTEL-1]",
          'MINSK-LAB, slots: [{start: "2021-11-30T22:00:00+03:00", end: "2021-11-30T23:00:00+03:00"}], '
          "serves: [MINSK-HOTEL-1]")
    found = {(i.file, i.row, i.field) for i in _issues(folder)}
    messages = " | ".join(str(i) for i in _issues(folder))
    line = _line_of(yaml_path)
    assert ("people.csv", 2, "destination") in found, messages  # unknown airport
    assert ("people.csv", 2, "date_of_birth") in found, messages  # born in the future
    assert ("people.csv", 8, "case_id") in found, messages  # duplicate
    assert ("people.csv", 14, "destination") in found, messages  # household split across destinations
    assert ("people.csv", 15, "date_of_birth") in found, messages  # unparseable date
    assert ("people.csv", 18, "last_test_sample") in found, messages  # no timezone
    assert ("scenario.yaml", line("09:10:00"), "flights[0].stops[0].arrival") in found, messages
    assert ("scenario.yaml", line("NOWHERE"), "escorts[0].testing_site") in found, messages
    assert ("scenario.yaml", line("22:00:00"), "testing_sites[1].slots[0]") in found, messages
    assert "no timezone" in messages and "unknown airport code 'XXX'" in messages


def test_time_without_timezone_in_yaml(folder: Path):
    _edit(folder / "scenario.yaml", 'as_of: "2021-11-28T18:00:00+03:00"', 'as_of: "2021-11-28T18:00:00"')
    issues = _issues(folder)
    assert [(i.field, "timezone" in i.message) for i in issues] == [("as_of", True)]


def test_unknown_aircraft_and_airport_in_flights(folder: Path):
    _edit(folder / "scenario.yaml", "aircraft: SMALL-6x6\n    origin: MSQ", "aircraft: A999\n    origin: QQQ")
    fields = {i.field for i in _issues(folder)}
    assert {"flights[0].aircraft", "flights[0].origin"} <= fields


def test_unknown_column_and_missing_required_column():
    header, rows = read_table(b"case_id,colour\nC1,blue\n", "people.csv")
    _, issues = parse_people(header, rows, "people.csv")
    fields = {i.field for i in issues}
    assert "colour" in fields and "household_id" in fields


def test_bad_values_name_row_and_field():
    data = (b"case_id,household_id,sex,date_of_birth,nationality,destination,location,consent,document_type,"
            b"pregnant,vulnerabilities\n"
            b"C1,H1,Q,1990-01-01,IRQ,EBL,CAMP,explicit,passport,maybe,torture\n"
            b"C2,H1,F,1990-01-01,IRQ,EBL,CAMP,sure,passport,no,elderly\n")
    header, rows = read_table(data, "people.csv")
    _, issues = parse_people(header, rows, "people.csv")
    found = {(i.row, i.field) for i in issues}
    assert found == {(2, "sex"), (2, "pregnant"), (3, "consent"), (3, "vulnerabilities")}


def test_non_utf8_and_malformed_files_are_refused_clearly():
    with pytest.raises(ScenarioInputError, match="UTF-8"):
        read_table("case_id\nÄ\n".encode("utf-16"), "people.csv")
    with pytest.raises(ScenarioInputError, match="XLSX"):
        read_table(b"not a zip", "people.xlsx")


def test_bom_is_tolerated():
    header, rows = read_table("\ufeffcase_id,household_id\nC1,H1\n".encode(), "people.csv")
    assert header[0] == "case_id" and rows[0]["case_id"] == "C1"


def test_xlsx_with_the_same_header(tmp_path: Path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    lines = (TEACHING / "people.csv").read_text(encoding="utf-8").splitlines()
    import csv

    for row in csv.reader(lines):
        ws.append(row)
    target = tmp_path / "people.xlsx"
    wb.save(target)
    header, rows = read_table(target.read_bytes(), "people.xlsx")
    people, issues = parse_people(header, rows, "people.xlsx")
    assert issues == [] and len(people) == 24


def test_unknown_scenario_timezone_is_reported_not_raised(folder: Path):
    _edit(folder / "scenario.yaml", "timezone: Europe/Minsk", "timezone: Europe/Minskk")
    _edit(folder / "people.csv", "C0001,H01,Rebin,Ahmed,,M,1985-03-02", "C0001,H01,Rebin,Ahmed,,M,2030-03-02")
    found = {(i.field, i.row) for i in _issues(folder)}
    assert found == {("timezone", 3), ("date_of_birth", 2)}  # birth dates still checked, on as_of's own date


@pytest.mark.parametrize(("old", "new", "field", "needle"), [
    ('close: "20:00"', "close: 20:00", "testing_sites[0].close", 'unquoted 20:00 as a base-60 number'),
    ('open: "09:00"', "open: 9:00", "testing_sites[1].open", 'e.g. "09:00"'),
    ('open: "09:00"', 'open: "09:00+03:00"', "testing_sites[1].open", "has a timezone offset"),
])
def test_unquoted_or_offset_site_hours_are_refused(folder: Path, old: str, new: str, field: str, needle: str):
    _edit(folder / "scenario.yaml", old, new)
    issues = _issues(folder)
    assert [i.field for i in issues] == [field], issues
    assert needle in issues[0].message and "in quotes as HH:MM" in issues[0].message


def test_schema_errors_do_not_hide_people_errors(folder: Path):
    yaml_path = folder / "scenario.yaml"
    _edit(yaml_path, 'departure: "2021-12-01T10:00:00+03:00"', 'departure: "2021-12-01T10:00:00"')
    _edit(yaml_path, "escorts:\n", "escorts:\n  - {id: OPS-09, role: operational, testing_site: NOWHERE}\n")
    _edit(folder / "people.csv", "C0001,H01,Rebin,Ahmed,,M,1985-03-02,IRQ,EBL,",
          "C0001,H01,Rebin,Ahmed,,M,1985-03-02,IRQ,EB,")
    _edit(folder / "people.csv", "C0014,H06,Mustafa,Abbas,,M,1983-12-12", "C0014,H06,Mustafa,Abbas,,M,12/12/1983")
    found = {(i.file, i.field) for i in _issues(folder)}
    assert found == {("scenario.yaml", "flights[0].departure"), ("scenario.yaml", "escorts[0].testing_site"),
                     ("people.csv", "destination"), ("people.csv", "date_of_birth")}


def test_a_broken_definition_is_not_reported_again_as_an_unknown_reference(folder: Path):
    _edit(folder / "scenario.yaml", "MINSK-LAB, serves: [MINSK-HOTEL-1]", "MINSK-LAB, serves: []")
    _edit(folder / "scenario.yaml", "escorts:\n",
          "escorts:\n  - {id: OPS-09, role: operational, testing_site: MINSK-LAB}\n")
    _edit(folder / "scenario.yaml", "layout: \"ABC DEF\", exit_rows", "layout: 7, exit_rows")
    assert [i.field for i in _issues(folder)] == ["testing_sites[1].serves", "aircraft[0].layout"]


def test_slot_hours_are_checked_despite_other_errors(folder: Path):
    _edit(folder / "scenario.yaml", "    EBL: {test", "    XXX: {test: PCR}\n    EBL: {test")
    _edit(folder / "scenario.yaml", "MINSK-LAB, serves: [MINSK-HOTEL-1]",
          'MINSK-LAB, slots: [{start: "2021-11-30T22:00:00+03:00", end: "2021-11-30T23:00:00+03:00"}], '
          "serves: [MINSK-HOTEL-1]")
    assert {i.field for i in _issues(folder)} == {"protocol.destinations.XXX", "testing_sites[1].slots[0]"}


def test_errors_of_a_repeated_case_id_name_their_own_rows(folder: Path):
    # rows 7 and 8 both say C0006; row 7 also has an unknown destination
    _edit(folder / "people.csv", "C0006,H02,Karwan,Hassan,,M,1979-11-30,IRQ,EBL",
          "C0006,H02,Karwan,Hassan,,M,1979-11-30,IRQ,XXX")
    _edit(folder / "people.csv", "C0007,H02", "C0006,H02")
    found = {(i.row, i.field, i.message.split(" ")[0]) for i in _issues(folder)}
    assert (7, "destination", "unknown") in found and (8, "case_id", "duplicate") in found, found
    assert not any(row == 8 and field == "destination" and word == "unknown" for row, field, word in found)


def test_check_scenario_still_takes_rows_by_case_id(folder: Path):
    s = load_scenario(folder)
    s.people[0].destination = "XXX"
    issues = check_scenario(s, rows={s.people[0].case_id: 42})
    assert [(i.row, i.field) for i in issues][:1] == [(42, "destination")]


def test_proxy_consent_without_justification_loads_and_fails_the_consent_gate(folder: Path):
    _edit(folder / "people.csv", "C0001,H01,Rebin,Ahmed,,M,1985-03-02,IRQ,EBL,BRUZGI,explicit",
          "C0001,H01,Rebin,Ahmed,,M,1985-03-02,IRQ,EBL,BRUZGI,proxy")
    s = load_scenario(folder)
    person = next(p for p in s.people if p.case_id == "C0001")
    household = next(h for h in households(s) if person in h.members)
    failure = first_failure(person, household, s.flights[0], s)
    assert failure is not None and failure.code == "gate.consent"


def test_duplicate_aircraft_type_and_reversed_escort_availability(folder: Path):
    yaml_path = folder / "scenario.yaml"
    _edit(yaml_path, "aircraft:\n", 'aircraft:\n  - {type: SMALL-6x6, rows: {first: 1, last: 2}, layout: "AB"}\n')
    _edit(yaml_path, "available: {from: 2021-11-29, to: 2021-12-12}", "available: {from: 2021-12-12, to: 2021-11-29}")
    issues = _issues(folder)
    assert {(i.field, i.message.split(" ")[0]) for i in issues} == {("aircraft[1].type", "duplicate"),
                                                                     ("escorts[0].available", "'to'")}


def test_yaml_issues_name_their_line(folder: Path):
    yaml_path = folder / "scenario.yaml"
    _edit(yaml_path, "check_in_minutes: 180\n    stops: [{airport: BGW",
          "check_in_minutes: -5\n    stops: [{airport: BGW")
    (issue,) = _issues(folder)
    assert issue.field == "flights[1].check_in_minutes" and issue.row == _line_of(yaml_path)("-5")
    assert str(issue).startswith(f"scenario.yaml, line {issue.row}, flights[1].check_in_minutes:")


def test_published_schema_gives_site_hours_as_hh_mm():
    import jsonschema

    schema = ScenarioFile.model_json_schema(by_alias=True)
    assert "format" not in schema["$defs"]["TestingSite"]["properties"]["open"]
    site_schema = {"$defs": schema["$defs"], "$ref": "#/$defs/TestingSite"}
    site = {"id": "LAB", "serves": ["CAMP"], "days": {"from": "2021-11-29", "to": "2021-12-05"},
            "open": "08:00", "close": "18:00"}
    jsonschema.validate(site, site_schema, format_checker=jsonschema.FormatChecker())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(site | {"close": "6pm"}, site_schema, format_checker=jsonschema.FormatChecker())


def test_a_bad_mapping_key_is_named_plainly(folder: Path):
    _edit(folder / "scenario.yaml", "exit_rows: [3]}", 'exit_rows: [3], row_layouts: {x: "ABC"}}')
    assert [i.field for i in _issues(folder)] == ["aircraft[0].row_layouts.x (key)"]


def test_advance_passenger_columns_are_read_and_checked():
    data = (b"case_id,household_id,sex,date_of_birth,nationality,destination,location,consent,document_type,"
            b"document_issuing_state,country_of_birth,place_of_birth\n"
            b"C1,H1,F,1990-01-01,IRQ,EBL,CAMP,explicit,passport,IRQ,IRQ,Koya\n"
            b"C2,H1,F,1990-01-01,IRQ,EBL,CAMP,explicit,etd,Iraq,iq,\n"
            b"C3,H1,F,1990-01-01,IRQ,EBL,CAMP,explicit,passport,,,\n")
    header, rows = read_table(data, "people.csv")
    people, issues = parse_people(header, rows, "people.csv")
    assert {(i.row, i.field) for i in issues} == {(3, "document_issuing_state"), (3, "country_of_birth")}
    first, third = people
    assert (first.document_issuing_state, first.country_of_birth, first.place_of_birth) == ("IRQ", "IRQ", "Koya")
    assert (third.document_issuing_state, third.country_of_birth, third.place_of_birth) == (None, None, "")
