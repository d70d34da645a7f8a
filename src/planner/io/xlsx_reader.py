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

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

CellValue = str | int | float | bool | datetime | date | time | timedelta | None

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
#: Workbook part content types, in the order openpyxl looks for them (templates and macro books included).
WORKBOOK_TYPES = (
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
)
STYLES_PART = "xl/styles.xml"  # openpyxl reads styles from this fixed name, not through relationships

MAX_ROW = 1_048_576  # Excel's last row; a higher number is a damaged or hostile file
MAX_COLUMN = 18_278  # ZZZ, the widest reference openpyxl accepts (Excel stops at XFD = 16,384)
CHUNK = 1 << 11

_ROW = f"{{{MAIN_NS}}}row"
_CELL = f"{{{MAIN_NS}}}c"
_VALUE = f"{{{MAIN_NS}}}v"
_INLINE = f"{{{MAIN_NS}}}is"
_TEXT = f"{{{MAIN_NS}}}t"
_FORMULA = f"{{{MAIN_NS}}}f"
_RUN = f"{{{MAIN_NS}}}r"
_SI = f"{{{MAIN_NS}}}si"
_DIMENSION = f"{{{MAIN_NS}}}dimension"
_SHEET_ID = f"{{{DOC_REL_NS}}}id"

_COLUMN_LETTERS = re.compile(r"\$?([A-Za-z]{1,3})\$?")
_RANGE_END = re.compile(r"(?:.*:)?\$?([A-Za-z]{1,3})?\$?(\d+)?")
#: A document type declaration in any of the encodings an XML part may use. Parts of a workbook never have
#: one; refusing it rules out entity-expansion tricks whatever the XML parser's own limits.
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


class WorkbookError(Exception):
    """The workbook cannot be read: not a workbook, a missing part, malformed XML, a damaged row."""


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


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _is_true(value: str | None) -> bool:
    """An XML boolean attribute read the way openpyxl reads it (anything but false/f/0/empty is true)."""
    return value not in (None, "", "false", "f", "0")


def _text_of(node: Element) -> str:
    """Text of an inline string or shared string item: the plain `<t>`, then every rich-text run's `<t>`;
    phonetic runs (`<rPh>`) are not part of the value."""
    plain: str | None = None
    runs: list[str] = []
    for child in node:
        tag = child.tag
        if tag == _TEXT:
            plain = child.text
        elif tag == _RUN:
            run: str | None = None
            for part in child:
                if part.tag == _TEXT:
                    run = part.text
            if run is not None:
                runs.append(run)
    if not runs:
        return plain or ""
    return (plain or "") + "".join(runs)


def _malformed(part: str, exc: ParseError) -> WorkbookError:
    return WorkbookError(f"{part} is not well-formed XML ({exc})")


def _batches(archive: zipfile.ZipFile, part: str) -> Iterator[Iterator[tuple[str, Element]]]:
    """Feed one zip member to an XML pull parser in small chunks, yielding each chunk's end events; refuses DTDs.

    The consumer iterates each batch before asking for the next one and may raise ParseError while doing so.
    Chunks are small on purpose: every element of a chunk stays alive until its events are read, and a big
    chunk's worth of live elements pushes them all into the garbage collector's old generation."""
    parser = XMLPullParser(events=("end",))
    tail = b""
    try:
        with archive.open(part) as source:
            while chunk := source.read(CHUNK):
                window = tail + chunk
                if any(pattern in window for pattern in _DOCTYPE):
                    raise WorkbookError(f"{part} declares a document type; workbooks never do")
                tail = chunk[-32:]
                parser.feed(chunk)
                yield parser.read_events()
            parser.close()
            yield parser.read_events()
    except ParseError as exc:
        raise _malformed(part, exc) from None
    except KeyError:
        raise WorkbookError(f"the part {part} is missing") from None
    except LookupError as exc:  # an XML declaration naming an encoding Python does not know
        raise WorkbookError(f"{part}: {exc}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise WorkbookError(f"the part {part} cannot be unpacked ({exc})") from None


def _end_events(archive: zipfile.ZipFile, part: str) -> Iterator[Element]:
    """Every element of a part as it ends."""
    try:
        for batch in _batches(archive, part):
            for _event, element in batch:
                yield element
    except ParseError as exc:
        raise _malformed(part, exc) from None


def _root(archive: zipfile.ZipFile, part: str) -> Element:
    """A small part (manifest, workbook, relationships, styles) as one element tree."""
    last: Element | None = None
    for element in _end_events(archive, part):
        last = element
    if last is None:
        raise WorkbookError(f"{part} is empty")
    return last


def _manifest(archive: zipfile.ZipFile) -> tuple[dict[str, str], set[str]]:
    """[Content_Types].xml: the override content type of each part name, and the default content types."""
    root = _root(archive, "[Content_Types].xml")
    overrides: dict[str, str] = {}
    defaults: set[str] = set()
    for child in root:
        kind = _local(child.tag)
        if kind == "Override":
            overrides.setdefault(child.get("PartName", ""), child.get("ContentType", ""))
        elif kind == "Default":
            defaults.add(child.get("ContentType", ""))
    return overrides, defaults


def _first_of_type(overrides: dict[str, str], content_type: str) -> str | None:
    return next((name for name, kind in overrides.items() if kind == content_type), None)


def _relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target as a member name) from a part's relationships, resolved as openpyxl does."""
    folder, filename = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{filename}.rels")
    parent = posixpath.split(posixpath.dirname(rels))[0]
    out: dict[str, tuple[str, str]] = {}
    for child in _root(archive, rels):
        if _local(child.tag) != "Relationship":
            continue
        target = child.get("Target", "")
        if child.get("TargetMode") != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(parent, target))
        out[child.get("Id", "")] = (child.get("Type", ""), target)
    return out


