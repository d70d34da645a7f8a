"""Documents of a plan for people: flight manifests and testing schedules as CSV, XLSX, printable HTML and PDF.

One `Document` (title, plan status, sections with rows, totals and a signature block) is built by
`api.plan_documents` and written here in every format, so the paper a return officer hands to an airline,
a lab or the police says the same in each (docs/documents.md). Column headings are words, not field names.

Every text cell that a spreadsheet would evaluate is neutralised with a leading apostrophe, in CSV and XLSX
alike, by the one rule of `planner.io.cell_rules` (docs/input.md): `=`, `@`, `＝`, `＠`, and `+`/`-`/`＋`/`－`
unless the cell is a plain number or phone number, also after leading whitespace; and a leading tab or line
break. Whole numbers (totals) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from planner.io.cell_rules import neutralise_text

WEB = Path(__file__).parent / "web"
TEMPLATES = WEB / "templates"
PRINT_CSS = WEB / "static" / "css" / "print.css"


def neutralise(value: Any) -> str:
    """A cell as export text: None is empty, formula-looking text gets a leading apostrophe."""
    return neutralise_text("" if value is None else str(value))


def _cell(value: Any) -> Any:
    """Whole numbers stay numbers (they cannot run); everything else is neutralised text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return neutralise(value)


# --------------------------------------------------------------------------------------------- documents


@dataclass
class Column:
    key: str
    heading: str  # words, as printed
    css: str = ""  # a class of the print view (e.g. "native" for names in their own script, "num")


@dataclass
class Section:
    """One printed part: a flight of a manifest, a site and day of a testing schedule (a page break each)."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # label, value (departure, route, ...)
    rows: list[dict[str, Any]] = field(default_factory=list)  # column key -> value; "_kind" marks the line
    totals: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""


@dataclass
class Document:
    """What every format of a manifest or testing schedule shows."""

    kind: str  # "manifest" | "schedule"
    title: str
    subtitle: str  # operation and plan
    status: str  # "published" | "draft" | "what-if" | "out-of-date"
    status_words: str
    columns: list[Column]
    sections: list[Section]
    signatures: list[str]
    generated: str  # local time the document was made, with the time zone
    figure_svg: str | None = None  # the seat map, printed after the manifest table

    @property
    def out_of_date(self) -> bool:
        return self.status == "out-of-date"

    @property
    def rows(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    def lines(self) -> list[list[Any]]:
        """The document as spreadsheet lines: title and status first, then the table, totals, signatures."""
        out: list[list[Any]] = [[self.title], [self.status_words], [self.subtitle], []]
        multi = len(self.sections) > 1
        if not multi and self.sections:
            for label, value in self.sections[0].facts:
                out.append([label, value])
            out.append([])
        out.append([c.heading for c in self.columns])
        for section in self.sections:
            for row in section.rows:
                out.append([row.get(c.key, "") for c in self.columns])
        out.append([])
        for section in self.sections:
            if multi and section.totals:
                out.append([section.title])
            for label, number in section.totals:
                out.append([label, number])
        out.append([])
        out.append([f"Document made {self.generated}"])
        for role in self.signatures:
            out.append([role, "Name:", "", "Signature:", "", "Date:", ""])
        return out


# ----------------------------------------------------------------------------------------------- formats


def document_csv(doc: Document) -> bytes:
    """UTF-8 with a BOM (spreadsheets then read names in any script right), CRLF lines."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for line in doc.lines():
        writer.writerow([neutralise(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def document_xlsx(doc: Document) -> bytes:
    """One sheet laid out like the printed page: A4 landscape, the heading row repeated on every page."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(doc.title))
    for i, column in enumerate(doc.columns):
        letter = _column_letter(i)
        sheet.column_dimensions[letter].width = 28 if column.key in ("needs", "native", "doc") else 14
    lines = doc.lines()
    header_index = next(i for i, line in enumerate(lines) if line == [c.heading for c in doc.columns])
    bold = Font(bold=True)
    for index, line in enumerate(lines):
        cells = []
        for value in line:
            cell = WriteOnlyCell(sheet, value=_cell(value))
            if not isinstance(cell.value, int):
                cell.data_type = "s"  # text, never a formula
            if index == header_index or (index == 0) or (index == 1 and doc.out_of_date):
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    sheet.print_title_rows = f"{header_index + 1}:{header_index + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")
    return (cleaned or "Sheet")[:31]


@cache
def _environment() -> Environment:
    """The document templates (shared with the web print view, which includes the same body)."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def document_html(doc: Document, for_pdf: bool = False) -> str:
    """A standalone page (no script, no remote asset): the print style sheet is the site's own file."""
    return _environment().get_template("documents/standalone.html").render(doc=doc, for_pdf=for_pdf)


def document_pdf(doc: Document) -> bytes:
    """A4 PDF made by WeasyPrint from the same page; names in Arabic script are shaped by Pango/HarfBuzz with
    the Noto and DejaVu fonts of the system (docs/documents.md)."""
    from weasyprint import CSS, HTML

    page = document_html(doc, for_pdf=True)
    return bytes(HTML(string=page, base_url=str(WEB)).write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))]))


def render(doc: Document, fmt: str) -> bytes:
    if fmt == "csv":
        return document_csv(doc)
    if fmt == "xlsx":
        return document_xlsx(doc)
    if fmt == "pdf":
        return document_pdf(doc)
    return document_html(doc).encode("utf-8")


# ------------------------------------------------------------------------- plain tables (other exports)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes spreadsheets read UTF-8 names right
