"""The comparison table of solved variants: one column per variant, one row per figure, and renderers for a
terminal, CSV and JSON (docs/what-if.md)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from planner.io.spreadsheet import safe_cell
from planner.model.plan import Plan
from planner.model.scenario import Scenario

Value = int | float | str | None
Result = tuple[str, Scenario, Plan]


@dataclass
class Row:
    """One KPI across the variants. `text` holds display cells when they say more than the value
    (e.g. "176/180 98%"); `in_text` is False for rows that only feed another row's display."""

    key: str
    section: str
    label: str
    values: list[Value]
    kind: str = "count"  # count | ratio | text | date | number
    text: list[str] | None = None
    in_text: bool = True


@dataclass
class Comparison:
    columns: list[str]
    rows: list[Row]
    differences: list[str]  # one per column; the first column is the reference
    results: list[Result] = field(default_factory=list, repr=False)
    invalid: list[str] = field(default_factory=list)  # solved columns whose plan broke a hard rule (a defect)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def value(self, key: str, column: int | str) -> Value:
        index = column if isinstance(column, int) else self.columns.index(column)
        return self.row(key).values[index]

    # ------------------------------------------------------------ renderers

    def to_text(self) -> str:
        """A side-by-side table for a terminal, then the differences in words."""
        label_width = max([len(r.label) + 2 for r in self.rows if r.in_text] + [20])
        cells = [[display(r, i) for i in range(len(self.columns))] for r in self.rows]
        widths = [max([len(c)] + [len(cs[i]) for r, cs in zip(self.rows, cells, strict=True) if r.in_text])
                  for i, c in enumerate(self.columns)]
        lines = [" " * label_width + "  " + "  ".join(c.rjust(w) for c, w in zip(self.columns, widths, strict=True))]
        section = None
        for r, cs in zip(self.rows, cells, strict=True):
            if not r.in_text:
                continue
            if r.section != section:
                section = r.section
                lines.append(section)
            lines.append(f"  {r.label}".ljust(label_width) + "  "
                         + "  ".join(c.rjust(w) for c, w in zip(cs, widths, strict=True)))
        lines.append("Differences against " + self.columns[0])
        for name, words in zip(self.columns[1:], self.differences[1:], strict=True):
            lines.append(f"  {name}: {words}")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """One line per KPI: key, section, label, then one column per variant; the differences come last."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(c) for c in ["key", "section", "label", *self.columns]])
        for r in self.rows:
            writer.writerow([safe_cell(v) for v in [r.key, r.section, r.label, *r.values]])
        writer.writerow([safe_cell(v) for v in ["differences", "Differences", "in words", *self.differences]])
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [{"key": r.key, "section": r.section, "label": r.label, "kind": r.kind,
                      "values": list(r.values)} for r in self.rows],
            "differences": list(self.differences),
        }


def display(r: Row, i: int) -> str:
    if r.text is not None and r.text[i]:
        return r.text[i]
    v = r.values[i]
    if v is None:
        return "-"
    if r.kind == "ratio":
        return f"{float(v):.1%}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}"
    return str(v)
