"""Distancing (docs/rules.md#distancing): which seats are neighbours, who is exempt, and a cabin's exact capacity.

Optional COVID-19 distancing (`protocol.seating.distancing`, a list of relations): two related seats may not
hold people of different households; members of one household, and an escort with each person they serve, are
exempt. Reason code: `seating.no_fit` (limit `distancing_units`); violation ids `distancing.side`,
`distancing.across_aisle`, `distancing.front_back`, `distancing.diagonal` (one per relation).

Exact capacity: the maximum independent set of a cabin's seat graph, row by row.

Distancing relations only link seats of the same row or of physically consecutive rows, so a dynamic
programme over rows, whose state is the set of occupied seats of the current row, is exact. A row holds at
most about ten seats, so there are at most 2^10 states and the row-to-row compatibility is a small boolean
matrix. The result is the true number of single travellers a cabin can hold, and an optimal pattern of seats
that the seating greedy uses to place single travellers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache

import numpy as np

from planner.model.violations import Violation
from planner.rules.base import FlightFacts, SeatCheck, SeatContext, across_aisle, next_to
from planner.seating.seatmaps import RELATIONS, Seat, SeatMap, seat_neighbours

REASON = "seating.no_fit"


def rule_id(relation: str) -> str:
    """The violation id of a relation: `across-aisle` reports as `distancing.across_aisle`."""
    return f"distancing.{relation.replace('-', '_')}"


def related(a: Seat, b: Seat, relation: str, layout: str, across_on: bool) -> bool:
    """Whether seats a and b are neighbours under one relation. "Next position" is the adjacent character of the
    layout string; `diagonal` crosses an aisle only when `across-aisle` is on too."""
    if relation == "side":
        return next_to(a, b)
    if relation == "across-aisle":
        return a.row_index == b.row_index and across_aisle(a, b, layout)
    consecutive = abs(a.row_index - b.row_index) == 1
    if relation == "front-back":
        return consecutive and a.letter == b.letter
    if relation == "diagonal":
        if not consecutive:
            return False
        lo, hi = sorted((a.column, b.column))
        return (hi - lo == 1 and layout[lo] != " " and layout[hi] != " ") or (across_on and across_aisle(a, b, layout))
    raise ValueError(relation)


def exempt(facts: FlightFacts, a: str, b: str) -> bool:
    """No distancing between members of one household, nor between an escort and whom they serve."""
    oa, ob = facts.occupants[a], facts.occupants[b]
    return oa.household == ob.household or b in oa.serves or a in ob.serves


def _distancing(relation: str) -> Callable[[SeatContext], Iterator[Violation]]:
    def check(ctx: SeatContext) -> Iterator[Violation]:
        rel = ctx.scenario.protocol.seating.distancing
        if relation not in rel:
            return
        across_on = "across-aisle" in rel
        layout = ctx.facts.seat_map.layout
        items = sorted(ctx.seat_of.items(), key=lambda kv: (kv[1].row_index, kv[1].column, kv[0]))
        for i, (a, sa) in enumerate(items):
            for b, sb in items[i + 1:]:
                if sb.row_index > sa.row_index + 1:
                    break
                if related(sa, sb, relation, layout, across_on) and not exempt(ctx.facts, a, b):
                    yield ctx.v(rule_id(relation), f"seats {sa.id} and {sb.id} are {relation} neighbours but hold "
                                                   f"different households ({a} and {b})", b)

    return check


CHECKS = ()
SEAT_CHECKS = tuple(SeatCheck(rule_id(r), _distancing(r)) for r in RELATIONS)


def max_independent_seats(seat_map: SeatMap, relations: Iterable[str], usable: Iterable[str]) -> tuple[int, list[str]]:
    """The largest set of `usable` seats with no two related under `relations`, and one such set."""
    return _mis(seat_map, tuple(sorted(set(relations))), frozenset(usable))


def _popcount(a: np.ndarray) -> np.ndarray:
    count = np.zeros_like(a)
    x = a.copy()
    while x.any():
        count += x & 1
        x >>= 1
    return count


class _Rows:
    """The usable seats of a cabin row by row, with each seat's bit in its row's state mask."""

    def __init__(self, seat_map: SeatMap, relations: tuple[str, ...], usable: frozenset[str]):
        self.nbrs = seat_neighbours(seat_map, relations)
        self.rows: list[list[str]] = [[] for _ in seat_map.rows]
        for s in sorted(seat_map.seats, key=lambda s: (s.row_index, s.column)):
            if s.id in usable:
                self.rows[s.row_index].append(s.id)
        self.row_of = {sid: r for r, ids in enumerate(self.rows) for sid in ids}
        self.bit = {sid: i for ids in self.rows for i, sid in enumerate(ids)}

    def mask(self, sid: str, row: int) -> int:
        """The seats of `row` related to seat `sid`, as a bit mask."""
        m = 0
        for t in self.nbrs[sid]:
            if self.row_of.get(t) == row:
                m |= 1 << self.bit[t]
        return m

    def states(self, r: int) -> np.ndarray:
        """Every set of seats of row r with no two related."""
        ids = self.rows[r]
        inner = [self.mask(sid, r) for sid in ids]
        out = [m for m in range(1 << len(ids)) if all(not (m >> i) & 1 or not (m & inner[i]) for i in range(len(ids)))]
        return np.array(out, dtype=np.int64)

    def reach(self, r: int, prev_states: np.ndarray) -> np.ndarray:
        """For each state of row r − 1, the seats of row r related to one of its seats."""
        out = np.zeros(len(prev_states), dtype=np.int64)
        for i, sid in enumerate(self.rows[r - 1]):
            out |= np.where((prev_states >> i) & 1 == 1, self.mask(sid, r), 0)
        return out


@cache
def _mis(seat_map: SeatMap, relations: tuple[str, ...], usable: frozenset[str]) -> tuple[int, list[str]]:
    rows = _Rows(seat_map, relations, usable)
    best = np.zeros(0, dtype=np.int64)
    back: list[np.ndarray | None] = []
    all_states: list[np.ndarray] = []
    for r in range(len(rows.rows)):
        states = rows.states(r)
        gain = _popcount(states)
        if not all_states:
            best = gain.astype(np.int64)
            back.append(None)
        else:
            ok = (rows.reach(r, all_states[-1])[:, None] & states[None, :]) == 0
            scores = np.where(ok, best[:, None], -1)
            arg = scores.argmax(axis=0)
            best = scores[arg, np.arange(len(states))] + gain
            back.append(arg)
        all_states.append(states)
    if not rows.rows or not len(best):
        return 0, []
    k = int(best.argmax())
    total_best = int(best[k])
    chosen: list[str] = []
    for r in range(len(rows.rows) - 1, -1, -1):
        m = int(all_states[r][k])
        chosen += [sid for i, sid in enumerate(rows.rows[r]) if (m >> i) & 1]
        arg = back[r]
        if arg is not None:
            k = int(arg[k])
    by_id = seat_map.by_id()
    return total_best, sorted(chosen, key=lambda sid: (by_id[sid].row_index, by_id[sid].column))
