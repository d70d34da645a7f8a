"""CP-SAT improvement of the greedy seating: the whole flight when it is small, else bands of rows in turn.

The full model proves optimality on small cabins; on large ones each band (a few rows, every other seat
fixed) is solved exactly, so households move within the band, and unseated households may enter it
(a large-neighbourhood search, docs/seating.md#how-a-flight-is-seated).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from planner.pipeline.workers import stop_requested
from planner.rules.occupants import ESCORT_HOUSEHOLD
from planner.seating.cpsat_model import submodel
from planner.seating.objective import evaluate, household_spread, spread_bound
from planner.seating.problem import SeatingProblem, check

FULL_MODEL_PAIRS = 6_000  # above this many (occupant, seat) pairs, CP-SAT improves bands of rows in turn
BAND_ROWS = 4  # rows re-seated together in one improvement step on large cabins
BAND_SECONDS = 0.05  # deterministic mode: the deterministic time of one band solve

Band = tuple[int, int]  # first and last row index


def improve(
    problem: SeatingProblem, hint: dict[str, str], time_limit: float, deterministic: bool,
    should_stop: Callable[[], bool] = stop_requested,
) -> tuple[dict[str, str] | None, str]:
    """Improve `hint` by CP-SAT; returns the better seats and their status, or (None, "greedy")."""
    pairs = sum(len(a) for a in problem.allowed.values())
    if pairs <= FULL_MODEL_PAIRS:
        seats, optimal = submodel(problem, {}, dict(problem.allowed), hint, time_limit, deterministic, should_stop)
        return seats, ("optimal" if optimal else "feasible") if seats is not None else "greedy"
    best = dict(hint)
    best_cost = evaluate(problem, best)
    start = time.perf_counter()
    rounds = 0
    improved_any = False
    budget_rounds = max(1, int(time_limit / BAND_SECONDS))  # deterministic mode: a fixed number of band solves
    tried: set[Band] = set()
    def within_budget() -> bool:
        return rounds < budget_rounds if deterministic else time.perf_counter() - start <= time_limit

    while not should_stop() and within_budget():
        band = _next_band(problem, best, tried)
        if band is None:
            break
        tried.add(band)
        rounds += 1
        seconds = BAND_SECONDS if deterministic else max(0.02, min(0.2, time_limit - (time.perf_counter() - start)))
        trial = _reseat_band(problem, best, band, seconds, deterministic, should_stop)
        if trial is None:
            continue
        cost = evaluate(problem, trial)
        if cost < best_cost and not check(problem, trial):
            best, best_cost, improved_any = trial, cost, True
            tried.clear()
    return (best, "feasible") if improved_any else (None, "greedy")


def _reseat_band(
    problem: SeatingProblem, best: dict[str, str], band: Band, seconds: float, deterministic: bool,
    should_stop: Callable[[], bool],
) -> dict[str, str] | None:
    """`best` with the band's occupants, and everyone unseated, re-seated within the band's rows by CP-SAT."""
    cab = problem.cabin
    lo, hi = band
    inside = {u for u, s in best.items() if lo <= cab.by_id[s].row_index <= hi}
    unseated = [u for u in problem.units if u not in best]
    free = sorted(inside | set(unseated))
    fixed = {u: s for u, s in best.items() if u not in inside}
    cand = {u: [s for s in problem.allowed[u] if lo <= cab.by_id[s].row_index <= hi] for u in free}
    seats, _ = submodel(problem, fixed, cand, best, seconds, deterministic, should_stop)
    return None if seats is None else fixed | seats


def _next_band(problem: SeatingProblem, seats: dict[str, str], tried: set[Band]) -> Band | None:
    """The next band of rows to re-seat, not yet tried: while someone is unseated, the band with the most free
    seats; then rows around the household furthest above its spread bound."""
    if any(u not in seats for u in problem.units):
        band = _roomiest_band(problem, seats, tried)
        if band is not None:
            return band
    return next((band for band in _bands_around_spread(problem, seats) if band not in tried), None)


def _roomiest_band(problem: SeatingProblem, seats: dict[str, str], tried: set[Band]) -> Band | None:
    """Seating everyone comes first (W_UNPLACED): the untried band with the most free seats, where a re-seat
    most likely makes room for an unseated household."""
    cab = problem.cabin
    taken = set(seats.values())
    bands = {
        (cab.rows[i], cab.rows[min(len(cab.rows) - 1, i + BAND_ROWS - 1)])
        for i in range(0, len(cab.rows), BAND_ROWS // 2 or 1)
    }
    free = {
        band: sum(1 for s in cab.usable if band[0] <= s.row_index <= band[1] and s.id not in taken) for band in bands
    }
    return next((band for band in sorted(bands, key=lambda b: (-free[b], b)) if band not in tried), None)


def _bands_around_spread(problem: SeatingProblem, seats: dict[str, str]) -> list[Band]:
    """Bands around households above their spread bound (or single travellers with a comfort cost), worst
    first."""
    cab = problem.cabin
    last = cab.rows[-1]
    scored: list[tuple[int, Band]] = []
    for hid, ms in sorted(problem.members.items()):
        if hid.startswith(ESCORT_HOUSEHOLD):
            continue
        here = [seats[u] for u in ms if u in seats]
        if not here:
            continue
        excess = household_spread(cab, here) - spread_bound(cab, len(ms))
        rows = [cab.by_id[s].row_index for s in here]
        extra = problem.seat_cost(ms[0], here[0]) if len(ms) == 1 else 0
        if excess > 0 or extra > 0:
            lo = max(0, min(rows) - 1)
            hi = min(last, max(max(rows) + 1, lo + BAND_ROWS - 1))
            scored.append((-(excess * 1000 + extra), (lo, hi)))
    return [band for _, band in sorted(scored)]
