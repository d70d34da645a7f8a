"""The parts of an XLSX workbook that surround its sheet data: the zip members streamed through a pull parser
with document types refused, the content-type manifest, relationships, date styles and shared strings
(planner.io.xlsx_reader reads the sheet itself).

Each part is read the way openpyxl reads it, so the values match openpyxl's on any workbook Excel, LibreOffice
or openpyxl writes.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

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

CHUNK = 1 << 11

ROW_TAG = f"{{{MAIN_NS}}}row"
CELL_TAG = f"{{{MAIN_NS}}}c"
VALUE_TAG = f"{{{MAIN_NS}}}v"
INLINE_TAG = f"{{{MAIN_NS}}}is"
TEXT_TAG = f"{{{MAIN_NS}}}t"
FORMULA_TAG = f"{{{MAIN_NS}}}f"
RUN_TAG = f"{{{MAIN_NS}}}r"
SI_TAG = f"{{{MAIN_NS}}}si"
DIMENSION_TAG = f"{{{MAIN_NS}}}dimension"
SHEET_ID_ATTR = f"{{{DOC_REL_NS}}}id"

#: A document type declaration in any of the encodings an XML part may use. Parts of a workbook never have
#: one; refusing it rules out entity-expansion tricks whatever the XML parser's own limits.
DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


#: What a pull parser asked only for "end" events yields: (event, element) pairs.
EndEvents = Iterator[tuple[str, Element]]


class WorkbookError(Exception):
    """The workbook cannot be read: not a workbook, a missing part, malformed XML, a damaged row."""


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def is_true(value: str | None) -> bool:
    """An XML boolean attribute read the way openpyxl reads it (anything but false/f/0/empty is true)."""
    return value not in (None, "", "false", "f", "0")


def text_of(node: Element) -> str:
    """Text of an inline string or shared string item: the plain `<t>`, then every rich-text run's `<t>`;
    phonetic runs (`<rPh>`) are not part of the value."""
    plain: str | None = None
    runs: list[str] = []
    for child in node:
        tag = child.tag
        if tag == TEXT_TAG:
            plain = child.text
        elif tag == RUN_TAG:
            run: str | None = None
            for part in child:
                if part.tag == TEXT_TAG:
                    run = part.text
            if run is not None:
                runs.append(run)
    if not runs:
        return plain or ""
    return (plain or "") + "".join(runs)


def malformed(part: str, exc: ParseError) -> WorkbookError:
    return WorkbookError(f"{part} is not well-formed XML ({exc})")


def batches(archive: zipfile.ZipFile, part: str) -> Iterator[Iterator[tuple[str, Element]]]:
    """Feed one zip member to an XML pull parser in small chunks, yielding each chunk's end events; refuses DTDs.

    The consumer iterates each batch before asking for the next one and may raise ParseError while doing so.
    Chunks are small on purpose: every element of a chunk stays alive until its events are read, and a big
    chunk's worth of live elements pushes them all into the garbage collector's old generation."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("end",))
    tail = b""
    try:
        with archive.open(part) as source:
            while chunk := source.read(CHUNK):
                window = tail + chunk
                if any(pattern in window for pattern in DOCTYPE_MARKS):
                    raise WorkbookError(f"{part} declares a document type; workbooks never do")
                tail = chunk[-32:]
                parser.feed(chunk)
                yield cast(EndEvents, parser.read_events())
            parser.close()
            yield cast(EndEvents, parser.read_events())
    except ParseError as exc:
        raise malformed(part, exc) from None
    except KeyError:
        raise WorkbookError(f"the part {part} is missing") from None
    except LookupError as exc:  # an XML declaration naming an encoding Python does not know
        raise WorkbookError(f"{part}: {exc}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise WorkbookError(f"the part {part} cannot be unpacked ({exc})") from None


def end_events(archive: zipfile.ZipFile, part: str) -> Iterator[Element]:
    """Every element of a part as it ends."""
    try:
        for batch in batches(archive, part):
            for _event, element in batch:
                yield element
    except ParseError as exc:
        raise malformed(part, exc) from None


def part_root(archive: zipfile.ZipFile, part: str) -> Element:
    """A small part (manifest, workbook, relationships, styles) as one element tree."""
    last: Element | None = None
    for element in end_events(archive, part):
        last = element
    if last is None:
        raise WorkbookError(f"{part} is empty")
    return last


def manifest(archive: zipfile.ZipFile) -> tuple[dict[str, str], set[str]]:
    """[Content_Types].xml: the override content type of each part name, and the default content types."""
    root = part_root(archive, "[Content_Types].xml")
    overrides: dict[str, str] = {}
    defaults: set[str] = set()
    for child in root:
        kind = local_name(child.tag)
        if kind == "Override":
            overrides.setdefault(child.get("PartName", ""), child.get("ContentType", ""))
        elif kind == "Default":
            defaults.add(child.get("ContentType", ""))
    return overrides, defaults


def first_of_type(overrides: dict[str, str], content_type: str) -> str | None:
    return next((name for name, kind in overrides.items() if kind == content_type), None)


def relationship_targets(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target as a member name) from a part's relationships, resolved as openpyxl does."""
    folder, filename = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{filename}.rels")
    parent = posixpath.split(posixpath.dirname(rels))[0]
    out: dict[str, tuple[str, str]] = {}
    for child in part_root(archive, rels):
        if local_name(child.tag) != "Relationship":
            continue
        target = child.get("Target", "")
        if child.get("TargetMode") != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(parent, target))
        out[child.get("Id", "")] = (child.get("Type", ""), target)
    return out