def _date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """Indexes of the cell styles (`cellXfs`) whose number format shows dates, and those showing durations."""
    if STYLES_PART not in archive.namelist():
        return set(), set()
    root = _root(archive, STYLES_PART)
    custom: dict[int, str | None] = {}
    number_formats: list[int] = []
    try:
        for section in root:
            kind = _local(section.tag)
            if kind == "numFmts":
                for fmt in section:
                    if _local(fmt.tag) == "numFmt":
                        custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode")
            elif kind == "cellXfs":
                number_formats += [int(xf.get("numFmtId", "0")) for xf in section if _local(xf.tag) == "xf"]
    except ValueError:
        raise WorkbookError(f"{STYLES_PART} has a number format id that is not a number") from None
    dates: set[int] = set()
    durations: set[int] = set()
    for index, format_id in enumerate(number_formats):
        code = custom[format_id] if format_id in custom else BUILTIN_FORMATS.get(format_id)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None:
        return []
    strings: list[str] = []
    for element in _end_events(archive, part):
        if element.tag == _SI:
            strings.append(_text_of(element).replace("x005F_", ""))  # as openpyxl, which never unescapes _xHHHH_
            element.clear()
    return strings


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)  # "3.0" is accepted, as openpyxl does
        if not number.is_integer():
            raise ValueError(text) from None
        return int(number)


def _width_of(dimension: Element) -> int | None:
    """Last column of the sheet's declared range (`A1:AF7001` -> 32); None when it names no column."""
    match = _RANGE_END.fullmatch(dimension.get("ref", "").strip())
    if not match or not match.group(1):
        return None
    return _column_number(match.group(1))


