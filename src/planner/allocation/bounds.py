"""Proven bounds for level 1a without solving the LP to optimality (docs/scale.md, "The bound").

From row prices, however approximate:

For the allocation program max c·x subject to lo ≤ A x ≤ hi and 0 ≤ x ≤ u, every price vector y (y_i ≥ 0 on a
row with an upper side, y_i ≤ 0 on a row with a lower side) gives an upper bound by Lagrangian duality:

    c·x ≤ Σ_i y_i · (hi_i if y_i > 0 else lo_i) + Σ_j u_j · max(0, c_j − (Aᵀy)_j)    for every feasible x.

So the first-order LP solver (PDLP) may stop at a loose tolerance: its primal objective is then no bound (it
can lie on either side of the LP optimum), but its row duals, put through this formula, give one that is as
valid as an exact simplex's, and close to it (at 20,000 people: 200,473 against the exact LP's 200,311, in a
quarter of the time the default tolerance takes). Prices of the wrong sign for a row are taken as 0, which
keeps the formula valid whatever the solver's sign convention; the caller tries both signs and keeps the
lower bound.

From the seats alone (`seat_bound`), when there is no time for an LP at all.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel

SEATS = "seats"  # the flight's seat limit (planner.rules.capacity.flight_limits)


class RowMatrix:
    """The program's rows (its `rows`, then its `at_most_one` pairs, the order the LP is written in) as
    coordinate arrays, built once per program."""

    def __init__(self, m: AllocationModel) -> None:
        rows: list[int] = []
        cols: list[int] = []
        coefs: list[float] = []
        lo: list[float] = []
        hi: list[float] = []
        for i, (terms, low, high, _) in enumerate(m.rows):
            kept = {v: c for c, v in terms}  # a variable set twice keeps its last coefficient, as in the LP
            rows += [i] * len(kept)
            cols += kept
            coefs += kept.values()
            lo.append(np.nan if low is None else low)
            hi.append(np.nan if high is None else high)
        for k, (u, v, _) in enumerate(m.at_most_one, start=len(m.rows)):
            rows += [k, k]
            cols += [u, v]
            coefs += [1.0, 1.0]
            lo.append(np.nan)
            hi.append(1.0)
        self.row = np.asarray(rows, dtype=np.int64)
        self.col = np.asarray(cols, dtype=np.int64)
        self.coef = np.asarray(coefs, dtype=np.float64)
        self.lo = np.asarray(lo, dtype=np.float64)
        self.hi = np.asarray(hi, dtype=np.float64)
        self.upper = np.asarray(m.upper, dtype=np.float64)
        self.objective = np.zeros(len(m.upper))
        for c, v in m.level_a:
            self.objective[v] = c  # set twice: the last coefficient, as in the LP


def lagrangian_bound(matrix: RowMatrix, prices: Sequence[float] | np.ndarray) -> float:
    """The upper bound the formula above gives for these row prices (wrong-signed prices count as 0)."""
    y = np.asarray(prices, dtype=np.float64)
    y = np.where((y > 0) & np.isnan(matrix.hi), 0.0, y)
    y = np.where((y < 0) & np.isnan(matrix.lo), 0.0, y)
    side = np.where(y > 0, matrix.hi, matrix.lo)
    rows_part = float(np.sum(np.where(y != 0, y * np.nan_to_num(side), 0.0)))
    reduced = matrix.objective - np.bincount(matrix.col, weights=matrix.coef * y[matrix.row],
                                             minlength=len(matrix.objective))
    return rows_part + float(np.sum(matrix.upper * np.maximum(reduced, 0.0)))


def proven_bound(matrix: RowMatrix, duals: Sequence[float], until: float = 0.0,
                 stopped: Callable[[], bool] = lambda: False) -> int:
    """Level 1a's bound from an LP solver's row duals, whichever sign convention it uses: the lower of the two
    readings (both are valid), improved by `polished` until `until` (time.monotonic()) or `stopped()`, rounded
    down after a margin for floating-point error (level 1a is an integer)."""
    y = np.asarray(duals, dtype=np.float64)
    if lagrangian_bound(matrix, -y) < lagrangian_bound(matrix, y):
        y = -y
    best = polished(matrix, y, until, stopped)
    return int(np.floor(best + 1e-7 * abs(best) + 1e-6))


#: Polyak steps aim this far below the best bound so far
POLISH_AIM = 0.002


def polished(matrix: RowMatrix, prices: np.ndarray, until: float, stopped: Callable[[], bool]) -> float:
    """The least bound found by projected subgradient steps on the prices from `prices` until `until`: every
    price vector of the right signs proves a bound, so each step may only help. The prices of a loose PDLP
    (tolerance 1e-4) proved 200,473 at 20,000 people; 100 steps (1.3 s) took that to 200,459 and 300 (4 s) to
    200,418, against the exact LP's 200,311."""
    import time

    has_hi, has_lo = ~np.isnan(matrix.hi), ~np.isnan(matrix.lo)
    hi, lo = np.nan_to_num(matrix.hi, nan=np.inf), np.nan_to_num(matrix.lo, nan=-np.inf)
    y = np.where(((prices > 0) & ~has_hi) | ((prices < 0) & ~has_lo), 0.0, prices)
    best = lagrangian_bound(matrix, y)
    while time.monotonic() < until and not stopped():  # a step takes 10-20 ms at 20,000 people
        reduced = matrix.objective - np.bincount(matrix.col, weights=matrix.coef * y[matrix.row],
                                                 minlength=len(matrix.objective))
        x = np.where(reduced > 0, matrix.upper, 0.0)  # the plan that attains the bound at these prices
        ax = np.bincount(matrix.row, weights=matrix.coef * x[matrix.col], minlength=len(y))
        # a subgradient: the side a price reads, less the row's value at that plan (a zero price takes the
        # side the row's value is beyond, else none)
        side = np.where(y > 0, hi, np.where(y < 0, lo, np.clip(ax, lo, hi)))
        g = np.nan_to_num(side - ax, posinf=0.0, neginf=0.0)
        value = float(np.sum(np.where(y != 0, y * np.nan_to_num(side), 0.0))) + float(np.sum(x * reduced))
        best = min(best, value)
        norm = float(g @ g)
        if norm == 0.0:
            break
        y = y - (value - best * (1 - POLISH_AIM)) / norm * g
        y = np.where(((y > 0) & ~has_hi) | ((y < 0) & ~has_lo), 0.0, y)
    return min(best, lagrangian_bound(matrix, y))


