"""Exact distancing capacity: the maximum independent set of a cabin's seat graph, row by row
(docs/rules.md#distancing).

Distancing relations only link seats of the same row or of physically consecutive rows, so a dynamic
programme over rows, whose state is the set of occupied seats of the current row, is exact. A row holds at
most about ten seats, so there are at most 2^10 states and the row-to-row compatibility is a small boolean
matrix. The result is the true number of single travellers a cabin can hold, and an optimal pattern of seats
that the seating greedy uses to place single travellers.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np

from planner.seating.seatmaps import SeatMap, seat_neighbours


def max_independent_seats(seat_map: SeatMap, relations: Iterable[str], usable: Iterable[str]) -> tuple[int, list[str]]:
    """The largest set of `usable` seats with no two related under `relations`, and one such set."""
    return _mis(seat_map, tuple(sorted(set(relations))), frozenset(usable))


@cache
def _mis(seat_map: SeatMap, relations: tuple[str, ...], usable: frozenset[str]) -> tuple[int, list[str]]:
    nbrs = seat_neighbours(seat_map, relations)
    rows: list[list[str]] = [[] for _ in seat_map.rows]
    for s in sorted(seat_map.seats, key=lambda s: (s.row_index, s.column)):
        if s.id in usable:
            rows[s.row_index].append(s.id)
    row_of = {sid: r for r, ids in enumerate(rows) for sid in ids}
    bit = {sid: i for ids in rows for i, sid in enumerate(ids)}

    def states_of(ids: list[str]) -> np.ndarray:
        inner = [0] * len(ids)
        for i, sid in enumerate(ids):
            for t in nbrs[sid]:
                if row_of.get(t) == row_of[sid]:
                    inner[i] |= 1 << bit[t]
        out = [m for m in range(1 << len(ids)) if all(not (m >> i) & 1 or not (m & inner[i]) for i in range(len(ids)))]
        return np.array(out, dtype=np.int64)

    def popcount(a: np.ndarray) -> np.ndarray:
        count = np.zeros_like(a)
        x = a.copy()
        while x.any():
            count += x & 1
            x >>= 1
        return count

    total_best = 0
    chosen: list[str] = []
    prev_states: np.ndarray | None = None
    best = np.zeros(0)
    back: list[np.ndarray | None] = []
    all_states: list[np.ndarray] = []
    for r, ids in enumerate(rows):
        states = states_of(ids)
        gain = popcount(states)
        if prev_states is None:
            best = gain.astype(np.int64)
            back.append(None)
        else:
            # reach[m] = seats of this row related to some seat of previous-row state m
            seat_reach = []
            for sid in rows[r - 1]:
                m = 0
                for t in nbrs[sid]:
                    if row_of.get(t) == r:
                        m |= 1 << bit[t]
                seat_reach.append(m)
            reach = np.zeros(len(prev_states), dtype=np.int64)
            for i, m in enumerate(seat_reach):
                reach |= np.where((prev_states >> i) & 1 == 1, m, 0)
            ok = (reach[:, None] & states[None, :]) == 0
            scores = np.where(ok, best[:, None], -1)
            arg = scores.argmax(axis=0)
            best = scores[arg, np.arange(len(states))] + gain
            back.append(arg)
        prev_states = states
        all_states.append(states)
    if rows and len(best):
        k = int(best.argmax())
        total_best = int(best[k])
        for r in range(len(rows) - 1, -1, -1):
            m = int(all_states[r][k])
            chosen += [sid for i, sid in enumerate(rows[r]) if (m >> i) & 1]
            arg = back[r]
            if arg is not None:
                k = int(arg[k])
    return total_best, sorted(chosen, key=lambda sid: (seat_map.by_id()[sid].row_index, seat_map.by_id()[sid].column))
