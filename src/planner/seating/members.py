"""Members of one party to the seats of one window: a small backtracking search that keeps every per-person
rule (allowed seats, lap infants per mask block, partners beside or near, distancing) as it goes.

The greedy (planner.seating.greedy) tries a party's best windows in turn; this search says whether a window
works and how, giving up after a fixed number of nodes so that a bad window costs little.
"""

from __future__ import annotations

from planner.oracle.objective import COST_NOT_WINDOW
from planner.rules.children import child_near
from planner.seating.parties import chain_order
from planner.seating.problem import Requirement, SeatingProblem, requirement_met


class MemberSearch:
    """One search: `run` gives each member of `party` a seat of `window`, or None."""

    def __init__(
        self,
        problem: SeatingProblem,
        allowed: dict[str, set[str]],
        mask: dict[int, int],
        party: list[str],
        window: tuple[str, ...],
        node_limit: int,
        zone_room: dict[str, int] | None = None,
    ):
        self.p, self.cab = problem, problem.cabin
        # every requirement of a member: a child on a stretcher needs an adult near it and a medic by the zone
        self.reqs: dict[str, list[Requirement]] = {}
        for r in problem.requirements:
            if r.unit in party:
                self.reqs.setdefault(r.unit, []).append(r)
        self.dependents = [u for u in party if u in self.reqs]
        # the members whose requirements name u as a partner: checked again when u is placed
        self.waiting_on = {u: [d for d in self.dependents if any(u in r.partners for r in self.reqs[d])]
                           for u in party}
        self.sorted_values: dict[tuple[str, frozenset[str]], list[str]] = {}  # (member, partners' seats) -> order
        self.order = chain_order(problem, party)
        self.domains = {u: [s for s in window if s in allowed[u]] for u in party}
        self.position = {s: i for i, s in enumerate(window)}
        units = problem.units
        self.links = {
            u: set(problem.members[units[u].household]) | set(units[u].escorts) | set(units[u].serves) for u in party
        }
        self.node_limit = node_limit
        self.nodes = 0
        self.chosen: dict[str, str] = {}
        self.owner: dict[str, str] = {}  # seat -> member, of the seats chosen so far
        self.mask = dict(mask)  # lap infants per mask block, the greedy's committed ones included
        self.zone_room = dict(zone_room or {})  # seats still free to fill in each cabin zone with a limit

    def run(self) -> dict[str, str] | None:
        """The members' seats, or None when some member has no seat in the window or the search gives up."""
        if any(not d for d in self.domains.values()):
            return None
        return dict(self.chosen) if self._search(0) else None

    def _values(self, u: str) -> list[str]:
        """Seats next to someone the unit belongs with first, then near them, then in window order."""
        p, cab, position = self.p, self.cab, self.position
        mine = frozenset(self.chosen[v] for v in self.links[u] if v in self.chosen)
        known = self.sorted_values.get((u, mine))  # the same partners' seats recur as the search backtracks
        if known is not None:
            return known
        if not mine:
            values = sorted(self.domains[u], key=lambda s: (p.seat_cost(u, s) > COST_NOT_WINDOW, position[s]))
        else:
            def key(s: str) -> tuple[int, int, int]:
                side = sum(1 for t in mine if t in cab.side[s])
                near = sum(1 for t in mine if child_near(cab.by_id[s], cab.by_id[t]))
                return (-side, -near, position[s])

            values = sorted(self.domains[u], key=key)
        self.sorted_values[u, mine] = values
        return values

    def _fits(self, u: str, s: str) -> bool:
        """Seat s is free, its cabin zone and mask block have room, and no stranger sits on a related seat."""
        if s in self.owner:
            return False
        if self.zone_room.get(self.p.zone.get(s, ""), 1) <= 0:
            return False
        o = self.p.units[u]
        if o.infants and self.mask.get(self.cab.by_id[s].mask_block, 0) + o.infants > self.p.job.infants_per_block:
            return False
        if self.p.job.relations:
            friends = self.p.friends[u]
            for t in self.cab.dist[s]:
                v = self.owner.get(t)
                if v is not None and v not in friends:
                    return False
        return True

    def _partner_ok(self, u: str) -> bool:
        """u's requirements hold, or cannot be judged yet (each checked when its last partner is placed)."""
        return all(requirement_met(self.p, r, self.chosen) for r in self.reqs[u]
                   if all(q in self.chosen for q in r.partners))

    def _take(self, u: str, s: str) -> None:
        self.chosen[u] = s
        self.owner[s] = u
        if self.p.zone.get(s) in self.zone_room:
            self.zone_room[self.p.zone[s]] -= 1
        infants = self.p.units[u].infants
        if infants:
            b = self.cab.by_id[s].mask_block
            self.mask[b] = self.mask.get(b, 0) + infants

    def _release(self, u: str, s: str) -> None:
        if self.p.zone.get(s) in self.zone_room:
            self.zone_room[self.p.zone[s]] += 1
        infants = self.p.units[u].infants
        if infants:
            self.mask[self.cab.by_id[s].mask_block] -= infants
        del self.chosen[u], self.owner[s]

    def _search(self, i: int) -> bool:
        """Seat order[i:], depth first; False once the node budget is spent."""
        self.nodes += 1
        if self.nodes > self.node_limit:
            return False
        if i == len(self.order):
            return all(requirement_met(self.p, r, self.chosen) for reqs in self.reqs.values() for r in reqs)
        u = self.order[i]
        for s in self._values(u):
            if not self._fits(u, s):
                continue
            self._take(u, s)
            good = (u not in self.reqs or self._partner_ok(u)) and all(
                self._partner_ok(d) for d in self.waiting_on[u] if d in self.chosen)
            if good and self._search(i + 1):
                return True
            self._release(u, s)
        return False
