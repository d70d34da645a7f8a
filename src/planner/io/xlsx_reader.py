"""A streaming reader for the first worksheet of an XLSX workbook, giving the cell values openpyxl gives.

Why not openpyxl: its read-only mode builds several descriptor objects per cell, parses the whole sheet once
more just to size it when the writer left out `<dimension>` (openpyxl's own write-only mode does), and keeps
enough XML elements alive to set off full garbage collections in a big process; reading a 7,000-person
manifest was most of the service's 7-8 s import. This reader streams the sheet with the C XML parser and
only decodes what a people table needs: shared strings (with rich-text runs), inline strings, numbers,
booleans, errors, ISO dates and numbers in date styles.

The values are the ones `openpyxl.load_workbook(read_only=True, data_only=True)` and
`iter_rows(values_only=True)` give, row for row, so callers see no difference on any workbook Excel,
LibreOffice or openpyxl writes. Excel's date rules (the 1900 leap-year bug, the 1904 calendar, time-only
values, millisecond rounding) come from openpyxl's own helpers for that reason. Where openpyxl silently drops
data, this reader keeps it (cells or rows outside a wrong `<dimension>`) or refuses the file with a reason
(rows out of order); where openpyxl crashes (text in a number cell), it reports the row and column.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import Element, ParseError

from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from planner.io.xlsx_parts import (
    CELL_TAG,
    DIMENSION_TAG,
    FORMULA_TAG,
    INLINE_TAG,
    ROW_TAG,
    VALUE_TAG,
    WorkbookError,
    batches,
    date_style_indexes,
    find_first_sheet,
    malformed,
    shared_strings,
    text_of,
)

CellValue = str | int | float | bool | datetime | date | time | timedelta | None

MAX_ROW = 1_048_576  # Excel's last row; a higher number is a damaged or hostile file
MAX_COLUMN = 18_278  # ZZZ, the widest reference openpyxl accepts (Excel stops at XFD = 16,384)

_COLUMN_LETTERS = re.compile(r"\$?([A-Za-z]{1,3})\$?")
_RANGE_END = re.compile(r"(?:.*:)?\$?([A-Za-z]{1,3})?\$?(\d+)?")
_KINDS = {"n": "number", "s": "shared string index", "b": "boolean", "d": "ISO 8601 date"}


@dataclass(frozen=True)
class CellProblem:
    """A cell whose stored value cannot be decoded (e.g. `abc` in a number cell); `column` is 1-based."""

    row: int
    column: int
    message: str

    @property
    def ref(self) -> str:
        return f"{column_letters(self.column)}{self.row}"


def column_letters(column: int) -> str:
    """`28` -> `AB`: the letters of a 1-based column number."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)  # "3.0" is accepted, as openpyxl does
        if not number.is_integer():
            raise ValueError(text) from None
        return int(number)


def _next_row(row: Element, previous: int) -> int:
    """The number of a row element (or the one after `previous` when it has none), in range and increasing."""
    ref = row.get("r")
    try:
        number = previous + 1 if ref is None else _row_number(ref)
    except ValueError:
        raise WorkbookError(f"a row is numbered {str(ref)[:40]!r}; re-save the workbook") from None
    if not 1 <= number <= MAX_ROW:
        raise WorkbookError(f"a row is numbered {number}; rows run from 1 to {MAX_ROW}")
    if number <= previous:
        raise WorkbookError(f"row {number} comes after row {previous}; re-save the workbook")
    return number


def _cell_column(ref: str, columns: dict[str, int], previous: int) -> int:
    """The 1-based column of a cell reference (`AB7` -> 28), remembered per column's letters."""
    letters = ref.rstrip("0123456789")
    found = columns.get(letters)
    if found is None or len(letters) == len(ref):
        match = _COLUMN_LETTERS.fullmatch(letters)
        if match is None or len(letters) == len(ref):
            raise WorkbookError(f"a cell after row {previous} has the reference {ref[:40]!r}; re-save the workbook")
        found = columns[letters] = _column_number(match.group(1))
    return found


def _width_of(dimension: Element) -> int | None:
    """Last column of the sheet's declared range (`A1:AF7001` -> 32); None when it names no column."""
    match = _RANGE_END.fullmatch(dimension.get("ref", "").strip())
    if not match or not match.group(1):
        return None
    return _column_number(match.group(1))


