"""Parties: a household together with the escorts who serve its members, the unit the greedy places whole.

`parties` orders them hardest first (docs/seating.md#how-a-flight-is-seated); `chain_order` orders one party's
members so that the backtracking search seats each escort between the cases they serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.rules.base import Occupant
from planner.seating.problem import SeatingProblem, near_door


@dataclass(frozen=True)
class PartyTraits:
    """What scoring a window needs to know about a party, worked out once per party rather than per window."""

    size: int
    forward: bool  # seated toward the front: a one-stop flight, or someone for the first stop
    near_door: bool  # someone with reduced mobility, a medical case or an unaccompanied child: near a door
    infants: bool  # someone carrying a lap infant: a bassinet row
    single: bool  # a single traveller: a window seat
    lone_escort: bool  # an escort on their own: an aisle seat
    households: frozenset[str] = frozenset()  # the returnees' households (strangers are everyone else's)

    @classmethod
    def of(cls, problem: SeatingProblem, party: list[str]) -> PartyTraits:
        us = [problem.units[u] for u in party]
        stops = [o.stop for o in us if not o.escort]
        alone = len(party) == 1
        return cls(
            size=len(party),
            forward=not problem.job.multi_stop or (min(stops) == 0 if stops else True),
            near_door=any(near_door(o) for o in us),
            infants=any(o.infants for o in us),
            single=alone and party[0] in problem.single,
            lone_escort=alone and us[0].escort,
            households=frozenset(o.household for o in us if not o.escort),
        )


def parties(problem: SeatingProblem) -> list[list[str]]:
    """Households joined with the escorts who serve their members (union-find), hardest first."""
    parent: dict[str, str] = {u: u for u in problem.units}

    def find(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for ms in problem.members.values():
        for u in ms[1:]:
            union(ms[0], u)
    for u, o in problem.units.items():
        for v in o.serves:
            if v in problem.units:
                union(u, v)
    groups: dict[str, list[str]] = {}
    for u in problem.units:
        groups.setdefault(find(u), []).append(u)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: _party_key(problem, g))


def _stage(occupants: list[Occupant]) -> int:
    """How hard a party is to seat, hardest (0) first: escorts alone, stretcher, wheelchair, other special
    needs (lap infants, unaccompanied children, medical cases), then everyone else."""
    if all(o.escort for o in occupants):
        return 0
    if any(o.stretcher for o in occupants):
        return 1
    if any(o.wheelchair for o in occupants):
        return 2
    if any(o.infants or o.uasc or o.medical for o in occupants):
        return 3
    return 4


def _party_key(problem: SeatingProblem, party: list[str]) -> tuple[int, int, int, str]:
    """Sort key: stage, then (for plain parties) first stop first, then largest first, then id."""
    occupants = [problem.units[u] for u in party]
    stage = _stage(occupants)
    stop = min((o.stop for o in occupants if not o.escort), default=0)
    return (stage, stop if stage == 4 else 0, -len(party), sorted(party)[0])


def plain(problem: SeatingProblem, party: list[str]) -> bool:
    """Escorts on their own, or a household with no special category."""
    us = [problem.units[u] for u in party]
    if all(o.escort for o in us):
        return True
    return not any(o.escort or o.stretcher or o.wheelchair or o.infants or o.uasc or o.medical for o in us)


def chain_order(problem: SeatingProblem, party: list[str]) -> list[str]:
    """Members household by household, adults first; an escort right after the first case they serve,
    and the household of their next case after them, with that case first (medical escorts sit between
    their two cases)."""
    units = problem.units
    hh_of = {u: units[u].household for u in party if not units[u].escort}
    households = sorted(set(hh_of.values()))
    order: list[str] = []
    seen_h: set[str] = set()
    seen_e: set[str] = set()
    queue: list[str] = []
    while len(seen_h) < len(households):
        if not queue:
            queue.append(next(h for h in households if h not in seen_h))
        h = queue.pop(0)
        if h in seen_h:
            continue
        seen_h.add(h)
        ms = [u for u in party if hh_of.get(u) == h]
        first = [u for u in ms if any(e in seen_e for e in units[u].escorts)]
        last = [u for u in ms if u not in first and any(e in party for e in units[u].escorts)]
        mid = sorted((u for u in ms if u not in first and u not in last), key=lambda u: (not units[u].adult, u))
        order += first + mid + last
        for u in last:
            for e in units[u].escorts:
                if e in party and e not in seen_e:
                    seen_e.add(e)
                    order.append(e)
                    queue += [hh_of[v] for v in units[e].serves if v in hh_of and hh_of[v] not in seen_h]
    return order + sorted(u for u in party if units[u].escort and u not in seen_e)
