"""The greedy after a stop request: the same placement, but each party first looks only at the front of the
free seats.

The normal greedy (planner.seating.greedy) scores every window of free seats along both snake orders, for
every party; on a 7,000-person operation that is most of the seconds a stop leaves to do (docs/cli.md,
"Stopping"). Here a party first scores only the windows within the first free seats of each snake order
(its size and spare seats plus `FRONTS` more), which is where the compact fill puts it anyway; only a party
that does not fit there gets the full search, so what fits is still placed, and every hard
rule is kept by the same member search.
"""

from __future__ import annotations

from itertools import islice

from planner.seating.greedy import Greedy
from planner.seating.parties import PartyTraits
from planner.seating.problem import SeatingProblem

#: free seats beyond the party's window that a party looks at before the full search: eight rows of the
#: widest cabin, enough to reach past a band of exit rows a family with children may not use (on belarus-2021-iraq
#: the 30 flights are seated about 1.6x faster than by the full greedy, with no more households left out)
FRONTS = (48,)


class FastGreedy(Greedy):
    """The greedy, with each party's windows first taken from the front of the free seats only."""

    #: nodes the member search may visit per window before the window is given up: a quarter of the full
    #: greedy's. On belarus-2021-iraq the 30 flights' fast seating took 3.8 s at 600 and 1.7 s at 150 on one
    #: process, with the same 8 households left out (a window that needs more nodes rarely works at all).
    NODE_LIMIT = 150

    def __init__(self, problem: SeatingProblem):
        super().__init__(problem)
        self.front: int | None = None  # the free seats a party looks at (None: all)
        self.scoring: int | None = None  # while scoring a party's windows: `front` plus the window's size

    def place(self, party: list[str], pid: int, only: set[str] | None = None) -> bool:
        """The front of the free seats first; the full search only for a party that does not fit there."""
        if self.front is not None or only is not None:  # within a pass, or a few given seats (exit rows)
            return super().place(party, pid, only)
        try:
            for front in FRONTS:
                self.front = front
                if super().place(party, pid, only):
                    return True
        finally:
            self.front = None
        return super().place(party, pid, only)

    def _candidates(self, traits: PartyTraits, pid: int, only: set[str] | None, extra: int, cases: int,
                    seen: set[tuple[str, ...]]) -> list[tuple[float, tuple[str, ...]]]:
        self.scoring = None if self.front is None else traits.size + extra + self.front
        try:
            return super()._candidates(traits, pid, only, extra, cases, seen)
        finally:
            self.scoring = None

    def _free(self, order: list[str], pid: int, only: set[str] | None) -> list[str]:
        """The first `scoring` free seats only, while scoring: the rest of the cabin is not walked."""
        seats = self._free_seats(order, pid, only)
        return list(seats) if self.scoring is None else list(islice(seats, self.scoring))
