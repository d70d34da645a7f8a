"""Bad input is reported all at once, each error naming file, row and field; nothing crashes."""

import shutil
from pathlib import Path

import pytest

from planner.loading import ScenarioInputError, load_scenario, parse_people, read_table

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
    assert ("people.csv", 2, "destination") in found, messages  # unknown airport
    assert ("people.csv", 2, "date_of_birth") in found, messages  # born in the future
    assert ("people.csv", 8, "case_id") in found, messages  # duplicate
    assert ("people.csv", 14, "destination") in found, messages  # household split across destinations
    assert ("people.csv", 15, "date_of_birth") in found, messages  # unparseable date
    assert ("people.csv", 18, "last_test_sample") in found, messages  # no timezone
    assert ("scenario.yaml", None, "flights[0].stops[0].arrival") in found, messages
    assert ("scenario.yaml", None, "escorts[0].testing_site") in found, messages
    assert ("scenario.yaml", None, "testing_sites[1].slots[0]") in found, messages
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
