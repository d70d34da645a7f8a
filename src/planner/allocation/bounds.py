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

from planner.allocation.household_options import Option
from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel

SEATS = "seats"  # the flight's seat limit (planner.rules.capacity.flight_limits)


class RowMatrix:
    """The program's rows, in the order the LP is written in, as coordinate arrays, built once per program."""

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
    optimum a min-cost flow finds exactly (`_transport_bound`). Dropping rows and lowering usages only widens
    the program, so its optimum bounds every plan. Needs no model: a plan made without CP-SAT has it too.

    Escorts take seats too (docs/rules.md#escort-ratios), read two ways, each a valid bound; the lower stands:

    - in whole seats (`_whole_escort_room`): a flight of P passengers carries at least P / r operational
      escorts, and passengers are at least the seats they take less a stretcher case's extra zone seats X (one
      case a flight at most). So S seats of households and their escorts fit rhs only when
      S + (S - X) / r <= rhs: each flight offers ⌊(r·rhs + X)/(r + 1)⌋ seats to households;
    - as shares charged to the households that need them (`_escort_shares`): a household of p passengers,
      m medical cases and u unaccompanied children brings at least p / r + m / r_medical + u / r_uasc escorts'
      seats with it, since every role's escorts cover its own cases. This reads the medical escorts (one per
      two cases by default), which the first reading leaves out.

    At 20,000 people: 202,262 the first way, 200,384 the second (the LP's optimum is 200,311; 213,077 with every
    household that could fly flying); at 50,000 people 507,306 and 502,896."""
    return min(_transport_bound(problem, *_whole_escort_room(problem)),
               _transport_bound(problem, *_escort_shares(problem)))


Usage = Callable[[Option, int], int]  # what a household's option takes of a flight's room (seat limit index)


def _seat_limits(problem: AllocationProblem) -> dict[str, tuple[int, int, int]]:
    """flight -> (index of its seat limit, the limit, what an escort takes of it)."""
    return {f.flight.id: (j, lim.rhs, lim.escort_usage) for f in problem.flights for j, lim in enumerate(f.limits)
            if lim.name == SEATS}


def _whole_escort_room(problem: AllocationProblem) -> tuple[Usage, dict[str, int]]:
    """Households' seats, and each flight's seats less its operational escorts in whole seats."""
    seats = _seat_limits(problem)
    extra: dict[str, int] = defaultdict(int)  # a stretcher case's extra seats beyond its passengers, at most
    for h in problem.households:
        for fid, option in h.options.items():
            if fid in seats:
                extra[fid] = max(extra[fid], option.usage[seats[fid][0]] - option.passengers)
    ratio = problem.scenario.protocol.escorts.operational_per_passengers
    room = {fid: (ratio * max(0, rhs) + extra[fid]) // (ratio + 1) for fid, (_, rhs, _) in seats.items()}
    return (lambda option, j: option.usage[j]), room


def _escort_shares(problem: AllocationProblem) -> tuple[Usage, dict[str, int]]:
    """Households' seats with their share of every role's escorts, in 1/L seats (L: the ratios' least common
    multiple), and each flight's seats in the same unit."""
    rules = problem.scenario.protocol.escorts
    r, medical, uasc = rules.operational_per_passengers, rules.medical_per_cases, rules.uasc_per_escort
    unit = math.lcm(r, medical, uasc)
    seats = _seat_limits(problem)
    escort_seat = {j: usage for _, (j, _, usage) in seats.items()}

    def usage(option: Option, j: int) -> int:
        escorts = unit // r * option.passengers + unit // medical * option.medical + unit // uasc * option.uasc
        return unit * option.usage[j] + escort_seat[j] * escorts

    return usage, {fid: unit * max(0, rhs) for fid, (_, rhs, _) in seats.items()}


#: Each unit of room is worth its household's weight per unit rounded up to this many parts (rounding up keeps
#: the bound valid; the error is at most one part a unit)
PARTS = 10**6


def _transport_bound(problem: AllocationProblem, usage: Usage, room: dict[str, int]) -> int:
    """The optimum of the transportation problem: each household charged `usage` on the flight of its own that
    takes least, each flight offering `room`; weight per unit of room rounded up, the total rounded down."""
    from ortools.graph.python import min_cost_flow

    seats = _seat_limits(problem)
    free = 0
    alike: dict[tuple[int, int, tuple[str, ...]], int] = defaultdict(int)  # (units, weight, flights) -> how many
    for h in problem.households:
        flights = tuple(fid for fid in h.options if fid in seats)
        if not flights:
            continue
        each = min(usage(h.options[fid], seats[fid][0]) for fid in flights)
        if each <= 0:
            free += h.weight
        else:
            alike[each, h.weight, flights] += 1
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    node_of = {fid: 2 + i for i, fid in enumerate(seats)}
    total = 0
    for k, ((each, weight, served), count) in enumerate(alike.items()):
        node = 2 + len(node_of) + k
        flow.add_arc_with_capacity_and_unit_cost(source, node, each * count, 0)
        worth = -(-weight * PARTS // each)  # per unit, rounded up
        for fid in served:
            flow.add_arc_with_capacity_and_unit_cost(node, node_of[fid], each * count, -worth)
        total += each * count
    for fid, node in node_of.items():
        flow.add_arc_with_capacity_and_unit_cost(node, sink, room[fid], 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, 0)  # room left unsold
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the seat bound's flow has no optimum")  # cannot happen: the bypass arc carries all
    return free + int(-flow.optimal_cost()) // PARTS
