"""Seat maps: the library of charter types and the geometry of a cabin (seats, blocks, aisles, exits).

A seat's position is the character index of its letter in the type's base layout string, so per-row layouts
that omit seats keep the others in their columns, and "next position" means the adjacent character.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from planner.scenario import AircraftType, Scenario


class SeatMapError(Exception):
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
    exit: bool
    blocked: bool


@dataclass
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

    @property
    def seat_count(self) -> int:
        return len(self.seats)

    def by_id(self) -> dict[str, Seat]:
        return {s.id: s for s in self.seats}


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


def resolve_aircraft(type_id: str, scenario: Scenario | None = None) -> SeatMap:
    """The seat map of `type_id`: the scenario's own definition first, then the library."""
    spec = None
    if scenario is not None:
        spec = next((a for a in scenario.aircraft if a.type == type_id), None)
    if spec is None:
        spec = library().get(type_id)
    if spec is None:
        raise SeatMapError([f"unknown aircraft type {type_id!r}"])
    return build_seat_map(spec)


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


def _build(spec: AircraftType) -> SeatMap:
    problems: list[str] = []
    base = spec.layout
    letters = [c for c in base if c != " "]
    if len(set(letters)) != len(letters):
        problems.append(f"layout {base!r} repeats a letter")
    if not all(c.isalpha() and c.isupper() for c in letters):
        problems.append(f"layout {base!r} may hold only capital letters and spaces")
    if base != base.strip() or "  " in base:
        problems.append(f"layout {base!r} must not start or end with a space or hold two spaces together")
    if spec.rows.last < spec.rows.first:
        problems.append(f"rows: last {spec.rows.last} is before first {spec.rows.first}")
    rows = [r for r in range(spec.rows.first, spec.rows.last + 1) if r not in set(spec.rows.skip)]
    row_set = set(rows)
    column = {c: i for i, c in enumerate(base) if c != " "}
    block_of: dict[int, int] = {}
    block = 0
    for i, c in enumerate(base):
        if c == " ":
            block += 1
        else:
            block_of[i] = block
    for r, lay in spec.row_layouts.items():
        if r not in row_set:
            problems.append(f"row_layouts: row {r} is not in the cabin")
        for c in lay:
            if c != " " and c not in column:
                problems.append(f"row_layouts[{r}]: letter {c!r} is not in the layout {base!r}")
    for r in spec.exit_rows:
        if r not in row_set:
            problems.append(f"exit row {r} is outside the cabin")
    for r in spec.bassinet_rows:
        if r not in row_set:
            problems.append(f"bassinet row {r} is outside the cabin")
    if problems:
        raise SeatMapError(problems)

    seats: list[Seat] = []
    exit_rows = set(spec.exit_rows)
    for index, r in enumerate(rows):
        present = [c for c in spec.row_layouts.get(r, base) if c != " "]
        cols = sorted(column[c] for c in present)
        for c in present:
            col = column[c]
            left, right = col - 1, col + 1
            aisle = (left >= 0 and base[left] == " ") or (right < len(base) and base[right] == " ")
            window = col == cols[0] or col == cols[-1]
            seats.append(Seat(id=f"{r}{c}", row=r, letter=c, column=col, block=block_of[col], row_index=index,
                              window=window, aisle=aisle, exit=r in exit_rows, blocked=False))
    ids = {s.id for s in seats}
    for name, listed in (("blocked_seats", spec.blocked_seats), ("movable_armrests", spec.movable_armrests or []),
                         ("stretcher_zone", spec.stretcher_zone or [])):
        for sid in listed:
            if sid not in ids:
                problems.append(f"{name}: seat {sid!r} is not in the cabin")
    mask_blocks = spec.mask_blocks
    if mask_blocks is None:
        groups: dict[tuple[int, int], list[str]] = {}
        for s in seats:
            groups.setdefault((s.row_index, s.block), []).append(s.id)
        mask_blocks = list(groups.values())
    for blk in mask_blocks:
        for sid in blk:
            if sid not in ids:
                problems.append(f"mask_blocks: seat {sid!r} is not in the cabin")
    if problems:
        raise SeatMapError(problems)
    blocked = set(spec.blocked_seats)
    seats = [Seat(**{**s.__dict__, "blocked": s.id in blocked}) for s in seats]
    return SeatMap(type=spec.type, seats=seats, exit_rows=sorted(exit_rows), bassinet_rows=spec.bassinet_rows,
                   door_rows=spec.door_rows or [rows[0]], mask_blocks=mask_blocks,
                   movable_armrests=set(spec.movable_armrests) if spec.movable_armrests is not None else None,
                   stretcher_zone=list(spec.stretcher_zone or []), rows=rows)


def isolation_rows(seat_map: SeatMap, count: int) -> list[int]:
    """The rear `count` rows kept empty under a COVID-19 protocol."""
    return seat_map.rows[-count:] if count > 0 else []