def seat_bound(problem: AllocationProblem) -> int:
    """Level 1a's bound from the seats alone, for when no LP is solved (a large operation, a short limit).

    Keep of the program only that a household flies at most once and each flight's seat limit, with every
    household charged the fewest seats it takes on any of its flights: what remains is a transportation
    problem (seats flow from households to flights, each seat worth its household's weight per seat), whose
    optimum a min-cost flow finds exactly and in well under a second at 20,000 people. Dropping rows and
    lowering usages only widens the program, so its optimum bounds every plan; each seat's worth is rounded
    up (to a common denominator, the least common multiple of the seat counts) to keep it so. Households that
    take no seat (none do today) count in full. Needs no model: a plan made without CP-SAT has it too.

    Operational escorts take seats too: a flight of P passengers carries at least P / r of them (r passengers
    an escort, docs/rules.md#escort-ratios), and passengers are at least the seats they take less a stretcher
    case's extra zone seats X (one case a flight at most). So S seats of households and their escorts fit rhs
    only when S + (S - X) / r <= rhs: each flight's seats for households are (r·rhs + X) / (r + 1), rounded
    down. At 20,000 people that takes the bound from 205,805 to 201,9xx (the LP's is 200,311)."""
    from ortools.graph.python import min_cost_flow

    seats = {f.flight.id: (j, lim.rhs) for f in problem.flights for j, lim in enumerate(f.limits)
             if lim.name == SEATS}
    free = 0
    alike: dict[tuple[int, int, tuple[str, ...]], int] = defaultdict(int)  # (seats, weight, flights) -> how many
    extra: dict[str, int] = defaultdict(int)  # a stretcher case's extra seats beyond its passengers, at most
    for h in problem.households:
        for fid, option in h.options.items():
            if fid in seats:
                extra[fid] = max(extra[fid], option.usage[seats[fid][0]] - option.passengers)
        flights = tuple(fid for fid in h.options if fid in seats)
        if not flights:
            continue
        each = min(h.options[fid].usage[seats[fid][0]] for fid in flights)
        if each <= 0:
            free += h.weight
        else:
            alike[each, h.weight, flights] += 1
    households = [(each, weight, count, served) for (each, weight, served), count in alike.items()]
    scale = math.lcm(*{each for each, _, _, _ in households}) if households else 1
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    node_of = {fid: 2 + i for i, fid in enumerate(seats)}
    total = 0
    for k, (each, weight, count, served) in enumerate(households):
        node = 2 + len(node_of) + k
        flow.add_arc_with_capacity_and_unit_cost(source, node, each * count, 0)
        worth = -(-weight * scale // each)  # per seat, rounded up
        for fid in served:
            flow.add_arc_with_capacity_and_unit_cost(node, node_of[fid], each * count, -worth)
        total += each * count
    ratio = problem.scenario.protocol.escorts.operational_per_passengers
    for fid, node in node_of.items():
        room = (ratio * max(0, seats[fid][1]) + extra[fid]) // (ratio + 1)
        flow.add_arc_with_capacity_and_unit_cost(node, sink, room, 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, 0)  # seats left unsold
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the seat bound's flow has no optimum")  # cannot happen: the bypass arc carries all
    return free + int(-flow.optimal_cost()) // scale