def _number_decoder(epoch: datetime, date_styles: set[int], duration_styles: set[int],
                    pending: list[tuple[int, str]]) -> Callable[[str, str | None, int], CellValue]:
    """Decoding of a number cell's text with its style: a date or duration in a date style, else the number.
    Text that is no number raises ValueError; a style that is no number is a problem added to `pending`."""
    styles: dict[str, tuple[bool, bool]] = {}

    def style_of(key: str, column: int) -> tuple[bool, bool]:
        found = styles.get(key)
        if found is None:
            try:
                index = int(key)
            except ValueError:
                pending.append((column, f"has the style {key[:40]!r}, which is not a number"))
                return False, False
            found = styles[key] = (index in date_styles, index in duration_styles)
        return found

    def number(text: str, style: str | None, column: int) -> CellValue:
        value: int | float = float(text) if "." in text or "e" in text or "E" in text else int(text)
        if date_styles and style:
            is_date, is_duration = style_of(style, column)
            if is_date:
                try:
                    moment: CellValue = from_excel(value, epoch, timedelta=is_duration)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # what openpyxl makes of a date serial out of range
                return moment
        return value

    return number


class FirstSheet:
    """The first worksheet of a workbook. Iterate `rows()` once; `width` (the columns the sheet declares) is
    known once the first row is out, and `problems` lists undecodable cells when the rows are done."""

    def __init__(self, archive: zipfile.ZipFile, refuse_formulas: bool = True):
        self.archive = archive
        self.refuse_formulas = refuse_formulas  # formula cells become problems (docs/input.md)
        book = find_first_sheet(archive)
        self.part: str = book.sheet
        self.epoch = MAC_EPOCH if book.date1904 else WINDOWS_EPOCH
        self.strings = shared_strings(archive, book.shared_strings)
        self.date_styles, self.duration_styles = date_style_indexes(archive)
        self.width: int | None = None
        self.problems: list[CellProblem] = []

    def rows(self) -> Iterator[tuple[int, list[CellValue]]]:
        """(row number, values) for every row element that the sheet stores, padded with None to the declared
        width; rows the sheet leaves out are not yielded. Rows must come in increasing order. The whole part
        is parsed, so a sheet damaged after its data is refused as Excel and openpyxl refuse it.

        Each cell is decoded and cleared as soon as its element ends, so only a handful of XML elements are
        alive at any time: elements kept for a whole row (or a whole parser chunk) outlive the garbage
        collector's young generation and, in a big process such as the service, trigger full collections
        that cost more than the parsing itself."""
        columns: dict[str, int] = {}
        pending: list[tuple[int, str]] = []  # (column, message) of the current row's undecodable cells
        decode = self._decoder(pending)
        width = column = previous = 0
        values: list[CellValue] = []
        try:
            for batch in batches(self.archive, self.part):
                for _event, element in batch:
                    tag = element.tag
                    if tag == CELL_TAG:
                        ref = element.get("r")
                        column = column + 1 if ref is None else _cell_column(ref, columns, previous)
                        if column > MAX_COLUMN:
                            raise WorkbookError(f"a row after row {previous} has more than {MAX_COLUMN} columns")
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                        values[column - 1] = decode(element, column)
                        element.clear()
                    elif tag == ROW_TAG:
                        previous = _next_row(element, previous)
                        if pending:
                            self.problems += [CellProblem(previous, col, message) for col, message in pending]
                            pending.clear()
                        element.clear()
                        yield previous, values
                        values = [None] * width
                        column = 0
                    elif tag == DIMENSION_TAG and not previous:
                        self.width = _width_of(element)
                        width = self.width or 0
                        values = [None] * width
        except ParseError as exc:
            where = f", after row {previous}" if previous else ""
            raise WorkbookError(f"{malformed(self.part, exc)}{where}") from None

    def _decoder(self, pending: list[tuple[int, str]]) -> Callable[[Element, int], CellValue]:
        """The per-cell decoding function, with the workbook's tables bound to locals for speed; a cell that
        cannot be decoded is None, with (column, message) added to `pending`."""
        strings = self.strings
        refuse_formulas = self.refuse_formulas
        number = _number_decoder(self.epoch, self.date_styles, self.duration_styles, pending)

        def decode(cell: Element, column: int) -> CellValue:
            if refuse_formulas and cell.find(FORMULA_TAG) is not None:
                pending.append((column, "holds a formula; formulas are not accepted (their saved results may "
                                        "be out of date): paste the values only"))
                return None
            kind = cell.get("t")
            if kind == "inlineStr":
                node = cell.find(INLINE_TAG)
                return None if node is None else text_of(node)
            text = cell.findtext(VALUE_TAG) or None
            if text is None:
                return None
            try:
                if kind is None or kind == "n":
                    return number(text, cell.get("s"), column)
                if kind == "s":
                    index = int(text)
                    if not 0 <= index < len(strings):
                        pending.append((column, f"refers to shared string {index}, which the workbook does not have"))
                        return None
                    return strings[index]
                if kind == "b":
                    return bool(int(text))
                if kind == "d":
                    value: CellValue = from_ISO8601(text)
                    return value
            except ValueError:
                wanted = _KINDS.get(kind or "n", kind)
                pending.append((column, f"the stored value {text[:40]!r} is not a valid {wanted}"))
                return None
            return text  # "str" (a formula's text), "e" (an error such as #N/A) and unknown kinds stay text

        return decode
