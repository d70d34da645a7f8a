"""A proven bound for level 1a from any row prices, however approximate (docs/scale.md, "The bound").

For the allocation program max c·x subject to lo ≤ A x ≤ hi and 0 ≤ x ≤ u, every price vector y (y_i ≥ 0 on a
row with an upper side, y_i ≤ 0 on a row with a lower side) gives an upper bound by Lagrangian duality:

    c·x ≤ Σ_i y_i · (hi_i if y_i > 0 else lo_i) + Σ_j u_j · max(0, c_j − (Aᵀy)_j)    for every feasible x.

So the first-order LP solver (PDLP) may stop at a loose tolerance: its primal objective is then no bound (it
can lie on either side of the LP optimum), but its row duals, put through this formula, give one that is as
valid as an exact simplex's, and close to it (at 20,000 people: 200,473 against the exact LP's 200,311, in a
quarter of the time the default tolerance takes). Prices of the wrong sign for a row are taken as 0, which
keeps the formula valid whatever the solver's sign convention; the caller tries both signs and keeps the
lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.allocation.program import AllocationModel


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


def proven_bound(matrix: RowMatrix, duals: Sequence[float]) -> int:
    """Level 1a's bound from an LP solver's row duals, whichever sign convention it uses: the lower of the two
    readings (both are valid), rounded down after a margin for floating-point error (level 1a is an integer)."""
    best = min(lagrangian_bound(matrix, duals), lagrangian_bound(matrix, -np.asarray(duals, dtype=np.float64)))
    return int(np.floor(best + 1e-7 * abs(best) + 1e-6))