class FirstSheet:
    """The first worksheet of a workbook. Iterate `rows()` once; `width` (the columns the sheet declares) is
    known once the first row is out, and `problems` lists undecodable cells when the rows are done."""

    def __init__(self, archive: zipfile.ZipFile, refuse_formulas: bool = True):
        self.archive = archive
        self.refuse_formulas = refuse_formulas  # formula cells become problems (docs/input.md)
        names = set(archive.namelist())
        overrides, defaults = _manifest(archive)
        workbook = next((name[1:] for kind in WORKBOOK_TYPES if (name := _first_of_type(overrides, kind))), None)
        if workbook is None:
            if not defaults.intersection(WORKBOOK_TYPES):
                raise WorkbookError("the file contains no workbook part")
            workbook = "xl/workbook.xml"
        book = _root(archive, workbook)
        self.epoch = WINDOWS_EPOCH
        sheet_ids: list[str] = []
        for section in book:
            kind = _local(section.tag)
            if kind == "workbookPr" and _is_true(section.get("date1904")):
                self.epoch = MAC_EPOCH
            elif kind == "sheets":
                sheet_ids += [sid for s in section if _local(s.tag) == "sheet" and (sid := s.get(_SHEET_ID))]
        rels = _relationship_targets(archive, workbook) if sheet_ids else {}
        self.part: str | None = None
        for sheet_id in sheet_ids:
            if sheet_id not in rels:
                raise WorkbookError(f"the workbook names a sheet {sheet_id!r} that it does not link")
            rel_type, target = rels[sheet_id]
            if target in names and "chartsheet" not in rel_type:  # openpyxl skips links to missing parts too
                self.part = target
                break
        if self.part is None:
            raise WorkbookError("the workbook has no worksheet")
        strings_part = _first_of_type(overrides, SHARED_STRINGS_TYPE)
        self.strings = _shared_strings(archive, strings_part[1:] if strings_part else None)
        self.date_styles, self.duration_styles = _date_styles(archive)
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
        decode = self._decoder({}, pending)
        width = 0
        values: list[CellValue] = []
        column = 0
        previous = counter = 0
        part = self.part or ""
        try:
            for batch in _batches(self.archive, part):
                for _event, element in batch:
                    tag = element.tag
                    if tag == _CELL:
                        ref = element.get("r")
                        if ref is None:
                            column += 1
                        else:
                            letters = ref.rstrip("0123456789")
                            found = columns.get(letters)
                            if found is None or len(letters) == len(ref):
                                found = columns[letters] = self._column(letters, ref, previous)
                            column = found
                        if column > MAX_COLUMN:
                            raise WorkbookError(f"a row after row {previous} has more than {MAX_COLUMN} columns")
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                        values[column - 1] = decode(element, column)
                        element.clear()
                    elif tag == _ROW:
                        ref = element.get("r")
                        if ref is None:
                            number = counter + 1
                        else:
                            try:
                                number = _row_number(ref)
                            except ValueError:
                                raise WorkbookError(f"a row is numbered {ref[:40]!r}; re-save the workbook") from None
                        if not 1 <= number <= MAX_ROW:
                            raise WorkbookError(f"a row is numbered {number}; rows run from 1 to {MAX_ROW}")
                        if number <= previous:
                            raise WorkbookError(f"row {number} comes after row {previous}; re-save the workbook")
                        counter = previous = number
                        if pending:
                            self.problems += [CellProblem(number, col, message) for col, message in pending]
                            pending.clear()
                        element.clear()
                        yield number, values
                        values = [None] * width
                        column = 0
                    elif tag == _DIMENSION and not previous:
                        self.width = _width_of(element)
                        width = self.width or 0
                        values = [None] * width
        except ParseError as exc:
            where = f", after row {previous}" if previous else ""
            raise WorkbookError(f"{_malformed(part, exc)}{where}") from None

    @staticmethod
    def _column(letters: str, ref: str, previous: int) -> int:
        match = _COLUMN_LETTERS.fullmatch(letters)
        if match is None or len(letters) == len(ref):
            raise WorkbookError(f"a cell after row {previous} has the reference {ref[:40]!r}; re-save the workbook")
        return _column_number(match.group(1))

    def _decoder(self, styles: dict[str, tuple[bool, bool]], pending: list[tuple[int, str]]
                 ) -> Callable[[Element, int], CellValue]:
        """The per-cell decoding function, with the workbook's tables bound to locals for speed; a cell that
        cannot be decoded is None, with (column, message) added to `pending`."""
        strings = self.strings
        refuse_formulas = self.refuse_formulas
        date_styles, duration_styles = self.date_styles, self.duration_styles
        epoch = self.epoch

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

        def decode(cell: Element, column: int) -> CellValue:
            if refuse_formulas and cell.find(_FORMULA) is not None:
                pending.append((column, "holds a formula; formulas are not accepted (their saved results may "
                                        "be out of date): paste the values only"))
                return None
            kind = cell.get("t")
            if kind == "inlineStr":
                node = cell.find(_INLINE)
                return None if node is None else _text_of(node)
            text = cell.findtext(_VALUE) or None
            if text is None:
                return None
            try:
                if kind is None or kind == "n":
                    number: int | float = (float(text) if "." in text or "e" in text or "E" in text
                                           else int(text))
                    style = cell.get("s")
                    if date_styles and style:
                        is_date, is_duration = style_of(style, column)
                        if is_date:
                            try:
                                return from_excel(number, epoch, timedelta=is_duration)
                            except (OverflowError, ValueError):
                                return "#VALUE!"  # what openpyxl makes of a date serial out of range
                    return number
                if kind == "s":
                    index = int(text)
                    if not 0 <= index < len(strings):
                        pending.append((column, f"refers to shared string {index}, which the workbook does not have"))
                        return None
                    return strings[index]
                if kind == "b":
                    return bool(int(text))
                if kind == "d":
                    return from_ISO8601(text)
            except ValueError:
                wanted = _KINDS.get(kind or "n", kind)
                pending.append((column, f"the stored value {text[:40]!r} is not a valid {wanted}"))
                return None
            return text  # "str" (a formula's text), "e" (an error such as #N/A) and unknown kinds stay text

        return decode


_KINDS = {"n": "number", "s": "shared string index", "b": "boolean", "d": "ISO 8601 date"}
