"""The load summary as files for the airline: a CSV in long form (one figure per line) and a printable HTML page
(docs/load.md#files). The figures come from `planner.report.load_summary`; this module only lays them out."""

from __future__ import annotations

import csv
import io
from html import escape

from planner.io.cell_rules import neutralise_text
from planner.report.load_summary import CATEGORIES, FlightLoad

#: The CSV's columns: a flight, what the line is about, and its count and mass where they apply.
CSV_HEADER = ("flight_id", "section", "item", "category", "count", "kg")


def _kg(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(load: FlightLoad) -> list[tuple[str, ...]]:
    """One flight's lines: passengers per zone and category (with their standard mass), the zones' balance
    index, bags, mobility aids, and the totals."""
    f = load.flight_id
    rows: list[tuple[str, ...]] = []
    for z in load.zones:
        for cat in CATEGORIES:
            if z.counts[cat]:
                rows.append((f, "passengers", z.zone_id, cat, str(z.counts[cat]), ""))
        rows.append((f, "zone", z.zone_id, "standard mass", str(z.seated), _kg(z.mass_kg)))
        if z.zone_id != "-":
            rows.append((f, "zone", z.zone_id, "index", str(z.seated), f"{z.index:.2f}"))
    rows.append((f, "baggage", "checked", "", str(load.checked_bags), _kg(load.checked_kg)))
    rows.append((f, "baggage", "cabin", "in passenger mass" if load.cabin_kg_in_passenger_mass else "added",
                 "", _kg(load.cabin_kg)))
    for aid, n in sorted(load.aids.items()):
        rows.append((f, "hold", aid, "", str(n), ""))
    rows.append((f, "hold", "mobility aids", "", str(sum(load.aids.values())), _kg(load.aids_kg)))
    total = sum(load.counts.values())
    rows.append((f, "total", "passengers", "", str(total), _kg(load.passenger_kg)))
    rows.append((f, "total", "traffic load", "", "", _kg(load.traffic_load_kg)))
    rows.append((f, "total", "payload limit", "", "", _kg(load.payload_limit_kg)))
    rows.append((f, "total", "margin", "", "", _kg(load.margin_kg)))
    index = load.balance_index
    rows.append((f, "total", "balance index", "", "", "" if index is None else f"{index:.2f}"))
    return rows


def load_summary_csv(loads: list[FlightLoad]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for load in loads:
        writer.writerows([neutralise_text(c) for c in row] for row in csv_rows(load))
    return out.getvalue()


_STYLE = ("body{font-family:sans-serif;font-size:11pt}table{border-collapse:collapse;margin:0 0 1em}"
          "td,th{border:1px solid #444;padding:2px 6px;text-align:right}th:first-child,td:first-child{text-align:left}"
          "section{page-break-after:always}.over{font-weight:bold}")


def flight_section(load: FlightLoad) -> str:
    """One flight as an HTML section (also included in the service's flight page)."""
    head = "".join(f"<th>{c}</th>" for c in ("zone", "rows", *CATEGORIES, "seated", "limit", "index"))
    body = []
    for z in load.zones:
        cells = [escape(z.zone_id), z.rows, *(str(z.counts[c]) for c in CATEGORIES), str(z.seated),
                 "" if z.max_passengers is None else str(z.max_passengers),
                 f"{z.index:.2f}" if z.zone_id != "-" else ""]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    aids = ", ".join(f"{escape(k)} × {n}" for k, n in sorted(load.aids.items())) or "none"
    index = "—" if load.balance_index is None else f"{load.balance_index:.2f}"
    margin = load.margin_kg
    over = margin is not None and margin < 0
    totals = [
        ("Checked bags", f"{load.checked_bags} bags, {load.checked_kg:.1f} kg"),
        ("Cabin bags", f"{load.cabin_kg:.1f} kg" + (" (in the standard masses)" if load.cabin_kg_in_passenger_mass
                                                    else " (added)")),
        ("Mobility aids in the hold", f"{aids}; {load.aids_kg:.1f} kg"),
        ("Passengers (standard masses)", f"{sum(load.counts.values())}, {load.passenger_kg:.1f} kg"),
        ("Traffic load", f"{load.traffic_load_kg:.1f} kg"),
        ("Payload limit", "not set" if load.payload_limit_kg is None else f"{load.payload_limit_kg} kg"),
        ("Margin", "—" if margin is None else f"{margin:.1f} kg"),
        ("Balance index (Σ zones)", index),
    ]
    over_class = ' class="over"'
    rows = "".join(f"<tr><th>{escape(k)}</th><td{over_class if over and k == 'Margin' else ''}>"
                   f"{escape(v)}</td></tr>" for k, v in totals)
    return (f"<section class=\"load-summary\"><h2>Load summary {escape(load.flight_id)}</h2>"
            f"<p>{escape(load.aircraft)}, departs {escape(load.departure)}. Standard masses: {escape(load.mass_source)}"
            f"</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<table><tbody>{rows}</tbody></table></section>")


def load_summary_html(loads: list[FlightLoad], title: str) -> str:
    sections = "".join(flight_section(x) for x in loads)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{sections}</body></html>\n")
