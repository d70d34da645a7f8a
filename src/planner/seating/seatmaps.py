"""Seat maps: the library of charter types and the geometry of a cabin (seats, blocks, aisles, exits).

A seat's position is the character index of its letter in the type's base layout string, so per-row layouts
that omit seats keep the others in their columns, and "next position" means the adjacent character
(docs/rules.md#distancing). Seat maps vary by operator, so the library only holds typical charter types; scenarios bring
the broker's real LOPA as their own `aircraft` entry (docs/architecture.md#seat-maps).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from itertools import pairwise

import yaml
from pydantic import ValidationError

from planner.model.scenario import AircraftType, Flight, Scenario

#: The distancing relations of docs/rules.md#distancing, in a fixed order.
RELATIONS = ("side", "across-aisle", "front-back", "diagonal")


class SeatMapError(Exception):
    """A seat map that cannot be built; `problems` lists every problem found, each a readable sentence."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Seat:
    id: str
    row: int
    letter: str
    column: int  # character index in the base layout
    block: int  # index of the seat block (aisle-separated group) in the base layout
    row_index: int  # physical row order, 0 = front
    window: bool
    aisle: bool
    exit: bool  # an exit seat: in an exit row, between the exit and the first aisle inboard (14 CFR 121.585)
    blocked: bool
    armrest: bool = True  # movable aisle armrest (True when the map does not say: docs/rules.md#wheelchair-aisle-seats)
    bassinet: bool = False
    stretcher: bool = False  # part of the stretcher zone
    mask_block: int = -1  # index into SeatMap.mask_blocks


@dataclass(eq=False)  # identity hash: built once per spec and cached, so caches can key on it
class SeatMap:
    type: str
    seats: list[Seat]
    exit_rows: list[int]
    bassinet_rows: list[int]
    door_rows: list[int]
    mask_blocks: list[list[str]]
    movable_armrests: set[str] | None
    stretcher_zone: list[str]
    rows: list[int] = field(default_factory=list)
    layout: str = ""
    row_layouts: dict[int, str] = field(default_factory=dict)

    @property
    def seat_count(self) -> int:
        return len(self.seats)

    def by_id(self) -> dict[str, Seat]:
        return self._by_id

    @cached_property
    def _by_id(self) -> dict[str, Seat]:
        return {s.id: s for s in self.seats}

    @cached_property
    def by_position(self) -> dict[tuple[int, int], Seat]:
        """Seats keyed by (row_index, column)."""
        return {(s.row_index, s.column): s for s in self.seats}

    @cached_property
    def blocks(self) -> int:
        return self.layout.count(" ") + 1

    def row_layout(self, row: int) -> str:
        return self.row_layouts.get(row, self.layout)

    def door_distance(self, seat: Seat) -> int:
        """Rows between a seat and the nearest door row (reduced-mobility passengers sit near a door)."""
        index = {r: i for i, r in enumerate(self.rows)}
        return min(abs(seat.row_index - index[r]) for r in self.door_rows if r in index)


def seat_neighbours(seat_map: SeatMap, relations: list[str] | tuple[str, ...]) -> dict[str, set[str]]:
    """Seats related to each seat under the given distancing relations (docs/rules.md#distancing), symmetric.

    `side`: same row and block, next position; `across-aisle`: the two seats either side of one aisle;
    `front-back`: same letter in physically consecutive rows; `diagonal`: consecutive rows, next position,
    across an aisle only when `across-aisle` is also on.
    """
    rel = set(relations)
    unknown = rel - set(RELATIONS)
    if unknown:
        raise ValueError(f"unknown distancing relation(s): {sorted(unknown)}")
    base = seat_map.layout
    pos = seat_map.by_position
    out: dict[str, set[str]] = {s.id: set() for s in seat_map.seats}

    def link(a: Seat | None, b: Seat | None) -> None:
        if a is not None and b is not None and a.id != b.id:
            out[a.id].add(b.id)
            out[b.id].add(a.id)

    for s in seat_map.seats:
        r, c = s.row_index, s.column
        right = pos.get((r, c + 1))
        if "side" in rel and right is not None:
            link(s, right)
        over_aisle = c + 2 < len(base) and base[c + 1] == " "
        if "across-aisle" in rel and over_aisle:
            link(s, pos.get((r, c + 2)))
        if "front-back" in rel:
            link(s, pos.get((r + 1, c)))
        if "diagonal" in rel:
            for dc in (-1, 1):
                link(s, pos.get((r + 1, c + dc)))
            if "across-aisle" in rel:
                if over_aisle:
                    link(s, pos.get((r + 1, c + 2)))
                if c - 2 >= 0 and base[c - 1] == " ":
                    link(s, pos.get((r + 1, c - 2)))
    return out


