"""The aggregated allocation program, written once and independent of the engine that solves it (CP-SAT, or an
LP/MIP back end), and the translation of its values to and from an `Allocation`.

Every variable and row carries a name that says what it counts or states, so a dumped model explains itself
(docs/architecture.md#allocation):

- `x[H0012+3,F1]`: households of the class led by H0012 (it and 3 more with the same weight and options) on F1;
- `escort[E07,F1]`: escort E07 flies F1 (0/1);
- `flow[<window>,<slot class>]`: tests of one test window sampled in one slot class;
- rows: `one flight[...]`, `cabin[F1,seats]`, `escorts needed[F1,medical]`, `slot class[...]`, `tests[...]`,
  `lab day[...]`, `kept[...]`, `turnaround[E07,F1+F2+F3]`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from planner.allocation.greedy import Allocation
from planner.allocation.household_options import HouseholdInfo
from planner.allocation.problem import AllocationProblem
from planner.allocation.slot_booking import solve_flow, test_demand
from planner.rules.testing_windows import TestWindow

Terms = list[tuple[int, int]]  # (coefficient, variable index)


class Row(NamedTuple):
    """lo ≤ Σ coefficient × variable ≤ hi (a missing side is unbounded)."""

    terms: Terms
    lo: int | None
    hi: int | None
    name: str


@dataclass
class AllocationModel:
    """The aggregated integer program: households counted per class and flight, escorts per flight, tests
    per window and slot class (docs/architecture.md#allocation)."""

    classes: list[list[HouseholdInfo]]
    upper: list[int] = field(default_factory=list)  # variable upper bounds (lower bounds are 0)
    names: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    x: dict[tuple[int, str], int] = field(default_factory=dict)  # (class, flight) -> households flown
    escort: dict[tuple[str, str], int] = field(default_factory=dict)  # (escort, flight) -> flies it
    flow: dict[tuple[TestWindow, int], int] = field(default_factory=dict)  # (window, slot class) -> tests
    level_a: Terms = field(default_factory=list)  # Σ weight flown (maximised)
    level_b: Terms = field(default_factory=list)  # Σ weight × flight day (minimised with level a kept)

    def var(self, name: str, upper: int) -> int:
        self.names.append(name)
        self.upper.append(upper)
        return len(self.upper) - 1

    def add(self, name: str, terms: Terms, lo: int | None = None, hi: int | None = None) -> None:
        """Post lo ≤ Σ terms ≤ hi; terms with a zero coefficient are dropped, and so is a row left empty."""
        terms = [(c, v) for c, v in terms if c]
        if terms:
            self.rows.append(Row(terms, lo, hi, name))

    def value(self, terms: Terms, values: list[int]) -> int:
        return sum(c * values[v] for c, v in terms)


def hint_values(m: AllocationModel, problem: AllocationProblem, alloc: Allocation) -> dict[int, int]:
    """The model's variables for an allocation (absent: 0), with its test flow."""
    class_of = {h.household.id: c for c, members in enumerate(m.classes) for h in members}
    values: dict[int, int] = defaultdict(int)
    for hid, fid in alloc.flight_of.items():
        values[m.x[class_of[hid], fid]] += 1
    for fid, es in alloc.escorts_on.items():
        for eid in es:
            values[m.escort[eid, fid]] = 1
    for key, n in (solve_flow(problem, test_demand(problem, alloc)) or {}).items():
        if key in m.flow:
            values[m.flow[key]] = n
    return values


def dense(m: AllocationModel, values: dict[int, int]) -> list[int]:
    """Sparse values (as `hint_values` gives them) as one value per variable."""
    return [values.get(i, 0) for i in range(len(m.upper))]


def extract(m: AllocationModel, value: dict[int, int] | list[int] | list[float], problem: AllocationProblem
            ) -> Allocation:
    """Households per class and flight back to named households; kept households stay where they were."""
    alloc = Allocation()
    order = [f.flight.id for f in problem.flights]
    fixed = problem.fixed.households
    for c, members in enumerate(m.classes):
        count = {fid: round(value[m.x[c, fid]]) for fid in order if (c, fid) in m.x}
        for h in members:
            fid = fixed.get(h.household.id)
            if fid is not None and count.get(fid, 0) > 0:
                alloc.flight_of[h.household.id] = fid
                count[fid] -= 1
        queue = [h for h in members if h.household.id not in alloc.flight_of and h.household.id not in fixed]
        queue += [h for h in members if h.household.id not in alloc.flight_of and h.household.id in fixed]
        for fid in order:
            for _ in range(count.get(fid, 0)):
                alloc.flight_of[queue.pop(0).household.id] = fid
    for (eid, fid), v in sorted(m.escort.items()):
        if round(value[v]):
            alloc.escorts_on.setdefault(fid, []).append(eid)
    return alloc
