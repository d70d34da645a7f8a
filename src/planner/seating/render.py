"""Seat maps of a seated flight as text (CLI `charterplan seatmap`) and as SVG (web UI, exports).

Each household gets a letter code (A, B, ..., Z, then AA, AB, ...) in order of first seat, so a family reads
as one colour or one code; marks add lap infants, reduced mobility and escorts. Exit rows, blocked seats,
the stretcher zone and rear isolation rows are drawn from the seat map, not from the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import Scenario
from planner.rules.base import FlightFacts
from planner.rules.occupants import flight_facts
from planner.seating.seatmaps import SeatMap

LEGEND = [
    ("AB", "household code (same code = same household), shown in the seat"),
    ("*", "after a code: carries a lap infant"),
    ("!", "after a code: reduced mobility (WCHR/WCHS/WCHC/WCHP/STCR)"),
    ("E1", "escort (E + number, in id order; see the list below the map)"),
    ("..", "free seat"),
    ("xx", "blocked seat (operator-blocked, or the stretcher zone on a stretcher flight)"),
    ("##", "rear isolation row, kept empty under COVID-19"),
    ("EXIT", "exit row (the seats next to an exit may not hold children, special categories, ...)"),
    ("B", "bassinet row (preferred for lap infants)"),
]


def household_code(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    code = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        code = letters[rem] + code
    return code


@dataclass
class Cell:
    seat: str
    kind: str  # person | escort | free | blocked | isolation
    code: str = ""
    marks: str = ""
    title: str = ""


def _flight(plan: Plan, flight_id: str) -> FlightPlan:
    for fp in plan.flights:
        if fp.flight_id == flight_id:
            return fp
    raise KeyError(f"flight {flight_id!r} is not in the plan")


def _cells(scenario: Scenario, fp: FlightPlan) -> tuple[FlightFacts, dict[str, Cell], dict[str, str]]:
    facts = flight_facts(scenario, fp)
    sm = facts.seat_map
    seat_of = {p.person_id: p.seat for p in fp.passengers if p.seat}
    seat_of |= {e.escort_id: e.seat for e in fp.escorts if e.seat}
    by_seat = {s: pid for pid, s in seat_of.items()}
    codes: dict[str, str] = {}
    escort_codes = {e.escort_id: f"E{i + 1}" for i, e in enumerate(sorted(fp.escorts, key=lambda e: e.escort_id))}
    zone_blocked = set(sm.stretcher_zone) if facts.carries_stretcher else set()
    cells: dict[str, Cell] = {}
    for s in sorted(sm.seats, key=lambda s: (s.row_index, s.column)):
        pid = by_seat.get(s.id)
        if pid is not None and pid in escort_codes:
            occ = facts.occupants[pid]
            cells[s.id] = Cell(
                s.id,
                "escort",
                escort_codes[pid],
                "",
                f"{pid} ({occ.role or 'escort'}) serves {', '.join(occ.serves) or 'the flight'}",
            )
        elif pid is not None and pid in facts.occupants:
            occ = facts.occupants[pid]
            if occ.household not in codes:
                codes[occ.household] = household_code(len(codes))
            marks = ("*" if occ.infants else "") + ("!" if occ.mobility != "none" else "")
            infants = [i for i, c in facts.lap.items() if c == pid]
            title = (
                f"{pid}, household {occ.household}, age {occ.age}"
                + (f", {occ.mobility}" if occ.mobility != "none" else "")
                + (f", carries {', '.join(infants)}" if infants else "")
            )
            cells[s.id] = Cell(s.id, "person", codes[occ.household], marks, title)
        elif pid is not None:
            cells[s.id] = Cell(s.id, "person", "?", "", pid)
        elif s.id in facts.isolation:
            cells[s.id] = Cell(s.id, "isolation", title="isolation row")
        elif s.id in facts.unusable or s.id in zone_blocked:
            cells[s.id] = Cell(s.id, "blocked", title="blocked")
        else:
            cells[s.id] = Cell(s.id, "free", title="free")
    return facts, cells, escort_codes


def render_text(scenario: Scenario, plan: Plan, flight_id: str) -> str:
    """A text seat map with a legend: one line per row, aisles as gaps, exit and bassinet rows marked."""
    fp = _flight(plan, flight_id)
    facts, cells, escort_codes = _cells(scenario, fp)
    sm = facts.seat_map
    width = 4
    lines = [
        f"Flight {flight_id}  aircraft {sm.type}  "
        f"distancing: {', '.join(scenario.protocol.seating.distancing) or 'none'}"
    ]
    header = "     " + "".join(("  " if c == " " else c.center(width)) for c in sm.layout)
    lines.append(header)
    for r in sm.rows:
        lay = sm.row_layout(r)
        present = {c for c in lay if c != " "}
        parts = []
        for c in sm.layout:
            if c == " ":
                parts.append("  ")
                continue
            if c not in present:
                parts.append(" " * width)
                continue
            cell = cells[f"{r}{c}"]
            text = {"free": "..", "blocked": "xx", "isolation": "##"}.get(cell.kind, cell.code + cell.marks)
            parts.append(text.center(width))
        marks = []
        if r in sm.exit_rows:
            marks.append("EXIT")
        if r in sm.bassinet_rows:
            marks.append("B")
        lines.append(f"{r:>3}  " + "".join(parts) + ("  " + " ".join(marks) if marks else ""))
    seated = sum(1 for c in cells.values() if c.kind in ("person", "escort"))
    lines.append("")
    lines.append(f"seated {seated} (escorts {len(escort_codes)}), lap infants {len(facts.lap)}, seats {len(sm.seats)}")
    lines.append("Legend:")
    lines += [f"  {sym:<5} {text}" for sym, text in LEGEND]
    if escort_codes:
        lines.append("Escorts:")
        lines += [f"  {code:<5} {text}" for code, text in _escort_lines(facts, escort_codes)]
    return "\n".join(lines) + "\n"


PALETTE = [
    "#8dd3c7",
    "#ffffb3",
    "#bebada",
    "#fb8072",
    "#80b1d3",
    "#fdb462",
    "#b3de69",
    "#fccde5",
    "#bc80bd",
    "#ccebc5",
    "#ffed6f",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
]


def household_colour(code: str) -> str:
    """The fill of a household's seats: fixed by its code, so a family reads as one colour."""
    return PALETTE[(sum(map(ord, code)) * 7 + len(code)) % len(PALETTE)]


