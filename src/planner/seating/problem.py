"""One flight's occupants in the solver's terms: the seats each may take, the partners each needs beside or
near them, who may sit next to whom under distancing, and `check`, the hard rules of an assignment.

These are the rules of docs/rules.md#cabin-rules as the greedy and CP-SAT keep them; the independent checker
(planner.oracle.seating_checks) judges the finished plan on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.oracle.objective import (
    COST_AISLE_STRANGER,
    COST_BALANCE,
    COST_NO_BASSINET,
    COST_NOT_WINDOW,
    COST_PER_DOOR_ROW,
    COST_STRANGER_DISTANCED,
)
from planner.rules.base import Occupant
from planner.rules.children import child_near
from planner.rules.exits import staffed_rows, staffs_exit
from planner.rules.mobility import wheelchair_seat
from planner.rules.zones import index_tenths, seat_zones, zone_limits
from planner.seating.cabin import Cabin
from planner.seating.job import FlightJob


def near_door(o: Occupant) -> bool:
    """Reduced mobility, a medical case or an unaccompanied child: seated near a door (level 4)."""
    return o.mobility != "none" or o.medical or o.uasc


@dataclass
class Requirement:
    """A unit that needs one of its partners in a related seat."""

    unit: str
    kind: str  # "near" (child), "side" (next to), "zone" (medical escort next to the stretcher zone)
    partners: tuple[str, ...]


class SeatingProblem:
    """Occupants of one flight with their allowed seats, partner requirements and distancing classes."""

    def __init__(self, job: FlightJob, cabin: Cabin):
        self.job, self.cabin = job, cabin
        self.units: dict[str, Occupant] = {o.id: o for o in sorted(job.occupants, key=lambda o: o.id)}
        members: dict[str, list[str]] = {}
        for u, o in self.units.items():
            members.setdefault(o.household, []).append(u)
        self.members = members
        kinds: dict[tuple[bool, ...], list[str]] = {}  # occupants alike in all `_allowed` reads take the same seats
        self.allowed: dict[str, list[str]] = {
            u: list(kinds[k] if (k := self._kind(o)) in kinds else kinds.setdefault(k, self._allowed(o)))
            for u, o in self.units.items()}
        self.requirements = self._requirements()
        self.friends = self._friends()
        self.single = {u for u, o in self.units.items() if not o.escort and len(members[o.household]) == 1}
        self.stretchers = sorted(u for u, o in self.units.items() if o.stretcher)
        self._comfort_and_safety()

    def _comfort_and_safety(self) -> None:
        """The cabin's zones (limit, balance index per seat), the exit rows to staff and who may staff them, and
        the side-by-side seat pairs that cost when strangers take them (docs/seating.md#comfort-and-safety)."""
        spec, cab = self.job.spec, self.cabin
        self.zone = seat_zones(spec, cab.usable)
        self.zone_limit = zone_limits(spec)
        tenths = index_tenths(spec)
        self.index = {s: tenths[z] for s, z in self.zone.items() if z in tenths}
        self.able = {u for u, o in self.units.items() if staffs_exit(o)}
        rows = staffed_rows(s for s in cab.usable if not (cab.carries_stretcher and s.id in cab.zone))
        # staffed exits: the protocol's switch, carried by the job (docs/seating.md#comfort-and-safety)
        self.staffed = rows if self.job.staffed_exits and len(self.able) >= len(rows) else []
        self.exit_seats = {r: [s.id for s in cab.usable if s.exit and s.row == r] for r in self.staffed}
        distanced = COST_STRANGER_DISTANCED if self.job.relations else 0
        self.pairs: dict[tuple[str, str], int] = {}
        for s in cab.usable:
            for t in cab.side[s.id]:
                if s.id < t:
                    w = distanced + COST_AISLE_STRANGER * (s.aisle + cab.by_id[t].aisle)
                    if w:
                        self.pairs[s.id, t] = w

    def strangers(self, u: str, v: str) -> bool:
        """Two returnees of different households (escorts are nobody's stranger)."""
        a, b = self.units[u], self.units[v]
        return not a.escort and not b.escort and a.household != b.household

    def _friends(self) -> dict[str, set[str]]:
        """Who each unit may sit beside under distancing: its own household, and escort <-> served person."""
        friends: dict[str, set[str]] = {u: set(self.members[o.household]) for u, o in self.units.items()}
        for u, o in self.units.items():
            for p in o.serves:
                if p in self.units:
                    friends[u].add(p)
                    friends[p].add(u)
        return friends

    def _kind(self, o: Occupant) -> tuple[bool, ...]:
        """Everything about an occupant that `_allowed` reads (it walks every seat: once per kind, not per person)."""
        return o.stretcher, o.exit_barred, o.wheelchair, o.infants > self.job.infants_per_block

    def _allowed(self, o: Occupant) -> list[str]:
        """The seats one occupant may take on their own: stretcher zone, exit seats, aisle with armrest."""
        cab = self.cabin
        out = []
        for s in cab.usable:
            if o.stretcher:
                if s.id in cab.zone:
                    out.append(s.id)
                continue
            if cab.carries_stretcher and s.id in cab.zone:
                continue
            if s.exit and o.exit_barred:
                continue
            if o.wheelchair and not wheelchair_seat(s):
                continue
            if o.infants > self.job.infants_per_block:
                continue
            out.append(s.id)
        return out

    def _requirements(self) -> list[Requirement]:
        """Partners each passenger needs: an adult near a child, a companion beside a wheelchair user, a
        serving escort beside an unaccompanied child or medical case, a medic next to the stretcher zone."""
        out = []
        for u, o in self.units.items():
            if o.escort:
                continue
            adults = tuple(v for v in self.members[o.household] if v != u and self.units[v].adult)
            serving = tuple(e for e in o.escorts if e in self.units)
            medics = tuple(e for e in serving if self.units[e].role == "medical")
            if o.child and (adults or serving):
                out.append(Requirement(u, "near", adults + serving))
            if o.wheelchair and (adults or serving):
                out.append(Requirement(u, "side", adults + serving))
            if o.uasc and serving:
                out.append(Requirement(u, "side", serving))
            if o.medical and not o.stretcher and medics:
                out.append(Requirement(u, "side", medics))
            if o.stretcher and medics:
                out.append(Requirement(u, "zone", medics))
        return out

    def seat_cost(self, u: str, sid: str) -> int:
        """Level-4 comfort cost of unit u in seat sid."""
        o, s, cab = self.units[u], self.cabin.by_id[sid], self.cabin
        cost = 0
        if u in self.single and not s.window:
            cost += COST_NOT_WINDOW
        if near_door(o):
            cost += COST_PER_DOOR_ROW * cab.door[sid]
        if self.job.multi_stop and not o.escort and o.stop == 0:
            cost += s.row_index
        if o.infants and cab.has_bassinet and not s.bassinet:
            cost += COST_NO_BASSINET
        return cost


def pair_cost(problem: SeatingProblem, seats: dict[str, str]) -> int:
    """Level-4 cost of strangers side by side: under distancing, and on the aisle (`SeatingProblem.pairs`)."""
    owner = {s: u for u, s in seats.items()}
    cost = 0
    for (s, t), w in problem.pairs.items():
        u, v = owner.get(s), owner.get(t)
        if u is not None and v is not None and problem.strangers(u, v):
            cost += w
    return cost


def balance_cost(problem: SeatingProblem, seats: dict[str, str]) -> int:
    """Level-4 cost of the cabin's balance: |Σ seated people × zone index| in tenths (planner.rules.zones)."""
    return COST_BALANCE * abs(sum(problem.index.get(s, 0) for s in seats.values()))


def requirement_met(problem: SeatingProblem, req: Requirement, seats: dict[str, str]) -> bool:
    """Whether a seated unit has one of its partners in a related seat."""
    cab = problem.cabin
    here = seats[req.unit]
    placed = [seats[p] for p in req.partners if p in seats]
    if req.kind == "near":
        return any(child_near(cab.by_id[here], cab.by_id[t]) for t in placed)
    if req.kind == "side":
        return any(t in cab.side[here] for t in placed)
    return any(t in set(cab.zone_adjacent) for t in placed)


def check(problem: SeatingProblem, seats: dict[str, str]) -> list[str]:
    """Hard-rule problems of an assignment in the solver's own terms (a safety net before returning).

    A message about one unit starts with its id and a colon: the re-plan frees that unit's household.
    """
    out = []
    if len(set(seats.values())) != len(seats):
        out.append("a seat is used twice")
    out += [f"{u} in {s} is not allowed" for u, s in seats.items() if s not in problem.allowed[u]]
    if _mask_block_overflow(problem, seats):
        out.append("too many lap infants in a mask block")
    cases = [u for u in problem.stretchers if u in seats]
    second = cases[problem.cabin.stretcher_cases :]
    out += [f"{u}: a second stretcher case in the zone (one case per zone)" for u in second]
    out += [
        f"{req.unit}: {req.kind} requirement not met"
        for req in problem.requirements
        if req.unit in seats and not requirement_met(problem, req, seats)
    ]
    return out + _distancing_breaks(problem, seats) + _zone_overflow(problem, seats) + _unstaffed(problem, seats)


def _zone_overflow(problem: SeatingProblem, seats: dict[str, str]) -> list[str]:
    """Zones holding more seated people than their limit."""
    count: dict[str, int] = {}
    for s in seats.values():
        if s in problem.zone:
            count[problem.zone[s]] = count.get(problem.zone[s], 0) + 1
    return [f"zone {z} holds {n} > {problem.zone_limit[z]}" for z, n in sorted(count.items())
            if n > problem.zone_limit.get(z, n)]


def _unstaffed(problem: SeatingProblem, seats: dict[str, str]) -> list[str]:
    """Exit rows to staff with no able-bodied adult in an exit seat."""
    taken = {s for u, s in seats.items() if u in problem.able}
    return [f"exit row {r} is not staffed" for r, ids in problem.exit_seats.items() if not taken & set(ids)]


def _mask_block_overflow(problem: SeatingProblem, seats: dict[str, str]) -> bool:
    """More lap infants in some mask block than the protocol's infants per block."""
    blocks: dict[int, int] = {}
    for u, s in seats.items():
        if problem.units[u].infants:
            b = problem.cabin.by_id[s].mask_block
            blocks[b] = blocks.get(b, 0) + problem.units[u].infants
    return any(n > problem.job.infants_per_block for n in blocks.values())


def _distancing_breaks(problem: SeatingProblem, seats: dict[str, str]) -> list[str]:
    """Pairs on distancing-related seats who are not friends (own household, escort and served person)."""
    owner = {s: u for u, s in seats.items()}
    out = []
    for u, s in seats.items():
        for t in problem.cabin.dist[s]:
            v = owner.get(t)
            if v is not None and v not in problem.friends[u]:
                out.append(f"{u} in {s} and {v} in {t} break distancing")
    return out
