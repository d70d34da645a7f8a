"""The one input gate: a scenario folder (the CLI's `charterplan solve` path), the same scenario as an
uploaded archive (the service's path) and the people reader alone refuse the same bad files with the same
issues, before reading more than the limits allow (docs/input.md)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from planner.io.cell_rules import formula_like, needs_neutralising, neutralise
from planner.io.input_errors import InputIssue, InputTooLarge, ScenarioInputError
from planner.io.input_limits import InputLimits
from planner.io.loading import load_scenario
from planner.io.people_table import read_people_table
from planner.io.scenario_archive import load_scenario_archive

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching-two-flights"
LINES = (TEACHING / "people.csv").read_text("utf-8").splitlines()
HEADER = LINES[0].split(",")


def with_cell(row: int, column: str, value: str) -> list[str]:
    """The teaching people file with one cell replaced (row 2 is the first person)."""
    lines = list(LINES)
    cells = lines[row - 1].split(",")
    cells[HEADER.index(column)] = '"' + value.replace('"', '""') + '"'
    lines[row - 1] = ",".join(cells)
    return lines


def both_ways(tmp_path: Path, people: bytes, name: str = "people.csv",
              limits: InputLimits | None = None) -> tuple[list[InputIssue], list[InputIssue]]:
    """Issues of the folder loader and of the archive loader for the same people file."""
    folder = tmp_path / "scenario"
    folder.mkdir(exist_ok=True)
    yaml_text = (TEACHING / "scenario.yaml").read_text("utf-8").replace("people: people.csv", f"people: {name}")
    (folder / "scenario.yaml").write_text(yaml_text, "utf-8")
    (folder / name).write_bytes(people)
    kwargs = {"limits": limits} if limits else {}
    with pytest.raises(ScenarioInputError) as by_folder:
        load_scenario(folder, **kwargs)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("scenario.yaml", yaml_text)
        z.writestr(name, people)
    with pytest.raises(ScenarioInputError) as by_archive:
        load_scenario_archive(archive.getvalue(), "scenario.zip", **kwargs)
    assert by_folder.value.issues == by_archive.value.issues
    assert type(by_folder.value) is type(by_archive.value)
    return by_folder.value.issues, by_archive.value.issues


def test_a_100000_character_notes_cell_is_refused_by_row_and_column(tmp_path: Path) -> None:
    issues, _ = both_ways(tmp_path, "\n".join(with_cell(3, "notes", "n" * 100_000)).encode())
    assert [(i.row, i.field) for i in issues] == [(3, "notes")]
    assert "at most 4000 characters" in issues[0].message and "100000" in issues[0].message


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', " @SUM(A1)", "\n=1+1", "＝1", "+A1", "-1+cmd"])
def test_formula_cells_are_refused_with_row_and_column(tmp_path: Path, value: str) -> None:
    issues, _ = both_ways(tmp_path, "\n".join(with_cell(4, "given_name", value)).encode())
    assert [(i.row, i.field) for i in issues] == [(4, "given_name")]
    assert "formula" in issues[0].message and "apostrophe" in issues[0].message


def test_phone_numbers_and_signed_numbers_pass(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    shutil.copytree(TEACHING, folder)
    lines = with_cell(2, "reception_contact", "+964 750 123 4567")
    (folder / "people.csv").write_text("\n".join(lines) + "\n", "utf-8")
    assert load_scenario(folder).people[0].reception_contact == "+964 750 123 4567"


def test_a_50_megabyte_csv_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "people.csv"
    with big.open("wb") as out:
        out.write(LINES[0].encode() + b"\n")
        out.truncate(50 * 1024 * 1024)  # sparse: reading it would take 50 MB, the size check none
    with pytest.raises(InputTooLarge) as caught:
        read_people_table(big, "people.csv")
    assert "larger than the limit of 20971520 bytes (20 MiB)" in caught.value.issues[0].message
    issues, _ = both_ways(tmp_path, b"x" * 3000, limits=InputLimits(max_file_bytes=2048))
    message = "the file is larger than the limit of 2048 bytes (2 KiB)"
    assert issues == [InputIssue("people.csv", None, "(file)", message)]


def test_csv_row_limit_stops_reading(tmp_path: Path) -> None:
    data = ("\n".join([LINES[0], *LINES[1:] * 10]) + "\n").encode()
    with pytest.raises(InputTooLarge) as caught:
        read_people_table(data, "people.csv", InputLimits(max_rows=50))
    assert "more than 50 rows" in caught.value.issues[0].message and caught.value.issues[0].row == 52


def xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_expanding_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    rows = [HEADER] + [line.split(",") for line in LINES[1:]] * 40
    data = xlsx(rows)
    issues, _ = both_ways(tmp_path, data, "people.xlsx", InputLimits(max_expanded_bytes=512 * 1024))
    assert len(issues) == 1 and "expands to more than" in issues[0].message


def test_duplicate_case_id_names_both_rows(tmp_path: Path) -> None:
    lines = list(LINES)
    lines[5] = lines[5].replace("C0005", "C0002", 1)
    issues, _ = both_ways(tmp_path, "\n".join(lines).encode())
    duplicate = [i for i in issues if i.field == "case_id"]
    assert duplicate and duplicate[0].row == 6 and "also in row 3" in duplicate[0].message


def test_semicolon_separated_file_is_recognised(tmp_path: Path) -> None:
    text = "\n".join(line.replace(",", ";") for line in LINES)
    issues, _ = both_ways(tmp_path, text.encode())
    assert [(i.row, i.field) for i in issues] == [(1, "(header)")]
    assert "semicolons" in issues[0].message


def test_whole_file_in_one_header_cell_is_not_echoed(tmp_path: Path) -> None:
    secret = "SECRET=" + "s" * 5000
    issues, _ = both_ways(tmp_path, (secret + "\n").encode())
    assert all(len(i.field) <= 130 and len(i.message) <= 401 for i in issues)
    assert not any("s" * 200 in f"{i.field} {i.message}" for i in issues)


def test_export_rule() -> None:
    assert neutralise("=1+1") == "'=1+1" and neutralise(" =1") == "' =1" and neutralise("＠x") == "'＠x"
    assert neutralise("\tabc") == "'\tabc" and neutralise("\nx") == "'\nx"
    assert neutralise("+964 750 123") == "+964 750 123" and neutralise("-3") == "-3" and neutralise(-3) == -3
    assert neutralise("-3 moved") == "'-3 moved" and neutralise(None) == ""
    assert formula_like("-2+3+cmd") and not formula_like("(0750) 123") and not needs_neutralising("Ahmed")