FILL = {"free": "#ffffff", "blocked": "#9e9e9e", "isolation": "#e0e0e0", "escort": "#303f9f"}
SEAT_STROKE, BASSINET_STROKE, EXIT_STROKE = "#555555", "#1565c0", "#d32f2f"
ARMREST_FILL = "#2e7d32"

#: The SVG's own legend (it draws colours, not the text map's `..`, `xx`, `##`): key, swatch, text. A swatch
#: is a fill colour, "outline:<colour>" for a row outline, or "text:<symbol>" for a mark shown in the seat.
SVG_LEGEND = [
    ("household", household_colour("A"), "household: one colour and code per household (A, B, ...)"),
    ("lap_infant", "text:*", "after a code: carries a lap infant"),
    ("mobility", "text:!", "after a code: reduced mobility (WCHR/WCHS/WCHC/WCHP/STCR)"),
    ("escort", FILL["escort"], "escort (E + number, see the escort list below)"),
    ("free", FILL["free"], "free seat"),
    ("blocked", FILL["blocked"], "blocked seat (operator-blocked, or the stretcher zone on a stretcher flight)"),
    ("isolation", FILL["isolation"], "rear isolation row, kept empty under COVID-19"),
    ("exit", f"outline:{EXIT_STROKE}", "exit row (dashed outline; no children, special categories, ...)"),
    ("bassinet", f"outline:{BASSINET_STROKE}", "bassinet row (blue seat border; preferred for lap infants)"),
]
#: Added to the legend of a seat map that lists its movable armrests (without a list, every aisle seat counts).
ARMREST_LEGEND = ("armrest", f"bar:{ARMREST_FILL}",
                  "movable aisle armrest (green bar on the aisle side): a seat for a WCHC/WCHP passenger")


def legend_entries(sm: SeatMap) -> list[tuple[str, str, str]]:
    """The SVG legend of one seat map: SVG_LEGEND, and the armrest mark when the map lists armrests."""
    return SVG_LEGEND + ([ARMREST_LEGEND] if sm.movable_armrests is not None else [])


def _escort_lines(facts: FlightFacts, escort_codes: dict[str, str]) -> list[tuple[str, str]]:
    """(code, "id (role) serves ...") per escort on board, for the text and the SVG escort lists."""
    out = []
    for eid, code in escort_codes.items():
        occ = facts.occupants.get(eid)
        serves = ", ".join(occ.serves) if occ and occ.serves else "-"
        out.append((code, f"{eid} ({occ.role if occ else '?'}) serves {serves}"))
    return out


SIZE, GAP, LEFT, TOP = 26, 4, 44, 40  # SVG seat size, gap between seats, left and top margins