def side_neighbours(seat_map: SeatMap) -> dict[str, set[str]]:
    """Seats "next to" each seat: same row and block, adjacent position (escort and companion rules)."""
    return seat_neighbours(seat_map, ("side",))


@cache
def library() -> dict[str, AircraftType]:
    """The bundled charter types, keyed by their documented id."""
    out: dict[str, AircraftType] = {}
    folder = resources.files("planner").joinpath("data/aircraft")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            spec = AircraftType.model_validate(yaml.safe_load(item.read_text(encoding="utf-8")))
            out[spec.type] = spec
    return out


def aircraft_spec(type_id: str, scenario: Scenario | None = None) -> AircraftType:
    """The definition of `type_id`: the scenario's own first, then the library."""
    spec = None
    if scenario is not None:
        spec = next((a for a in scenario.aircraft if a.type == type_id), None)
    if spec is None:
        spec = library().get(type_id)
    if spec is None:
        raise SeatMapError([f"unknown aircraft type {type_id!r}"])
    return spec


def resolve_aircraft(type_id: str, scenario: Scenario | None = None) -> SeatMap:
    """The seat map of `type_id`: the scenario's own definition first, then the library."""
    return build_seat_map(aircraft_spec(type_id, scenario))


def parse_spec(data: dict) -> AircraftType:
    try:
        return AircraftType.model_validate(data)
    except ValidationError as exc:
        raise SeatMapError([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None


@cache
def _build_cached(spec_json: str) -> SeatMap:
    return _build(AircraftType.model_validate_json(spec_json))


def build_seat_map(spec: AircraftType) -> SeatMap:
    return _build_cached(spec.model_dump_json())


def check_flight_seats(seat_map: SeatMap, flight: Flight) -> list[str]:
    """Problems with a flight's own blocked seats (seats that are not in its aircraft's cabin)."""
    ids = seat_map.by_id()
    return [
        f"flight {flight.id}: blocked seat {sid!r} is not in the cabin of {seat_map.type}"
        for sid in flight.blocked_seats
        if sid not in ids
    ]


def _layout_problems(base: str) -> list[str]:
    problems: list[str] = []
    letters = [c for c in base if c != " "]
    if len(set(letters)) != len(letters):
        problems.append(f"layout {base!r} repeats a letter")
    if not all(c.isalpha() and c.isupper() and c.isascii() for c in letters):
        problems.append(f"layout {base!r} may hold only capital letters A-Z and spaces (aisles)")
    if base != base.strip() or "  " in base:
        problems.append(f"layout {base!r} must not start or end with a space or hold two spaces together")
    return problems


def _row_layout_problems(r: int, lay: str, base: str, column: dict[str, int], block_of: dict[int, int]
                         ) -> list[str]:
    """A row layout may leave seats out, but its letters keep the layout's order and its aisles: two seats
    are apart (a space between them) exactly when the base layout has an aisle between them. Only the first
    misplaced aisle is named, since one moved aisle shows up on both of its sides."""
    problems: list[str] = []
    present = [c for c in lay if c != " "]
    for c in present:
        if c not in column:
            problems.append(f"row_layouts[{r}]: letter {c!r} is not in the layout {base!r}")
    if len(set(present)) != len(present):
        problems.append(f"row_layouts[{r}]: {lay!r} repeats a letter")
    known = [column[c] for c in present if c in column]
    if known != sorted(known):
        problems.append(f"row_layouts[{r}]: letters of {lay!r} are not in the order of the layout {base!r}")
        return problems
    if not present:
        problems.append(f"row_layouts[{r}]: the row has no seats")
    keeps = "a row layout may leave seats out but keeps the aisles of the layout"
    sequence: list[tuple[str, bool]] = []  # each known letter, and whether the row layout has an aisle before it
    gap = False
    for c in lay:
        if c == " ":
            gap = True
        elif c in column:
            sequence.append((c, gap))
            gap = False
    for (a, _), (b, aisle) in pairwise(sequence):
        split = block_of[column[a]] != block_of[column[b]]
        if split and not aisle:
            problems.append(f"row_layouts[{r}]: {lay!r} puts {a} and {b} together, but the layout {base!r} "
                            f"has an aisle between them; {keeps}")
            break
        if aisle and not split:
            problems.append(f"row_layouts[{r}]: {lay!r} has an aisle between {a} and {b} that the layout "
                            f"{base!r} does not have; {keeps}")
            break
    return problems


def _window_columns(present: list[str], column: dict[str, int], block_of: dict[int, int], last_block: int
                    ) -> set[int]:
    """Columns of a row's window seats: the outermost seat present in each outer block of the layout.

    A row that lacks a whole outer block (a galley or door row) has no window seat on that side, so an
    aisle seat of the middle block is never a window; a row that only drops the outer seat of a block
    (fuselage taper) has its next seat by the wall.
    """
    cols = sorted(column[c] for c in present)
    left = [c for c in cols if block_of[c] == 0]
    right = [c for c in cols if block_of[c] == last_block]
    return ({left[0]} if left else set()) | ({right[-1]} if right else set())


def _check_seat_lists(spec: AircraftType, seats: list[Seat], problems: list[str]
                      ) -> tuple[list[list[str]], dict[str, int]]:
    """Check the spec's seat lists against the built seats; return the mask blocks and each seat's block."""
    ids = {s.id for s in seats}
    for name, listed in (
        ("blocked_seats", spec.blocked_seats),
        ("movable_armrests", spec.movable_armrests or []),
        ("stretcher_zone", spec.stretcher_zone or []),
    ):
        seen: set[str] = set()
        for sid in listed:
            if sid not in ids:
                problems.append(f"{name}: seat {sid!r} is not in the cabin")
            if sid in seen:
                problems.append(f"{name}: seat {sid!r} is listed twice")
            seen.add(sid)
    by_id = {s.id: s for s in seats}
    for sid in spec.movable_armrests or []:
        if sid in by_id and not by_id[sid].aisle:
            problems.append(f"movable_armrests: seat {sid!r} is not an aisle seat")
    for sid in spec.stretcher_zone or []:
        if sid in by_id and by_id[sid].exit:
            problems.append(f"stretcher_zone: seat {sid!r} is an exit seat")
    if spec.mask_blocks is None:
        groups: dict[tuple[int, int], list[str]] = {}
        for s in seats:
            groups.setdefault((s.row_index, s.block), []).append(s.id)
        mask_blocks = list(groups.values())
    else:
        mask_blocks = [list(b) for b in spec.mask_blocks]
        # Seats a custom list leaves out form their own one-seat blocks, so every seat has a block.
        listed_ids = {sid for blk in mask_blocks for sid in blk}
        mask_blocks += [[s.id] for s in seats if s.id not in listed_ids]
    owner: dict[str, int] = {}
    for b, blk in enumerate(mask_blocks):
        if not blk:
            problems.append(f"mask_blocks[{b}] is empty")
        for sid in blk:
            if sid not in ids:
                problems.append(f"mask_blocks: seat {sid!r} is not in the cabin")
            elif sid in owner:
                problems.append(f"mask_blocks: seat {sid!r} is in two mask blocks")
            owner[sid] = b
    return mask_blocks, owner


def _build(spec: AircraftType) -> SeatMap:
    """The seat map of a spec, or a SeatMapError listing every problem (one batch, not one per stage)."""
    base = spec.layout
    problems = _layout_problems(base)
    layout_ok = not problems
    rows_ok = spec.rows.last >= spec.rows.first
    if not rows_ok:  # one error: every row-number check below would only repeat it
        problems.append(f"rows: last {spec.rows.last} is before first {spec.rows.first} "
                        "(write the range front to back)")
    else:
        for r in spec.rows.skip:
            if not spec.rows.first <= r <= spec.rows.last:
                problems.append(f"rows.skip: row {r} is outside rows {spec.rows.first}-{spec.rows.last}")
    rows = [r for r in range(spec.rows.first, spec.rows.last + 1) if r not in set(spec.rows.skip)]
    if not rows and rows_ok:
        problems.append("rows: every row is skipped, the cabin has no seats")
    row_set = set(rows)
    column = {c: i for i, c in enumerate(base) if c != " "}
    block_of: dict[int, int] = {}
    block = 0
    for i, c in enumerate(base):
        if c == " ":
            block += 1
        else:
            block_of[i] = block
    last_block = block
    for r, lay in sorted(spec.row_layouts.items()):
        if rows_ok and r not in row_set:
            problems.append(f"row_layouts: row {r} is not in the cabin")
        problems += _row_layout_problems(r, lay, base, column, block_of)
    for name, listed in (
        ("exit row", spec.exit_rows),
        ("bassinet row", spec.bassinet_rows),
        ("door row", spec.door_rows or []),
    ):
        for r in listed:
            if rows_ok and r not in row_set:
                problems.append(
                    f"{name} {r} is outside the cabin (rows {spec.rows.first}-{spec.rows.last}"
                    + (f", skipping {sorted(spec.rows.skip)}" if spec.rows.skip else "")
                    + ")"
                )

    seats: list[Seat] = []
    exit_rows = set(spec.exit_rows)
    for index, r in enumerate(rows):
        present = list(dict.fromkeys(c for c in spec.row_layouts.get(r, base) if c in column))
        outer = _window_columns(present, column, block_of, last_block)
        for c in present:
            col = column[c]
            left, right = col - 1, col + 1
            aisle = (left >= 0 and base[left] == " ") or (right < len(base) and base[right] == " ")
            # Exit seats: the seats between a fuselage exit and the first aisle inboard, i.e. the outer blocks.
            is_exit = r in exit_rows and block_of[col] in (0, last_block)
            seats.append(
                Seat(
                    id=f"{r}{c}",
                    row=r,
                    letter=c,
                    column=col,
                    block=block_of[col],
                    row_index=index,
                    window=col in outer,
                    aisle=aisle,
                    exit=is_exit,
                    blocked=False,
                    bassinet=r in set(spec.bassinet_rows),
                )
            )
    owner: dict[str, int] = {}
    mask_blocks: list[list[str]] = []
    if layout_ok and rows_ok:  # seat-level checks only make sense on a sound cabin
        mask_blocks, owner = _check_seat_lists(spec, seats, problems)
    if problems:
        raise SeatMapError(problems)
    blocked = set(spec.blocked_seats)
    armrests = set(spec.movable_armrests) if spec.movable_armrests is not None else None
    zone = set(spec.stretcher_zone or [])
    seats = [
        replace(
            s,
            blocked=s.id in blocked,
            armrest=armrests is None or s.id in armrests,
            stretcher=s.id in zone,
            mask_block=owner[s.id],
        )
        for s in seats
    ]
    return SeatMap(
        type=spec.type,
        seats=seats,
        exit_rows=sorted(exit_rows),
        bassinet_rows=sorted(spec.bassinet_rows),
        door_rows=sorted(spec.door_rows or [rows[0]]),
        mask_blocks=mask_blocks,
        movable_armrests=armrests,
        stretcher_zone=list(spec.stretcher_zone or []),
        rows=rows,
        layout=base,
        row_layouts=dict(spec.row_layouts),
    )


def isolation_rows(seat_map: SeatMap, count: int) -> list[int]:
    """The rear `count` rows kept empty under a COVID-19 protocol."""
    return seat_map.rows[-count:] if count > 0 else []
