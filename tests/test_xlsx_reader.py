"""The streaming XLSX reader gives exactly the header and rows that openpyxl's read-only mode gave, and names the
row and column of what it cannot decode."""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import MAC_EPOCH

from planner.io.input_errors import ScenarioInputError
from planner.io.people_file import read_table
from planner.io.people_table import cell_text
from planner.io.xlsx_reader import column_letters

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"


def openpyxl_table(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """The reading code the streaming reader replaced, kept as the reference."""
    with warnings.catch_warnings():  # hand-written workbooks have no default cell style, which it warns about
        warnings.simplefilter("ignore")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header_row = next(rows, None)
    assert header_row is not None
    header = [str(h).strip() if h is not None else "" for h in header_row]
    out = []
    for number, values in enumerate(rows, start=2):
        cells = ["" if v is None else cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        out.append({"__row__": str(number), **dict(zip(header, cells, strict=False))})
    book.close()
    return header, out


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- hand-written workbooks

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
STYLES = f"""<styleSheet xmlns="{MAIN}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>
<numFmt numFmtId="165" formatCode="[h]:mm"/></numFmts>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="2"/>
</cellXfs></styleSheet>"""


def handmade(sheet_data: str, *, shared: list[str] | None = None, dimension: str | None = None,
             workbook_pr: str = "", target: str = "worksheets/sheet1.xml", prefix: str = "") -> bytes:
    """A minimal workbook as Excel lays it out, with the given `<sheetData>` rows (and shared string items)."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    overrides = [("/xl/workbook.xml", f"{CT}.sheet.main+xml"), ("/xl/worksheets/sheet1.xml", f"{CT}.worksheet+xml"),
                 ("/xl/styles.xml", f"{CT}.styles+xml")]
    if shared is not None:
        overrides.append(("/xl/sharedStrings.xml", f"{CT}.sharedStrings+xml"))
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in overrides) + "</Types>"),
        "_rels/.rels": "<Relationships/>",
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{workbook_pr}<sheets>'
                            '<sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="{target}"/></Relationships>'),
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>'
            + (f'<{p}dimension ref="{dimension}"/>' if dimension else "")
            + f"<{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>"),
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{"".join(shared)}</sst>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


HEADER = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
          '<c r="D1" t="inlineStr"><is><t>when</t></is></c><c r="E1" t="str"><v>flag</v></c></row>')
SHARED = ["<si><t>case_id</t></si>", "<si><t>household_id</t></si>", "<si><t> notes </t></si>",
          "<si><r><rPr><b/></rPr><t>Bold</t></r><r><t xml:space=\"preserve\"> and plain</t></r></si>",
          "<si><t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>かんじ</t></rPh></si>",
          "<si><t>007</t></si>", "<si><t>a_x005F_x000D_b &amp; &lt;c&gt;</t></si>", "<si/>"]


def test_excel_style_workbook_reads_as_openpyxl_read_it() -> None:
    rows = (HEADER
            # shared strings, rich text runs, phonetic runs, a leading-zero ID, escapes, a blank in the middle
            + '<row r="2" spans="1:5"><c r="A2" t="s"><v>5</v></c><c r="C2" t="s"><v>3</v></c>'
            '<c r="D2" t="s"><v>4</v></c><c r="E2" t="s"><v>6</v></c></row>'
            # row 3 left out; dates in builtin and custom date styles, a duration, numbers, booleans, errors
            '<row r="4"><c r="A4" s="1"><v>44531</v></c><c r="B4" s="2"><v>44531.5</v></c>'
            '<c r="C4" s="3"><v>1.25</v></c><c r="D4" s="1"><v>0.75</v></c><c r="E4" t="b"><v>1</v></c></row>'
            '<row r="5"><c r="A5"><v>42</v></c><c r="B5"><v>42.0</v></c><c r="C5" s="4"><v>2.5E-3</v></c>'
            '<c r="D5" t="e"><v>#N/A</v></c><c r="E5" t="b"><v>0</v></c></row>'
            # ISO dates, cells and rows without references, a lower-case reference
            '<row r="6"><c r="A6" t="d"><v>2021-12-01</v></c><c t="d"><v>2021-12-01T10:30:00</v></c>'
            '<c t="d"><v>10:30:00</v></c><c r="E6" t="str"><v>x</v></c></row>'
            '<row><c r="b7" t="inlineStr"><is><r><t>rich</t></r><r><t> inline</t></r></is></c>'
            '<c r="C7" t="inlineStr"/><c r="D7" t="s"><v>7</v></c><c r="E7"><v></v></c></row>'
            # a row of blanks is skipped (formula cells are refused: test_formula_cells_are_refused_by_row_and_column)
            '<row r="9"><c r="A9" t="inlineStr"><is><t> </t></is></c></row>'
            '<row r="10"><c r="D10" t="inlineStr"><is><t>_x005F_x</t></is></c></row>')
    for dimension in (None, "A1:E10"):
        data = handmade(rows, shared=SHARED, dimension=dimension)
        assert read_table(data, "people.xlsx") == openpyxl_table(data)
    header, found = read_table(handmade(rows, shared=SHARED), "people.xlsx")
    assert header == ["case_id", "household_id", "notes", "when", "flag"]
    assert found[0] == {"__row__": "2", "case_id": "007", "household_id": "", "notes": "Bold and plain",
                        "when": "漢字", "flag": "a_x000D_b & <c>"}
    assert found[1] == {"__row__": "4", "case_id": "2021-12-01", "household_id": "2021-12-01T12:00:00",
                        "notes": "1 day, 6:00:00", "when": "18:00:00", "flag": "True"}
    assert found[2] == {"__row__": "5", "case_id": "42", "household_id": "42", "notes": "0.0025", "when": "#N/A",
                        "flag": "False"}
    assert [r["__row__"] for r in found] == ["2", "4", "5", "6", "7", "10"]


def test_formula_cells_are_refused_by_row_and_column() -> None:
    """A formula's saved result may not be what the sheet shows: the people file must hold values only."""
    rows = (HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c>'
            '<c r="C2" t="str"><f>HYPERLINK("http://x","y")</f><v>y</v></c></row>')
    with pytest.raises(ScenarioInputError) as caught:
        read_table(handmade(rows, shared=SHARED), "people.xlsx")
    issue = caught.value.issues[0]
    assert (issue.row, issue.field) == (2, "notes") and "cell C2" in issue.message and "formula" in issue.message


def test_cells_outside_a_wrong_dimension_are_kept_not_dropped() -> None:
    rows = HEADER + '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>C1</t></is></c><c r="XFD1048576"/></row>'
    header, found = read_table(handmade(rows, shared=SHARED, dimension="A1:C1"), "people.xlsx")
    assert header == ["case_id", "household_id", "notes", "when", "flag"]  # openpyxl stops at column C and row 1
    assert found == [{"__row__": "1048576", "case_id": "C1", "household_id": "", "notes": "", "when": "", "flag": ""}]


def test_1904_calendar_prefixed_namespace_and_absolute_sheet_target() -> None:
    rows = ('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>date_of_birth</x:t></x:is></x:c></x:row>'
            '<x:row r="2"><x:c r="A2" s="1"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="3"><x:c r="A3" s="1"><x:v>43070</x:v></x:c></x:row>')
    data = handmade(rows, workbook_pr='<workbookPr date1904="1"/>', target="/xl/worksheets/sheet1.xml", prefix="x")
    assert read_table(data, "people.xlsx") == openpyxl_table(data)
    assert [r["date_of_birth"] for r in read_table(data, "people.xlsx")[1]] == ["1904-01-02", "2021-12-02"]


def test_missing_header_row_gives_an_empty_header_as_before() -> None:
    data = handmade('<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c></row>', dimension="A1:B2")
    assert read_table(data, "people.xlsx") == openpyxl_table(data) == (["", ""], [{"__row__": "2", "": ""}])


def test_undecodable_cells_name_their_row_and_column() -> None:
    rows = (HEADER + '<row r="2"><c r="A2"><v>12abc</v></c><c r="B2" t="s"><v>99</v></c></row>'
            '<row r="3"><c r="C3" t="b"><v>yes</v></c><c r="D3" t="d"><v>2021-13-45</v></c>'
            '<c r="G3" s="x"><v>1</v></c></row>')
    with pytest.raises(ScenarioInputError) as exc:
        read_table(handmade(rows, shared=SHARED), "people.xlsx")
    found = [(i.row, i.field) for i in exc.value.issues]
    assert found == [(2, "case_id"), (2, "household_id"), (3, "notes"), (3, "when"), (3, "column G")]
    assert "cell A2" in exc.value.issues[0].message and "'12abc'" in exc.value.issues[0].message
    assert "shared string 99" in exc.value.issues[1].message


@pytest.mark.parametrize(("rows", "message"), [
    ('<row r="3"/><row r="2"/>', "row 2 comes after row 3"),
    ('<row r="0"/>', "numbered 0"),
    ('<row r="2.5"/>', "numbered '2.5'"),
    ('<row r="1"><c r="1A"/></row>', "reference '1A'"),
    ('<row r="1"><c r="A1"></row>', "not well-formed"),
])
def test_damaged_sheets_are_refused_clearly(rows: str, message: str) -> None:
    with pytest.raises(ScenarioInputError, match="cannot read workbook") as exc:
        read_table(handmade(rows), "people.xlsx")
    assert message in exc.value.issues[0].message


def test_document_types_and_missing_parts_are_refused() -> None:
    data = handmade('<row r="1"/>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet')
            if info.filename != "xl/styles.xml":
                dst.writestr(info, body)
    with pytest.raises(ScenarioInputError, match="document type"):
        read_table(out.getvalue(), "people.xlsx")
    with pytest.raises(ScenarioInputError, match=r"\[Content_Types\].xml is missing"):
        read_table(zipfile_with({"xl/workbook.xml": "<workbook/>"}), "people.xlsx")
    with pytest.raises(ScenarioInputError, match="the sheet is empty"):
        read_table(handmade(""), "people.xlsx")


def zipfile_with(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_column_letters() -> None:
    assert [column_letters(n) for n in (1, 26, 27, 52, 703, 16384)] == ["A", "Z", "AA", "AZ", "AAA", "XFD"]


def test_teaching_manifest_with_typed_cells_reads_as_before() -> None:
    lines = (TEACHING / "people.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for line in lines[1:]:
        values: list[Any] = []
        for column, text in zip(header, line.split(","), strict=True):
            if column in ("date_of_birth", "registered_on") and text:
                values.append(date.fromisoformat(text))
            elif column == "consent_date" and text:
                values.append(datetime.fromisoformat(text) + timedelta(hours=9, minutes=30))
            else:
                values.append(int(text[1:]) if column == "case_id" else text or None)
        sheet.append(values)
    data = saved(book)
    header_read, rows = read_table(data, "people.xlsx")
    assert (header_read, rows) == openpyxl_table(data)
    assert rows[0]["date_of_birth"] == "1985-03-02" and rows[0]["consent_date"] == "2021-11-20T09:30:00"
    assert rows[0]["case_id"] == "1" and rows[0]["document_number"] == "A0001123"


# ---------------------------------------------------------------- workbooks openpyxl writes, at random

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r "), max_size=8)
_rich = st.lists(st.tuples(_text.filter(bool), st.booleans()), min_size=1, max_size=3).map(
    lambda parts: CellRichText([TextBlock(InlineFont(b=True), t) if bold else t for t, bold in parts]))
_cell = st.one_of(
    st.none(), _text, st.sampled_from(["007", "C0001", "+964 750", "yes", "1e5", "2021-12-01", " x "]),
    st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31)),
    st.times(), st.timedeltas(timedelta(0), timedelta(days=3000)), _rich)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.lists(st.lists(_cell, max_size=6), min_size=1, max_size=6), write_only=st.booleans(),
       iso_dates=st.booleans(), mac_epoch=st.booleans())
def test_random_workbooks_read_as_openpyxl_read_them(grid: list[list[Any]], write_only: bool, iso_dates: bool,
                                                     mac_epoch: bool) -> None:
    book = Workbook(write_only=write_only, iso_dates=iso_dates)
    if mac_epoch:
        book.epoch = MAC_EPOCH
    sheet = book.create_sheet() if write_only else book.active
    for row in grid:
        sheet.append(row)
    data = saved(book)
    try:
        expected = openpyxl_table(data)
    except (AssertionError, ValueError, OverflowError):  # an empty sheet, or dates openpyxl cannot read back
        return
    assert read_table(data, "people.xlsx") == expected


_SAMPLE = handmade(HEADER + '<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2" s="1"><v>44531</v></c>'
                            '<c r="C2" t="b"><v>1</v></c><c r="D2" t="d"><v>2021-12-01</v></c>'
                            '<c r="E2" t="inlineStr"><is><r><t>x</t></r></is></c></row>', shared=SHARED)


@settings(max_examples=150, deadline=None)
@given(part=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml",
                             "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"]),
       edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(["drop", "insert", "swap"]),
                                st.sampled_from(list('<>/="rtcvsi09AZ:.-e x'))), min_size=1, max_size=3))
def test_damaged_workbooks_are_read_or_refused_never_crash(part: str, edits: list[tuple[float, str, str]]) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_SAMPLE)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = bytearray(src.read(info))
            if info.filename == part:
                for where, how, char in edits:
                    at = int(where * len(body))
                    body[at:at + (how != "insert")] = b"" if how == "drop" else char.encode()
            dst.writestr(info, bytes(body))
    try:
        header, rows = read_table(out.getvalue(), "people.xlsx")
    except ScenarioInputError as exc:
        assert exc.issues and all(i.message for i in exc.issues)
    else:
        assert all(isinstance(h, str) for h in header) and all(r["__row__"].isdigit() for r in rows)
