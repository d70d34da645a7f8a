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

import yaml

from planner.model.scenario import AircraftType, Flight, Scenario
from planner.seating.seatmap_checks import (
    cabin_rows,
    layout_problems,
    listed_row_problems,
    row_layout_problems,
    seat_list_problems,
)

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
    pos = seat_map.by_position
    out: dict[str, set[str]] = {s.id: set() for s in seat_map.seats}
    for s in seat_map.seats:
        for key in _related_positions(s, rel, seat_map.layout):
            t = pos.get(key)
            if t is not None and t.id != s.id:
                out[s.id].add(t.id)
                out[t.id].add(s.id)
    return out


def _related_positions(seat: Seat, rel: set[str], base: str) -> list[tuple[int, int]]:
    """(row_index, column) positions related to `seat` in its own row to the right, or in the row behind it:
    each related pair is found from one of its two seats, and `seat_neighbours` links both ways."""
    r, c = seat.row_index, seat.column
    out: list[tuple[int, int]] = []
    over_aisle = c + 2 < len(base) and base[c + 1] == " "
    if "side" in rel:
        out.append((r, c + 1))
    if "across-aisle" in rel and over_aisle:
        out.append((r, c + 2))
    if "front-back" in rel:
        out.append((r + 1, c))
    if "diagonal" in rel:
        out += [(r + 1, c - 1), (r + 1, c + 1)]
        if "across-aisle" in rel and over_aisle:
            out.append((r + 1, c + 2))
        if "across-aisle" in rel and c - 2 >= 0 and base[c - 1] == " ":
            out.append((r + 1, c - 2))
    return out


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


def _mask_blocks(spec: AircraftType, seats: list[Seat], problems: list[str]) -> tuple[list[list[str]], dict[str, int]]:
    """The mask blocks (the spec's, or one per row side) and each seat's block; problems are appended."""
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
    ids = {s.id for s in seats}
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


@dataclass(frozen=True)
class _Layout:
    """The base layout string read once: each letter's column, each column's block, the last block."""

    base: str
    column: dict[str, int]
    block_of: dict[int, int]
    last_block: int

    @classmethod
    def read(cls, base: str) -> _Layout:
        column = {c: i for i, c in enumerate(base) if c != " "}
        block_of: dict[int, int] = {}
        block = 0
        for i, c in enumerate(base):
            if c == " ":
                block += 1
            else:
                block_of[i] = block
        return cls(base, column, block_of, block)

    def is_aisle(self, col: int) -> bool:
        """Whether the seat in column `col` has an aisle on one side."""
        base = self.base
        return (col - 1 >= 0 and base[col - 1] == " ") or (col + 1 < len(base) and base[col + 1] == " ")


def _row_seats(spec: AircraftType, index: int, r: int, lay: _Layout) -> list[Seat]:
    """The seats of row r (the `index`-th row), before the spec's seat lists are applied."""
    present = list(dict.fromkeys(c for c in spec.row_layouts.get(r, lay.base) if c in lay.column))
    outer = _window_columns(present, lay.column, lay.block_of, lay.last_block)
    seats = []
    for c in present:
        col = lay.column[c]
        # Exit seats: the seats between a fuselage exit and the first aisle inboard, i.e. the outer blocks.
        is_exit = r in spec.exit_rows and lay.block_of[col] in (0, lay.last_block)
        seats.append(
            Seat(
                id=f"{r}{c}", row=r, letter=c, column=col, block=lay.block_of[col], row_index=index,
                window=col in outer, aisle=lay.is_aisle(col), exit=is_exit, blocked=False,
                bassinet=r in spec.bassinet_rows,
            )
        )
    return seats


def _build(spec: AircraftType) -> SeatMap:
    """The seat map of a spec, or a SeatMapError listing every problem (one batch, not one per stage)."""
    base = spec.layout
    problems = layout_problems(base)
    layout_ok = not problems
    rows, rows_ok = cabin_rows(spec, problems)
    lay = _Layout.read(base)
    for r, row_layout in sorted(spec.row_layouts.items()):
        if rows_ok and r not in rows:
            problems.append(f"row_layouts: row {r} is not in the cabin")
        problems += row_layout_problems(r, row_layout, base, lay.column, lay.block_of)
    if rows_ok:
        problems += listed_row_problems(spec, rows)
    seats = [s for index, r in enumerate(rows) for s in _row_seats(spec, index, r, lay)]
    owner: dict[str, int] = {}
    mask_blocks: list[list[str]] = []
    if layout_ok and rows_ok:  # seat-level checks only make sense on a sound cabin
        problems += seat_list_problems(spec, seats)
        mask_blocks, owner = _mask_blocks(spec, seats, problems)
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
        exit_rows=sorted(set(spec.exit_rows)),
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