def render_svg(scenario: Scenario, plan: Plan, flight_id: str) -> str:
    """The same map as a standalone SVG: one colour per household, hover titles, then a legend of colour
    swatches and the escort list (the SVG has no text-map symbols to explain)."""
    fp = _flight(plan, flight_id)
    facts, cells, escort_codes = _cells(scenario, fp)
    escorts = _escort_lines(facts, escort_codes)
    sm = facts.seat_map
    cols = len(sm.layout)
    width = max(LEFT + cols * (SIZE + GAP) + 60, 520)
    legend = legend_entries(sm)
    height = TOP + len(sm.rows) * (SIZE + GAP) + 20 + 18 * len(legend) + 26 + 18 * max(1, len(escorts)) + 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f"<title>{escape(flight_id)} {escape(sm.type)}</title>",
        f'<text x="4" y="16" font-size="13">{escape(flight_id)} ({escape(sm.type)})</text>',
    ]
    for i, c in enumerate(sm.layout):
        if c != " ":
            out.append(f'<text x="{LEFT + i * (SIZE + GAP) + SIZE / 2}" y="{TOP - 6}" text-anchor="middle">{c}</text>')
    for ri, r in enumerate(sm.rows):
        out += _svg_row(sm, r, TOP + ri * (SIZE + GAP), cells)
    y = TOP + len(sm.rows) * (SIZE + GAP) + 20
    out += _svg_legend(y, legend)
    out += _svg_escorts(y + 18 * len(legend) + 26, escorts)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_row(sm: SeatMap, r: int, y: int, cells: dict[str, Cell]) -> list[str]:
    """Row r at height y: its label, the exit-row outline, and each seat with its hover title and code."""
    cols = len(sm.layout)
    label = f"{r}" + (" EXIT" if r in sm.exit_rows else "")
    out = [f'<text x="4" y="{y + SIZE * 0.65}">{label}</text>']
    if r in sm.exit_rows:
        out.append(
            f'<rect x="{LEFT - 4}" y="{y - 2}" width="{cols * (SIZE + GAP) + 4}" height="{SIZE + 4}" '
            f'fill="none" stroke="{EXIT_STROKE}" stroke-dasharray="4 2"/>'
        )
    for c in sm.row_layout(r):
        if c == " ":
            continue
        cell = cells[f"{r}{c}"]
        x = LEFT + sm.layout.index(c) * (SIZE + GAP)
        colour = household_colour(cell.code) if cell.kind == "person" else FILL[cell.kind]
        stroke = BASSINET_STROKE if r in sm.bassinet_rows else SEAT_STROKE
        out.append(
            f"<g><title>{escape(cell.seat)}: {escape(cell.title)}</title>"
            f'<rect x="{x}" y="{y}" width="{SIZE}" height="{SIZE}" rx="4" fill="{colour}" '
            f'stroke="{stroke}"/>'
        )
        if sm.movable_armrests is not None and cell.seat in sm.movable_armrests:
            right = sm.layout.index(c) + 1 < cols and sm.layout[sm.layout.index(c) + 1] == " "
            out.append(f'<rect class="armrest" x="{x + SIZE - 4 if right else x + 1}" y="{y + 4}" width="3" '
                       f'height="{SIZE - 8}" fill="{ARMREST_FILL}"/>')
        text = cell.code + cell.marks
        if text:
            colour_text = "#ffffff" if cell.kind == "escort" else "#000000"
            out.append(
                f'<text x="{x + SIZE / 2}" y="{y + SIZE * 0.65}" text-anchor="middle" '
                f'fill="{colour_text}">{escape(text)}</text>'
            )
        out.append("</g>")
    return out


def _svg_legend(y: int, entries: list[tuple[str, str, str]]) -> list[str]:
    """The legend from height y: a swatch and its text per entry (`legend_entries`)."""
    out = [f'<g id="legend"><text x="4" y="{y}" font-weight="bold">Legend</text>']
    for key, swatch, text in entries:
        y += 18
        out.append(f'<g class="legend-entry" data-key="{key}">')
        box = f'<rect x="4" y="{y - 11}" width="14" height="14" rx="2" '
        if swatch.startswith("text:"):
            out.append(
                f'{box}fill="{FILL["free"]}" stroke="{SEAT_STROKE}"/>'
                f'<text x="11" y="{y}" text-anchor="middle" font-weight="bold">{escape(swatch[5:])}</text>'
            )
        elif swatch.startswith("bar:"):
            out.append(f'{box}fill="{FILL["free"]}" stroke="{SEAT_STROKE}"/>'
                       f'<rect x="14" y="{y - 9}" width="3" height="10" fill="{swatch[4:]}"/>')
        elif swatch.startswith("outline:"):
            dash = ' stroke-dasharray="4 2"' if key == "exit" else ""
            out.append(f'{box}fill="none" stroke="{swatch[8:]}"{dash}/>')
        else:
            out.append(f'{box}fill="{swatch}" stroke="{SEAT_STROKE}"/>')
        out.append(f'<text x="24" y="{y}">{escape(text)}</text></g>')
    out.append("</g>")
    return out


def _svg_escorts(y: int, escorts: list[tuple[str, str]]) -> list[str]:
    """The escort list from height y (or "none on this flight")."""
    out = [f'<g id="escorts"><text x="4" y="{y}" font-weight="bold">Escorts</text>']
    for code, text in escorts or [("", "none on this flight")]:
        y += 18
        out.append(
            f'<text class="escort" x="4" y="{y}"><tspan font-weight="bold">{escape(code)}</tspan> {escape(text)}</text>'
        )
    out.append("</g>")
    return out
