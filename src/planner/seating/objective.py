"""The seating objective of docs/rules.md#objective, lowest first: people left unseated, then households
together (level 2: extra row blocks and row spread), then comfort (level 4: per-seat costs, strangers side by
side, the cabin zones' balance; docs/seating.md#comfort-and-safety).

The weights are the oracle's (planner.oracle.objective), one definition for solver and checker alike.
`evaluate` scores a whole assignment the way the CP-SAT model's objective does, so the greedy, the CP-SAT
result and the tests compare plans on one scale; `spread_bound` is the least spread a household can have.
"""

from __future__ import annotations

from collections.abc import Iterable

from planner.oracle.objective import W_LEVEL2, W_UNPLACED
from planner.rules.occupants import ESCORT_HOUSEHOLD
from planner.seating.cabin import Cabin
from planner.seating.problem import SeatingProblem, balance_cost, pair_cost


def household_spread(cabin: Cabin, seats: Iterable[str]) -> int:
    """Level-2 cost of one household: 2 per row block beyond the first, plus the rows between its ends."""
    seats = list(seats)
    if len(seats) < 2:
        return 0
    blocks = {cabin.block_row(s) for s in seats}
    rows = [cabin.by_id[s].row_index for s in seats]
    return 2 * (len(blocks) - 1) + (max(rows) - min(rows))


def spread_bound(cabin: Cabin, n: int) -> int:
    """The least `household_spread` an n-seat household can have in this cabin (a lower bound)."""
    if n < 2:
        return 0
    block = max(sum(1 for s in row if s.block == b) for row in cabin.by_row.values() for b in {s.block for s in row})
    width = max(len(row) for row in cabin.by_row.values())
    return 2 * (-(-n // block) - 1) + (-(-n // width) - 1)


def evaluate(problem: SeatingProblem, seats: dict[str, str]) -> int:
    """The seating objective of an assignment (lower is better); used by greedy, CP-SAT check and tests."""
    cost = W_UNPLACED * sum(1 for u in problem.units if u not in seats)
    for hid, ms in problem.members.items():
        if hid.startswith(ESCORT_HOUSEHOLD):
            continue
        cost += W_LEVEL2 * household_spread(problem.cabin, [seats[u] for u in ms if u in seats])
    return cost + comfort_cost(problem, seats)


def comfort_cost(problem: SeatingProblem, seats: dict[str, str]) -> int:
    """Level 4 of an assignment: each seat's comfort cost, strangers side by side, and the zones' balance."""
    return sum(problem.seat_cost(u, s) for u, s in seats.items()) + pair_cost(problem, seats) + balance_cost(
        problem, seats)
