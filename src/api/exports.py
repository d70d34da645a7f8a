"""Tabular exports: flight manifests, testing schedules; CSV, XLSX and printable HTML.

Every text cell that a spreadsheet would evaluate is neutralised with a leading apostrophe, in CSV and XLSX
alike, by the one rule of `planner.cell_rules` (docs/input.md): `=`, `@`, `＝`, `＠`, and `+`/`-`/`＋`/`－`
unless the cell is a plain number or phone number, also after leading whitespace; and a leading tab or line
break.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from planner.cell_rules import neutralise_text


def neutralise(value: Any) -> str:
    """A cell as export text: None is empty, formula-looking text gets a leading apostrophe."""
    return neutralise_text("" if value is None else str(value))


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes spreadsheets read UTF-8 names right


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.append(list(header))
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\")
    return (cleaned or "Sheet")[:31]


def to_html(title: str, subtitle: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
            figure_svg: str | None = None) -> bytes:
    """A printable page: one table, repeated headers on each printed page, no scripts or remote assets."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{esc('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                     for row in rows)
    figure = f'<section class="seatmap">{figure_svg}</section>' if figure_svg else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body {{ font: 10pt sans-serif; margin: 1.5cm; }}
h1 {{ font-size: 14pt; margin: 0; }} p.sub {{ margin: .2em 0 1em; color: #333; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #999; padding: 2px 4px; text-align: left; vertical-align: top; }}
thead {{ display: table-header-group; }} tr {{ page-break-inside: avoid; }}
@page {{ size: A4 landscape; margin: 1cm; }}
</style></head><body>
<h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
{figure}
</body></html>
"""
    return page.encode("utf-8")
