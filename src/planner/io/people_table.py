"""The one reader of people tables (CSV or XLSX) for the CLI and the service (docs/input.md).

Sizes are checked before reading; CSV is decoded as a stream with a byte and a row limit; a workbook is
unpacked within the expansion limit, as a stream, whatever its headers declare. Rows come back as strings
keyed by the header, each with its row number (`__row__`, the header is row 1); turning them into people is
`planner.io.loading.parse_people_rows`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from datetime import datetime, time
from pathlib import Path
from typing import IO, Any

from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue, InputTooLarge, ScenarioInputError
from planner.io.input_limits import DEFAULT_LIMITS, UNPACK_ERRORS, InputLimits, check_size, open_zip, too_large

Rows = list[dict[str, str]]
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook(filename: str) -> bool:
    return filename.lower().endswith(XLSX_SUFFIXES)


def read_people_table(source: bytes | Path, filename: str, limits: InputLimits = DEFAULT_LIMITS
                      ) -> tuple[list[str], Rows]:
    """Header and string rows of a people file given as bytes or a path; raises ScenarioInputError
    (InputTooLarge for the size, row and expansion limits)."""
    size = len(source) if isinstance(source, bytes) else _file_size(source, filename)
    check_size(filename, size, limits.max_file_bytes)
    if is_workbook(filename):
        return _read_xlsx(source, filename, limits)
    if isinstance(source, bytes):
        return _read_csv(io.BytesIO(source), filename, limits)
    try:
        with source.open("rb") as stream:
            return _read_csv(stream, filename, limits)
    except OSError as exc:
        raise ScenarioInputError([InputIssue(filename, None, "(file)", f"cannot read: {exc.strerror}")]) from None


def _file_size(path: Path, filename: str) -> int:
    try:
        if not path.is_file():
            raise ScenarioInputError([InputIssue(filename, None, "(file)", "not found (or not a file)")])
        return path.stat().st_size
    except OSError as exc:
        raise ScenarioInputError([InputIssue(filename, None, "(file)", f"cannot read: {exc.strerror}")]) from None


class _Limited(io.RawIOBase):
    """A byte stream that refuses to return more than `limit` bytes (a stream whose size was not known)."""

    def __init__(self, stream: IO[bytes], limit: int, filename: str):
        self._stream, self._left, self._limit, self._filename = stream, limit, limit, filename

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(min(len(buffer), 1 << 16))
        self._left -= len(data)
        if self._left < 0:
            raise too_large(self._filename, self._limit)
        buffer[:len(data)] = data
        return len(data)


def _read_csv(stream: IO[bytes], filename: str, limits: InputLimits) -> tuple[list[str], Rows]:
    raw = io.BufferedReader(_Limited(stream, limits.max_file_bytes, filename), 1 << 16)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text)
    header: list[str] | None = None
    out: Rows = []
    nul_cells: list[InputIssue] = []
    number = 0  # the record (row) number: a quoted cell may span lines
    try:
        for values in reader:
            number += 1
            if header is None:
                header = [h.strip() for h in values]
                _check_separator(header, filename)
                nul_cells += _nul_cells(filename, 1, header, values)
                continue
            nul_cells += _nul_cells(filename, number, header, values)
            if not any(v.strip() for v in values):
                continue
            if len(out) >= limits.max_rows:
                raise InputTooLarge([InputIssue(filename, number, "(file)",
                                                f"more than {limits.max_rows} rows; the limit is {limits.max_rows} "
                                                "people per file")])
            row = {"__row__": str(number), **dict(zip(header, values, strict=False))}
            if len(values) > len(header):
                row["__error__"] = f"{len(values)} values but the header has {len(header)} columns"
            out.append(row)
    except UnicodeDecodeError:
        where = number + 1
        raise ScenarioInputError([InputIssue(filename, where, "(file)",
                                             "not UTF-8 text; save the file as UTF-8 CSV")]) from None
    except csv.Error as exc:
        raise ScenarioInputError([InputIssue(filename, reader.line_num, "(file)",
                                             f"malformed CSV: {str(exc)[:120]}")]) from None
    if header is None:
        raise ScenarioInputError([InputIssue(filename, 1, "(header)", "the file is empty")])
    if nul_cells:
        raise ScenarioInputError(nul_cells[:1000])
    return header, out


def _nul_cells(filename: str, number: int, header: list[str], values: list[str]) -> list[InputIssue]:
    return [InputIssue(filename, number, header[col] if col < len(header) else f"column {col + 1}",
                       "contains a NUL character; is this a binary file saved as CSV?")
            for col, value in enumerate(values) if "\x00" in value]


def _check_separator(header: list[str], filename: str) -> None:
    """A header read as one cell holding `;` or tabs: the file uses another separator than the comma."""
    if len(header) != 1:
        return
    for separator, name in ((";", "semicolons (;)"), ("\t", "tabs")):
        if separator in header[0] and "case_id" in [h.strip() for h in header[0].split(separator)]:
            raise ScenarioInputError([InputIssue(filename, 1, "(header)",
                                                 f"the columns are separated by {name}, not commas; save the file "
                                                 "as CSV UTF-8 (comma delimited)")])


def _read_xlsx(source: bytes | Path, filename: str, limits: InputLimits) -> tuple[list[str], Rows]:
    """The first worksheet, with the values openpyxl gives, streamed by `planner.io.xlsx_reader` within the
    expansion limit; formula cells are refused (their cached values may not be what the sheet shows)."""
    from planner.io.xlsx_parts import WorkbookError
    from planner.io.xlsx_reader import FirstSheet, column_letters

    archive = open_zip(source, filename, limits, what="XLSX workbook", max_members=limits.max_workbook_parts)
    with archive:
        try:
            sheet = FirstSheet(archive)
            rows_iter = sheet.rows()
            first = next(rows_iter, None)
            if first is None:
                raise ScenarioInputError([InputIssue(filename, 1, "(header)", "the sheet is empty")])
            if first[0] == 1:
                header_values: list[Any] = first[1]
            else:  # no row 1: an empty header, and the first stored row is data
                header_values = [None] * (sheet.width or 0)
                rows_iter = itertools.chain([first], rows_iter)
            header = [str(h).strip() if h is not None else "" for h in header_values]
            _check_separator(header, filename)
            out: Rows = []
            for number, values in rows_iter:
                cells = [v if type(v) is str else "" if v is None else cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                if len(out) >= limits.max_rows:
                    raise InputTooLarge([InputIssue(filename, number, "(file)",
                                                    f"more than {limits.max_rows} rows; the limit is "
                                                    f"{limits.max_rows} people per file")])
                out.append({"__row__": str(number), **dict(zip(header, cells, strict=False))})
        except WorkbookError as exc:
            raise ScenarioInputError([InputIssue(filename, None, "(file)", f"cannot read workbook: {exc}")]) from None
        except UNPACK_ERRORS:
            raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                                 "the workbook is damaged and cannot be unpacked")]) from None
    if sheet.problems:
        raise ScenarioInputError([
            InputIssue(filename, p.row, header[p.column - 1] if p.column <= len(header) and header[p.column - 1]
                       else f"column {column_letters(p.column)}", f"cell {p.ref}: {p.message}")
            for p in sheet.problems[:1000]])
    return header, out


def cell_text(value: object) -> str:
    """A workbook value as the text a CSV would hold (dates as ISO dates, whole floats as integers)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 text (BOM tolerated) or a ScenarioInputError naming the file."""
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                             f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]) from None


__all__ = ["cell_text", "decode_text", "excerpt", "is_workbook", "read_people_table"]