def date_style_indexes(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """Indexes of the cell styles (`cellXfs`) whose number format shows dates, and those showing durations."""
    if STYLES_PART not in archive.namelist():
        return set(), set()
    root = part_root(archive, STYLES_PART)
    custom: dict[int, str | None] = {}
    number_formats: list[int] = []
    try:
        for section in root:
            kind = local_name(section.tag)
            if kind == "numFmts":
                for fmt in section:
                    if local_name(fmt.tag) == "numFmt":
                        custom[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode")
            elif kind == "cellXfs":
                number_formats += [int(xf.get("numFmtId", "0")) for xf in section if local_name(xf.tag) == "xf"]
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


def shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None:
        return []
    strings: list[str] = []
    for element in end_events(archive, part):
        if element.tag == SI_TAG:
            strings.append(text_of(element).replace("x005F_", ""))  # as openpyxl, which never unescapes _xHHHH_
            element.clear()
    return strings




@dataclass(frozen=True)
class Workbook:
    """Where a workbook's first worksheet and shared strings are, and whether it counts dates from 1904."""

    sheet: str
    shared_strings: str | None
    date1904: bool


def find_first_sheet(archive: zipfile.ZipFile) -> Workbook:
    """The first worksheet the workbook lists and links to an existing part, found as openpyxl finds it
    (charts sheets and links to missing parts are skipped)."""
    names = set(archive.namelist())
    overrides, defaults = manifest(archive)
    workbook = next((name[1:] for kind in WORKBOOK_TYPES if (name := first_of_type(overrides, kind))), None)
    if workbook is None:
        if not defaults.intersection(WORKBOOK_TYPES):
            raise WorkbookError("the file contains no workbook part")
        workbook = "xl/workbook.xml"
    date1904 = False
    sheet_ids: list[str] = []
    for section in part_root(archive, workbook):
        kind = local_name(section.tag)
        if kind == "workbookPr" and is_true(section.get("date1904")):
            date1904 = True
        elif kind == "sheets":
            sheet_ids += [sid for s in section if local_name(s.tag) == "sheet" and (sid := s.get(SHEET_ID_ATTR))]
    rels = relationship_targets(archive, workbook) if sheet_ids else {}
    for sheet_id in sheet_ids:
        if sheet_id not in rels:
            raise WorkbookError(f"the workbook names a sheet {sheet_id!r} that it does not link")
        rel_type, target = rels[sheet_id]
        if target in names and "chartsheet" not in rel_type:  # openpyxl skips links to missing parts too
            strings_part = first_of_type(overrides, SHARED_STRINGS_TYPE)
            return Workbook(target, strings_part[1:] if strings_part else None, date1904)
    raise WorkbookError("the workbook has no worksheet")
