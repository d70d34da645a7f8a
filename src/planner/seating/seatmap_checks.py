"""Problems of an aircraft spec (docs/seating.md#seat-maps), each a readable sentence, so that a scenario's
seat map is reported whole: every problem at once, not one per loading attempt.

`planner.seating.seatmaps` builds the seat map and raises them together as a SeatMapError.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from planner.model.scenario import AircraftType

if TYPE_CHECKING:  # seatmaps imports this module to build its maps
    from planner.seating.seatmaps import Seat


def layout_problems(base: str) -> list[str]:
    problems: list[str] = []
    letters = [c for c in base if c != " "]
    if len(set(letters)) != len(letters):
        problems.append(f"layout {base!r} repeats a letter")
    if not all(c.isalpha() and c.isupper() and c.isascii() for c in letters):
        problems.append(f"layout {base!r} may hold only capital letters A-Z and spaces (aisles)")
    if base != base.strip() or "  " in base:
        problems.append(f"layout {base!r} must not start or end with a space or hold two spaces together")
    return problems


def row_layout_problems(r: int, lay: str, base: str, column: dict[str, int], block_of: dict[int, int]
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


def seat_list_problems(spec: AircraftType, seats: list[Seat]) -> list[str]:
    """Seats the spec lists (blocked, movable armrests, stretcher zone) that are not in the cabin, listed
    twice, an armrest off the aisle or a stretcher seat in an exit row."""
    problems: list[str] = []
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
    problems += [
        f"movable_armrests: seat {sid!r} is not an aisle seat"
        for sid in spec.movable_armrests or []
        if sid in by_id and not by_id[sid].aisle
    ]
    problems += [
        f"stretcher_zone: seat {sid!r} is an exit seat"
        for sid in spec.stretcher_zone or []
        if sid in by_id and by_id[sid].exit
    ]
    return problems


def cabin_rows(spec: AircraftType, problems: list[str]) -> tuple[list[int], bool]:
    """The cabin's row numbers front to back, and whether the row range is sound; problems are appended."""
    first, last = spec.rows.first, spec.rows.last
    rows_ok = last >= first
    if not rows_ok:  # one error: every row-number check would only repeat it
        problems.append(f"rows: last {last} is before first {first} (write the range front to back)")
    else:
        problems += [f"rows.skip: row {r} is outside rows {first}-{last}" for r in spec.rows.skip
                     if not first <= r <= last]
    rows = [r for r in range(first, last + 1) if r not in set(spec.rows.skip)]
    if not rows and rows_ok:
        problems.append("rows: every row is skipped, the cabin has no seats")
    return rows, rows_ok


def listed_row_problems(spec: AircraftType, rows: list[int]) -> list[str]:
    """Exit, bassinet and door rows that are not rows of the cabin."""
    row_set = set(rows)
    skipping = f", skipping {sorted(spec.rows.skip)}" if spec.rows.skip else ""
    return [
        f"{name} {r} is outside the cabin (rows {spec.rows.first}-{spec.rows.last}{skipping})"
        for name, listed in (
            ("exit row", spec.exit_rows),
            ("bassinet row", spec.bassinet_rows),
            ("door row", spec.door_rows or []),
        )
        for r in listed
        if r not in row_set
    ]
