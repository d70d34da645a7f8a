"""Refill rounds of seating (docs/architecture.md#seating): who may take the seats a household seating could not
place leaves free.

The allocation's capacity limits are linear (planner.rules.capacity): on a full cabin they admit households the
seating rules cannot place in the scattered seats left (a family whose young children must sit beside an adult,
an infant's mask block, a wheelchair's aisle seat). Such a household leaves the flight, and the refill offers
its seats to those waiting, by priority. Offered first to the next large family, the seats were refused again
round after round (at 20,000 people, 13-20 flights a round for five rounds). So a waiting household that needs
at least as much of every seat limit on that flight (seats, seats outside exit rows, mask blocks, aisle seats
for wheelchairs, the stretcher zone, distancing units) as one seating already could not place there is not
offered that flight again: the seats go to households that need less of them, and one or two rounds fill them.
The cabin-wide limits (special categories, payload) say nothing of where seats are and are not compared.
Likewise a household no vehicle could bring from its location to a flight (docs/transfers.md) leaves the
flight, and no household waiting at that location is offered it again: the vehicles that could not take one
cannot take another (at 7,000 people such cuts cost 550 level-1 points, and the refill gave the seats back to
households from the same camp, cut again).
"""

from __future__ import annotations

from collections import defaultdict

from planner.allocation.feasibility import top_up, trim_escorts
from planner.allocation.greedy import Allocation
from planner.allocation.household_options import HouseholdInfo
from planner.allocation.problem import AllocationProblem
from planner.model.plan import Reason
from planner.model.reasons import reason

#: the capacity limits (planner.rules.capacity) that say where seats are
SEAT_LIMITS = frozenset({"seats", "non_exit_seats", "lap_infants", "wheelchair_aisle_seats", "stretcher_zones",
                         "distancing_units"})


class Refill:
    """The households seating could not place, per flight, as their needs of its seat limits."""

    def __init__(self, problem: AllocationProblem) -> None:
        self.problem = problem
        self.refused: dict[str, list[tuple[int, ...]]] = defaultdict(list)
        self.unreachable: dict[str, set[str]] = defaultdict(set)  # flight -> locations no vehicle could serve
        self._largest_vehicle = max((v.seats for v in problem.scenario.vehicles), default=0)
        self._seat_limits = {f.flight.id: [j for j, limit in enumerate(f.limits) if limit.name in SEAT_LIMITS]
                             for f in problem.flights}

    def _needs(self, info: HouseholdInfo, flight: str) -> tuple[int, ...]:
        usage = info.options[flight].usage
        return tuple(usage[j] for j in self._seat_limits[flight])

    def note(self, lost: dict[str, Reason]) -> None:
        """Households a round cut, with why (read before their options there are removed)."""
        for hid, why in lost.items():
            if why.code == "seating.no_fit" and why.flight_id:
                self.refused_seats(hid, why.flight_id)
            elif why.code == "transfer.none" and why.flight_id:
                self.no_transfer(hid, why.flight_id)

    def refused_seats(self, household: str, flight: str) -> None:
        """Seating could not place `household` on `flight` (read before its option there is removed)."""
        info = self.problem.infos[household]
        if flight in info.options:
            self.refused[flight].append(self._needs(info, flight))

    def no_transfer(self, household: str, flight: str) -> None:
        """No vehicle could bring `household` from where it is to `flight` (not counted when its members are at
        different places or it is larger than any vehicle: that says nothing of the place)."""
        hh = self.problem.infos[household].household
        places = {m.location for m in hh.members}
        if len(places) == 1 and hh.size <= self._largest_vehicle:
            self.unreachable[flight] |= places

    def skip(self, info: HouseholdInfo, flight: str) -> bool:
        """Whether the household needs at least as much of every seat limit on `flight` as one refused there,
        or waits where no vehicle could come from for it."""
        if info.household.members[0].location in self.unreachable.get(flight, ()):
            return True
        refused = self.refused.get(flight)
        if not refused:
            return False
        needs = self._needs(info, flight)
        return any(all(n >= r for n, r in zip(needs, need, strict=True)) for need in refused)

    def refilled(self, alloc: Allocation) -> Allocation:
        """A copy of `alloc` with the waiting households that fit added by priority, not offering a flight to a
        household as hard to seat there as one already refused. The escorts of the households cut leave first:
        their seats kept a household out that fitted once they were trimmed, and it was told no reason."""
        return trim_escorts(self.problem, top_up(self.problem, trim_escorts(self.problem, alloc), self.skip))

    @property
    def flights(self) -> set[str]:
        """Flights some household was refused seats on: their free seats were not offered to everyone waiting."""
        return set(self.refused)

    def add_unreachable(self, cut: dict[str, dict[str, Reason]], alloc: Allocation) -> None:
        """Into `cut` (household -> flight -> why): each household waiting where no vehicle could come from for a
        flight, not offered it, with that reason (a reason the household already has there stays)."""
        for info in self.problem.households:
            if info.household.id in alloc.flight_of:
                continue
            place = info.household.members[0].location
            for fid, places in self.unreachable.items():
                if fid in info.options and place in places:
                    cut.setdefault(info.household.id, {}).setdefault(fid, reason(
                        "transfer.none", fid, detail=f" (no vehicle could bring more people from {place} in time)"))


def changed_flights(before: Allocation, after: Allocation) -> set[str]:
    """Flights whose households differ between two allocations: what a refill round seats again (the others keep
    their seats as they are, planner.pipeline.seating_stage.kept_seating)."""
    on_before: dict[str, set[str]] = defaultdict(set)
    on_after: dict[str, set[str]] = defaultdict(set)
    for hid, fid in before.flight_of.items():
        on_before[fid].add(hid)
    for hid, fid in after.flight_of.items():
        on_after[fid].add(hid)
    return {fid for fid in on_before.keys() | on_after.keys() if on_before[fid] != on_after[fid]}
