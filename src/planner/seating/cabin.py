"""The cabin as the seating solver sees it: usable seats and the relations between them.

Built once per flight from the seat map (planner.seating.seatmaps) and the flight's unusable seats, so the
greedy and CP-SAT ask the same precomputed questions: which seats distancing links, which are "next to" each
other, which are near enough for a child's adult, how far a seat is from a door (docs/rules.md#cabin-rules).
"""

from __future__ import annotations

from functools import cached_property

from planner.rules.distancing import max_independent_seats
from planner.rules.mobility import stretcher_adjacent
from planner.seating.job import FlightJob
from planner.seating.seatmaps import Seat, SeatMap, build_seat_map, seat_neighbours


class Cabin:
    """Seats usable on this flight and the relations between them (distancing, next-to, near, zone)."""

    def __init__(self, job: FlightJob):
        self.job = job
        self.map: SeatMap = build_seat_map(job.spec)
        self.carries_stretcher = any(o.stretcher for o in job.occupants)
        self.zone = set(self.map.stretcher_zone)
        # one stretcher case per zone (docs/rules.md#cabin-rules); a seat map has at most one zone, so one case
        # per flight
        self.stretcher_cases = 1 if self.zone else 0
        self.usable: list[Seat] = sorted(
            (s for s in self.map.seats if s.id not in job.unusable), key=lambda s: (s.row_index, s.column)
        )
        self.ids = {s.id for s in self.usable}
        self.by_id = {s.id: s for s in self.usable}
        self.rows = sorted({s.row_index for s in self.usable})
        nb = seat_neighbours(self.map, job.relations) if job.relations else {}
        self.dist: dict[str, list[str]] = {s.id: sorted(nb.get(s.id, set()) & self.ids) for s in self.usable}
        side = seat_neighbours(self.map, ("side",))
        self.side = {s.id: sorted(side[s.id] & self.ids) for s in self.usable}
        by_row: dict[int, list[Seat]] = {}
        for s in self.usable:
            by_row.setdefault(s.row_index, []).append(s)
        self.by_row = by_row
        self.zone_adjacent = sorted(s.id for s in self.usable if stretcher_adjacent(s, self.zone, self.map))
        self.door = {s.id: self.map.door_distance(s) for s in self.usable}
        self.has_bassinet = bool(self.map.bassinet_rows)

    def near(self, sid: str) -> list[str]:
        """Seats a child's household adult may take: same row, or same block of the next or previous row."""
        s = self.by_id[sid]
        out = [t.id for t in self.by_row.get(s.row_index, []) if t.id != sid]
        for r in (s.row_index - 1, s.row_index + 1):
            out += [t.id for t in self.by_row.get(r, []) if t.block == s.block]
        return out

    @cached_property
    def mis(self) -> tuple[int, list[str]]:
        """The most single travellers distancing lets this cabin seat, and one such set of seats."""
        return max_independent_seats(self.map, self.job.relations, self.ids)

    def block_row(self, sid: str) -> tuple[int, int]:
        """The (row, block) a seat is in: the unit of "extra row blocks" in household spread."""
        s = self.by_id[sid]
        return (s.row_index, s.block)
