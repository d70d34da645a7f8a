"""Seating: a seat for every passenger and escort of every flight, keeping the rules of docs/rules.md#cabin-rules.

Per flight, a constructive greedy places *parties* (a household together with the escorts who serve its
members) into windows of consecutive free seats, hardest parties first, and assigns members to the window's
seats by a small backtracking search that keeps every per-person rule. CP-SAT then improves that plan (the
greedy is its hint and its fallback) on a model restricted to rows near the greedy positions when the full
model would be too large. Flights are independent, so they are seated in parallel worker processes, each with
its own time limit, and merged by flight id.

Objective (docs/rules.md#objective), lowest first: people left unseated, then households together (level 2: extra row
blocks and row spread), then comfort (level 4: windows for single travellers, reduced mobility near a door,
first-stop passengers forward on multi-stop flights, lap infants in bassinet rows).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import as_completed
from dataclasses import dataclass, field, replace
from functools import cached_property

from planner.model.options import StopSignal
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan
from planner.model.scenario import AircraftType, Scenario
from planner.oracle.seating_checks import (
    FlightFacts,
    Occupant,
    case_index,
    child_near,
    flight_facts,
    stretcher_adjacent,
)
from planner.pipeline.workers import stop_requested, worker_pool
from planner.rules.distancing import max_independent_seats
from planner.seating.seatmaps import Seat, SeatMap, aircraft_spec, build_seat_map, seat_neighbours

W_UNPLACED = 1_000_000_000  # per person left without a seat
W_LEVEL2 = 100_000  # per unit of household spread (extra row block = 2, each row of spread = 1)
COST_NOT_WINDOW = 3  # a single traveller away from the window
COST_NO_BASSINET = 2  # a lap infant outside a bassinet row (when the map has some)
FULL_MODEL_PAIRS = 6_000  # above this many (occupant, seat) pairs, CP-SAT improves bands of rows in turn
BAND_ROWS = 4  # rows re-seated together in one improvement step on large cabins


@dataclass
class SeatingOutcome:
    """The plan with seats filled, and per flight the households that could not be seated (removed)."""

    plan: Plan
    unplaced: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FlightJob:
    """One flight's seating problem: small and picklable, so that worker processes get no whole scenario."""

    flight_id: str
    spec: AircraftType
    occupants: list[Occupant]
    unusable: frozenset[str]
    relations: tuple[str, ...]
    infants_per_block: int
    multi_stop: bool
    time_limit: float
    deterministic: bool
    cpsat: bool = True
    previous: dict[str, str] = field(default_factory=dict)  # person or escort id -> seat in the previous plan
    deadline_at: float = math.inf  # time.monotonic() instant after which the flight is seated greedily only


@dataclass
class FlightResult:
    flight_id: str
    seats: dict[str, str]
    unplaced: list[str]  # household ids
    status: str
    cost: int
    greedy_cost: int


# ---------------------------------------------------------------- the cabin as the solver sees it


class Cabin:
    """Seats usable on this flight and the relations between them (distancing, next-to, near, zone)."""

    def __init__(self, job: FlightJob):
        self.job = job
        self.map: SeatMap = build_seat_map(job.spec)
        self.carries_stretcher = any(o.stretcher for o in job.occupants)
        self.zone = set(self.map.stretcher_zone)
        # one stretcher case per zone (docs/rules.md#cabin-rules); a seat map has at most one zone, so one case per
        # flight
        self.stretcher_cases = 1 if self.zone else 0
        self.usable: list[Seat] = sorted(
            (s for s in self.map.seats if s.id not in job.unusable), key=lambda s: (s.row_index, s.column)
        )
        self.ids = {s.id for s in self.usable}
        self.by_id = {s.id: s for s in self.usable}
        self.rows = sorted({s.row_index for s in self.usable})
        nb = seat_neighbours(self.map, job.relations) if job.relations else {}
        self.dist: dict[str, list[str]] = {s.id: sorted(nb.get(s.id, set()) & self.ids) for s in self.usable}
        side = seat_neighbours(self.map, ("side",))
        self.side = {s.id: sorted(side[s.id] & self.ids) for s in self.usable}
        by_row: dict[int, list[Seat]] = {}
        for s in self.usable:
            by_row.setdefault(s.row_index, []).append(s)
        self.by_row = by_row
        self.zone_adjacent = sorted(s.id for s in self.usable if stretcher_adjacent(s, self.zone, self.map))
        self.door = {s.id: self.map.door_distance(s) for s in self.usable}
        self.has_bassinet = bool(self.map.bassinet_rows)

    def near(self, sid: str) -> list[str]:
        """Seats a child's household adult may take: same row, or same block of the next or previous row."""
        s = self.by_id[sid]
        out = [t.id for t in self.by_row.get(s.row_index, []) if t.id != sid]
        for r in (s.row_index - 1, s.row_index + 1):
            out += [t.id for t in self.by_row.get(r, []) if t.block == s.block]
        return out

    @cached_property
    def mis(self) -> tuple[int, list[str]]:
        return max_independent_seats(self.map, self.job.relations, self.ids)

    def block_row(self, sid: str) -> tuple[int, int]:
        s = self.by_id[sid]
        return (s.row_index, s.block)


@dataclass
class Requirement:
    unit: str
    kind: str  # "near" (child), "side" (next to), "zone" (medical escort next to the stretcher zone)
    partners: tuple[str, ...]


class SeatingProblem:
    """Occupants of one flight with their allowed seats, partner requirements and distancing classes."""

    def __init__(self, job: FlightJob, cabin: Cabin):
        self.job, self.cabin = job, cabin
        self.units: dict[str, Occupant] = {o.id: o for o in sorted(job.occupants, key=lambda o: o.id)}
        self.household: dict[str, str] = {u: o.household for u, o in self.units.items()}
        members: dict[str, list[str]] = {}
        for u, o in self.units.items():
            members.setdefault(o.household, []).append(u)
        self.members = members
        self.allowed: dict[str, list[str]] = {u: self._allowed(o) for u, o in self.units.items()}
        self.requirements = self._requirements()
        # distancing: who each unit may sit beside (own household, and escort <-> served person)
        friends: dict[str, set[str]] = {u: set(members[o.household]) for u, o in self.units.items()}
        for u, o in self.units.items():
            for p in o.serves:
                if p in self.units:
                    friends[u].add(p)
                    friends[p].add(u)
        self.friends = friends
        self.single = {u for u, o in self.units.items() if not o.escort and len(members[o.household]) == 1}
        self.stretchers = sorted(u for u, o in self.units.items() if o.stretcher)

    def _allowed(self, o: Occupant) -> list[str]:
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
            if o.wheelchair and not (s.aisle and s.armrest):
                continue
            if o.infants > self.job.infants_per_block:
                continue
            out.append(s.id)
        return out

    def _requirements(self) -> list[Requirement]:
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
        if o.mobility != "none":
            cost += cab.door[sid]
        if self.job.multi_stop and not o.escort and o.stop == 0:
            cost += s.row_index
        if o.infants and cab.has_bassinet and not s.bassinet:
            cost += COST_NO_BASSINET
        return cost


def household_spread(cabin: Cabin, seats: Iterable[str]) -> int:
    """Level-2 cost of one household: 2 per row block beyond the first, plus the rows between its ends."""
    seats = list(seats)
    if len(seats) < 2:
        return 0
    blocks = {cabin.block_row(s) for s in seats}
    rows = [cabin.by_id[s].row_index for s in seats]
    return 2 * (len(blocks) - 1) + (max(rows) - min(rows))


def evaluate(problem: SeatingProblem, seats: dict[str, str]) -> int:
    """The seating objective of an assignment (lower is better); used by greedy, CP-SAT check and tests."""
    cost = W_UNPLACED * sum(1 for u in problem.units if u not in seats)
    for hid, ms in problem.members.items():
        if hid.startswith("escort:"):
            continue
        cost += W_LEVEL2 * household_spread(problem.cabin, [seats[u] for u in ms if u in seats])
    cost += sum(problem.seat_cost(u, s) for u, s in seats.items())
    return cost


def check(problem: SeatingProblem, seats: dict[str, str]) -> list[str]:
    """Hard-rule problems of an assignment in the solver's own terms (a safety net before returning)."""
    cab, out = problem.cabin, []
    if len(set(seats.values())) != len(seats):
        out.append("a seat is used twice")
    for u, s in seats.items():
        if s not in problem.allowed[u]:
            out.append(f"{u} in {s} is not allowed")
    blocks: dict[int, int] = {}
    for u, s in seats.items():
        if problem.units[u].infants:
            b = cab.by_id[s].mask_block
            blocks[b] = blocks.get(b, 0) + problem.units[u].infants
    if any(n > problem.job.infants_per_block for n in blocks.values()):
        out.append("too many lap infants in a mask block")
    cases = [u for u in problem.stretchers if u in seats]
    for u in cases[cab.stretcher_cases :]:
        out.append(f"{u}: a second stretcher case in the zone (one case per zone)")
    for req in problem.requirements:
        if req.unit in seats and not _requirement_met(problem, req, seats):
            out.append(f"{req.unit}: {req.kind} requirement not met")
    owner = {s: u for u, s in seats.items()}
    for u, s in seats.items():
        for t in cab.dist[s]:
            v = owner.get(t)
            if v is not None and v not in problem.friends[u]:
                out.append(f"{u} in {s} and {v} in {t} break distancing")
    return out


def _requirement_met(problem: SeatingProblem, req: Requirement, seats: dict[str, str]) -> bool:
    cab = problem.cabin
    here = seats[req.unit]
    placed = [seats[p] for p in req.partners if p in seats]
    if req.kind == "near":
        return any(child_near(cab.by_id[here], cab.by_id[t]) for t in placed)
    if req.kind == "side":
        return any(t in cab.side[here] for t in placed)
    return any(t in set(cab.zone_adjacent) for t in placed)


# ---------------------------------------------------------------- constructive greedy


class Greedy:
    """Place parties one by one into windows of consecutive free seats, best-scoring window first."""

    NODE_LIMIT = 600

    def __init__(self, problem: SeatingProblem):
        self.p = problem
        self.cab = problem.cabin
        self.owner: dict[str, str] = {}
        self.party_of_seat: dict[str, int] = {}
        self.near_party: dict[str, set[int]] = {s: set() for s in self.cab.ids}
        self.mask: dict[int, int] = {}
        self.seats: dict[str, str] = {}
        cab = self.cab
        orders = []
        for flip in (0, 1):
            seq: list[str] = []
            for r in cab.rows:
                row = [s.id for s in cab.by_row[r]]
                seq += row if (cab.rows.index(r) + flip) % 2 == 0 else row[::-1]
            orders.append(seq)
        self.orders = orders
        self.position = {id(seq): {s: i for i, s in enumerate(seq)} for seq in orders}
        self.pattern = set(cab.mis[1]) if problem.job.relations else set()
        self.width = max(len(v) for v in cab.by_row.values()) if cab.by_row else 1
        self.allowed_set = {u: set(a) for u, a in problem.allowed.items()}

    def parties(self) -> list[list[str]]:
        """Households joined with the escorts who serve their members (union-find), hardest first."""
        parent: dict[str, str] = {u: u for u in self.p.units}

        def find(a: str) -> str:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        for ms in self.p.members.values():
            for u in ms[1:]:
                union(ms[0], u)
        for u, o in self.p.units.items():
            for v in o.serves:
                if v in self.p.units:
                    union(u, v)
        groups: dict[str, list[str]] = {}
        for u in self.p.units:
            groups.setdefault(find(u), []).append(u)

        def key(g: list[str]) -> tuple:
            os_ = [self.p.units[u] for u in g]
            escorts_only = all(o.escort for o in os_)
            stage = (
                0
                if escorts_only
                else 1
                if any(o.stretcher for o in os_)
                else 2
                if any(o.wheelchair for o in os_)
                else 3
                if any(o.infants or o.uasc or o.medical for o in os_)
                else 4
            )
            stop = min((o.stop for o in os_ if not o.escort), default=0)
            return (stage, stop if stage == 4 else 0, -len(g), sorted(g)[0])

        return sorted((sorted(g) for g in groups.values()), key=key)

    def available(self, sid: str, party: int) -> bool:
        return sid not in self.owner and self.near_party[sid] <= {party}

    def run(self) -> dict[str, str]:
        parties = self.parties()
        placed: set[int] = set()
        filled_exits = False
        for i, party in enumerate(parties):
            if i in placed:
                continue
            if not filled_exits:
                filled_exits = True
                placed |= self.fill_exits(parties, i)
                if i in placed:
                    continue
            placed.add(i)
            party = self.within_zone(party)
            if not self.place(party, i):
                escorts = [u for u in party if self.p.units[u].escort]
                for j, e in enumerate(escorts):
                    self.place([e], 10_000 + i * 100 + j)
        return self.seats

    def within_zone(self, party: list[str]) -> list[str]:
        """The party without the households of stretcher cases the zone has no room for (one case per zone):
        those stay unplaced, and the rest of the party (its escorts, other households) is still seated."""
        room = self.cab.stretcher_cases - sum(1 for u in self.p.stretchers if u in self.seats)
        cases = [u for u in party if self.p.units[u].stretcher]
        if len(cases) <= room:
            return party
        drop = {self.p.units[u].household for u in cases[max(room, 0) :]}
        return [u for u in party if self.p.units[u].household not in drop]

    def _plain(self, party: list[str]) -> bool:
        """Escorts on their own, or a household with no special category."""
        us = [self.p.units[u] for u in party]
        if all(o.escort for o in us):
            return True
        return not any(o.escort or o.stretcher or o.wheelchair or o.infants or o.uasc or o.medical for o in us)

    def fill_exits(self, parties: list[list[str]], first: int) -> set[int]:
        """Exit seats first go to escorts and households that may all sit there (adults only), so
        that families with children keep the other seats; a full flight is otherwise left with exit seats only
        the barred could use (14 CFR 121.585, docs/rules.md#cabin-rules)."""
        cab = self.cab
        exits = {s.id for s in cab.usable if s.exit and s.id not in self.owner and not self.near_party[s.id]}
        done: set[int] = set()
        barred = sum(1 for o in self.p.units.values() if o.exit_barred)
        non_exit = sum(1 for s in cab.usable if not s.exit and not (cab.carries_stretcher and s.id in cab.zone))
        if barred < non_exit - self.width:
            return done  # room enough: exit rows fill in the normal order, households stay compact
        eligible = [
            i
            for i in range(first, len(parties))
            if self._plain(parties[i]) and not any(self.p.units[u].exit_barred for u in parties[i])
        ]
        eligible.sort(key=lambda i: (-len(parties[i]), i))
        for i in eligible:
            free = {s for s in exits if s not in self.owner and self.available(s, i)}
            if len(parties[i]) > len(free):
                continue
            if self.place(parties[i], i, only=free):
                done.add(i)
        return done

    def place(self, party: list[str], pid: int, only: set[str] | None = None) -> bool:
        n = len(party)
        cab = self.cab
        stretcher = [u for u in party if self.p.units[u].stretcher]
        seated_cases = sum(1 for u in self.p.stretchers if u in self.seats)
        if stretcher and seated_cases + len(stretcher) > cab.stretcher_cases:
            return False  # one stretcher case per zone: a further STCR household stays unplaced
        candidates: list[tuple[float, tuple[str, ...]]] = []
        seen: set[tuple[str, ...]] = set()
        stops = [self.p.units[u].stop for u in party if not self.p.units[u].escort]
        forward = not self.p.job.multi_stop or (min(stops) == 0 if stops else True)
        extra_sizes = [0, 2, self.width] if n > 1 else [0]
        for extra in extra_sizes:
            for order in self.orders:
                avail = [
                    s
                    for s in order
                    if self.available(s, pid)
                    and (s not in cab.zone or not cab.carries_stretcher)
                    and (only is None or s in only)
                ]
                m = n - len(stretcher) + extra
                if m <= 0:
                    windows: list[tuple[str, ...]] = [()]
                else:
                    starts = range(0, max(0, len(avail) - m + 1))
                    if n > 1 and extra == 0:
                        # families start where a run of free seats starts (a row block edge or after a taken
                        # seat): other starts only split what an aligned window keeps together
                        position = self.position[id(order)]
                        starts = [
                            i
                            for i in starts
                            if i == 0
                            or position[avail[i]] != position[avail[i - 1]] + 1
                            or cab.block_row(avail[i]) != cab.block_row(avail[i - 1])
                        ]
                    windows = [tuple(avail[i : i + m]) for i in starts]
                zone_choices: list[tuple[str, ...]] = [()]
                if stretcher:
                    zone_choices = [(z,) for z in sorted(cab.zone) if self.available(z, pid)]
                for w in windows:
                    if len(w) < m:
                        continue
                    for z in zone_choices:
                        ws = tuple(sorted(w + z))
                        if ws in seen:
                            continue
                        seen.add(ws)
                        rows = [cab.by_id[s].row_index for s in ws]
                        if max(rows) - min(rows) > (n + extra) // self.width + 2 + (4 if stretcher else 0):
                            continue
                        candidates.append((self.score(party, ws, pid, forward), ws))
            candidates.sort()
            for _, ws in candidates[:24]:
                assignment = self.assign(party, ws)
                if assignment is not None:
                    self.commit(party, assignment, pid)
                    return True
            candidates = []
        # last resort when few seats are left: any free seats, members still next to or near their own
        rest = [
            s
            for s in self.orders[0]
            if self.available(s, pid)
            and (s not in cab.zone or not cab.carries_stretcher)
            and (only is None or s in only)
        ]
        if not stretcher and n <= len(rest) <= 6 * n + 12:
            assignment = self.assign(party, tuple(rest))
            if assignment is not None:
                self.commit(party, assignment, pid)
                return True
        return False

    def score(self, party: list[str], ws: tuple[str, ...], pid: int, forward: bool) -> float:
        cab = self.cab
        n = len(party)
        rows = [cab.by_id[s].row_index for s in ws]
        blocks = {cab.block_row(s) for s in ws}
        score = 10.0 * (len(blocks) - 1) + 10.0 * (max(rows) - min(rows)) if n > 1 else 0.0
        score += 0.5 * (len(ws) - n)
        wset = set(ws)
        if self.p.job.relations:
            waste = 0
            for s in ws:
                for t in cab.dist[s]:
                    if t not in wset and t not in self.owner and not self.near_party[t]:
                        waste += 1
            score += 3.0 * waste
            if n == 1 and ws[0] in self.pattern:
                score -= 2.5
        else:
            # best fit: prefer windows that leave no odd free seats in the row blocks they touch
            left = sum(
                1
                for (r, b) in blocks
                for s in cab.by_row[r]
                if s.block == b and s.id not in wset and s.id not in self.owner
            )
            score += 1.0 * left
        pos = sum(rows) / len(rows)
        score += (0.3 if self.p.job.multi_stop else 0.02) * (pos if forward else -pos)
        us = [self.p.units[u] for u in party]
        if any(o.mobility != "none" for o in us):
            score += min(cab.door[s] for s in ws)
        if any(o.infants for o in us) and cab.has_bassinet and not any(cab.by_id[s].bassinet for s in ws):
            score += COST_NO_BASSINET
        if n == 1 and party[0] in self.p.single and not cab.by_id[ws[0]].window:
            score += COST_NOT_WINDOW
        if n == 1 and self.p.units[party[0]].escort:
            score -= 0.5 * cab.by_id[ws[0]].aisle
        return score

    def _chain_order(self, party: list[str]) -> list[str]:
        """Members household by household, adults first; an escort right after the first case they serve,
        and the household of their next case after them, with that case first (medical escorts sit between
        their two cases)."""
        units = self.p.units
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

    def assign(self, party: list[str], ws: tuple[str, ...]) -> dict[str, str] | None:
        """Backtracking: members to window seats keeping unary rules, mask blocks, partners and distancing."""
        p, cab = self.p, self.cab
        reqs = {r.unit: r for r in p.requirements if r.unit in party}
        dependents = [u for u in party if u in reqs]
        order = self._chain_order(party)
        domains = {u: [s for s in ws if s in self.allowed_set[u]] for u in party}
        if any(not d for d in domains.values()):
            return None
        position = {s: i for i, s in enumerate(ws)}
        links = {
            u: set(p.members[p.units[u].household]) | set(p.units[u].escorts) | set(p.units[u].serves) for u in party
        }

        def values(u: str) -> list[str]:
            """Seats next to someone the unit belongs with first, then near them, then in window order."""
            mine = [chosen[v] for v in links[u] if v in chosen]
            if not mine:
                return sorted(domains[u], key=lambda s: (p.seat_cost(u, s) > COST_NOT_WINDOW, position[s]))

            def key(s: str) -> tuple[int, int, int]:
                side = sum(1 for t in mine if t in cab.side[s])
                near = sum(1 for t in mine if child_near(cab.by_id[s], cab.by_id[t]))
                return (-side, -near, position[s])

            return sorted(domains[u], key=key)

        chosen: dict[str, str] = {}
        used: set[str] = set()
        mask = dict(self.mask)
        nodes = [0]

        def ok(u: str, s: str) -> bool:
            o = p.units[u]
            if o.infants:
                b = cab.by_id[s].mask_block
                if mask.get(b, 0) + o.infants > p.job.infants_per_block:
                    return False
            if p.job.relations:
                fr = p.friends[u]
                for t in cab.dist[s]:
                    v = owner_local.get(t)
                    if v is not None and v not in fr:
                        return False
            return True

        owner_local: dict[str, str] = {}

        def req_ok(u: str) -> bool:
            r = reqs[u]
            if not all(q in chosen for q in r.partners):
                return True  # checked when the last partner is placed
            return _requirement_met(p, r, chosen)

        def rec(i: int) -> bool:
            nodes[0] += 1
            if nodes[0] > self.NODE_LIMIT:
                return False
            if i == len(order):
                return all(_requirement_met(p, reqs[u], chosen) for u in reqs)
            u = order[i]
            for s in values(u):
                if s in used or not ok(u, s):
                    continue
                chosen[u] = s
                used.add(s)
                owner_local[s] = u
                o = p.units[u]
                if o.infants:
                    b = cab.by_id[s].mask_block
                    mask[b] = mask.get(b, 0) + o.infants
                good = (u not in reqs or req_ok(u)) and all(
                    req_ok(d) for d in dependents if d in chosen and u in reqs[d].partners
                )
                if good and rec(i + 1):
                    return True
                if o.infants:
                    mask[cab.by_id[s].mask_block] -= o.infants
                del chosen[u], owner_local[s]
                used.discard(s)
            return False

        return dict(chosen) if rec(0) else None

    def commit(self, party: list[str], assignment: dict[str, str], pid: int) -> None:
        for u, s in assignment.items():
            self.owner[s] = u
            self.seats[u] = s
            self.party_of_seat[s] = pid
            for t in self.cab.dist[s]:
                self.near_party[t].add(pid)
            o = self.p.units[u]
            if o.infants:
                b = self.cab.by_id[s].mask_block
                self.mask[b] = self.mask.get(b, 0) + o.infants


# ---------------------------------------------------------------- CP-SAT improvement


def submodel(
    problem: SeatingProblem,
    fixed: dict[str, str],
    cand: dict[str, list[str]],
    hint: dict[str, str],
    time_limit: float,
    deterministic: bool,
    should_stop: Callable[[], bool] = stop_requested,
) -> tuple[dict[str, str] | None, bool]:
    """Seat the units of `cand` (each within its candidate seats) around the `fixed` ones, by CP-SAT; a stop
    request ends the search with its best solution (a watcher thread calls stop_search).

    Returns (seats of the free units, proven optimal). The objective is the full `evaluate`, with the fixed
    units' seats as constants, so a better sub-solution is a better flight.
    """
    from ortools.sat.python import cp_model

    cab, units = problem.cabin, problem.units
    free = sorted(cand)
    owner = {s: u for u, s in fixed.items()}
    # seats taken by fixed units, and seats a fixed unit's distancing closes to non-friends
    closed: dict[str, set[str]] = {}
    for u, s in fixed.items():
        for t in cab.dist[s]:
            closed.setdefault(t, set()).add(u)
    fixed_mask: dict[int, int] = {}
    for u, s in fixed.items():
        if units[u].infants:
            b = cab.by_id[s].mask_block
            fixed_mask[b] = fixed_mask.get(b, 0) + units[u].infants
    m = cp_model.CpModel()
    x: dict[tuple[str, str], cp_model.IntVar] = {}
    at_seat: dict[str, list[tuple[str, cp_model.IntVar]]] = {}
    for u in free:
        for s in cand[u]:
            if s in owner or any(f not in problem.friends[u] for f in closed.get(s, ())):
                continue
            v = m.NewBoolVar("")
            x[u, s] = v
            at_seat.setdefault(s, []).append((u, v))
    placed: dict[str, cp_model.IntVar | int] = {}
    for u in free:
        hid = units[u].household
        if hid in placed:
            continue
        must = hid.startswith("escort:") or any(v in fixed for v in problem.members[hid])
        placed[hid] = 1 if must else m.NewBoolVar("")
    for u in free:
        m.Add(sum(x[u, s] for s in cand[u] if (u, s) in x) == placed[units[u].household])
    occ: dict[str, cp_model.IntVar] = {}
    for s, lst in at_seat.items():
        if cab.job.relations:
            occ[s] = m.NewBoolVar("")
            m.Add(sum(v for _, v in lst) == occ[s])
        else:
            m.AddAtMostOne(v for _, v in lst)
    per_block: dict[int, list] = {}
    for (u, s), v in x.items():
        if units[u].infants:
            per_block.setdefault(cab.by_id[s].mask_block, []).append(units[u].infants * v)
    for b, terms in per_block.items():
        m.Add(sum(terms) <= problem.job.infants_per_block - fixed_mask.get(b, 0))
    cases = [x[u, s] for u in problem.stretchers for s in cand.get(u, []) if (u, s) in x]
    if cases:  # one stretcher case per zone, counting the cases already fixed
        m.Add(sum(cases) <= cab.stretcher_cases - sum(1 for u in problem.stretchers if u in fixed))
    zone_adj = set(cab.zone_adjacent)
    for req in problem.requirements:
        u = req.unit
        if u not in cand and u not in fixed:
            continue
        if req.kind == "zone":
            if any(fixed.get(p) in zone_adj for p in req.partners):
                continue
            lits = [x[p, t] for p in req.partners for t in zone_adj if (p, t) in x]
            need = 1 if u in fixed else placed[units[u].household]
            m.Add(sum(lits) >= need)
            continue

        def targets(s: str, kind: str = req.kind) -> list[str]:
            return cab.near(s) if kind == "near" else cab.side[s]

        if u in fixed:
            tg = targets(fixed[u])
            if any(fixed.get(p) in tg for p in req.partners):
                continue
            m.AddBoolOr([x[p, t] for p in req.partners for t in tg if (p, t) in x] or [m.NewConstant(0)])
            continue
        for s in cand[u]:
            if (u, s) not in x:
                continue
            tg = targets(s)
            if any(fixed.get(p) in tg for p in req.partners):
                continue
            lits = [x[p, t] for p in req.partners for t in tg if (p, t) in x]
            if lits:
                m.AddBoolOr(lits).OnlyEnforceIf(x[u, s])
            else:
                m.Add(x[u, s] == 0)
    if cab.job.relations:
        classes: dict[frozenset[str], list[str]] = {}
        for u in free:
            classes.setdefault(frozenset(problem.friends[u]), []).append(u)
        for friends, members in classes.items():
            for s in sorted({s for u in members for s in cand[u]}):
                here = [x[u, s] for u in members if (u, s) in x]
                if not here:
                    continue
                for t in cab.dist[s]:
                    if t not in occ:
                        continue
                    ok = [v for w, v in at_seat[t] if w in friends]
                    m.Add(sum(here) + occ[t] - sum(ok) <= 1)
        if not fixed:
            # one seat per placed household is an independent set: the exact bound of docs/architecture.md#seating
            m.Add(sum(v for h, v in placed.items() if not h.startswith("escort:")) <= cab.mis[0])
    obj = []
    for hid, p_var in placed.items():
        ms = problem.members[hid]
        if hid.startswith("escort:"):
            continue
        if not isinstance(p_var, int):
            obj.append(W_UNPLACED * len(ms) * (1 - p_var))
        if len(ms) < 2:
            continue
        fixed_seats = [fixed[u] for u in ms if u in fixed]
        brs: dict[tuple[int, int], list] = {}
        rws: dict[int, list] = {}
        for u in ms:
            for s in cand.get(u, []):
                if (u, s) in x:
                    brs.setdefault(cab.block_row(s), []).append(x[u, s])
                    rws.setdefault(cab.by_id[s].row_index, []).append(x[u, s])
        fixed_br = {cab.block_row(s) for s in fixed_seats}
        fixed_rows = [cab.by_id[s].row_index for s in fixed_seats]
        used: list = [len(fixed_br)]
        for br, lits in brs.items():
            if br in fixed_br:
                continue
            b = m.NewBoolVar("")
            m.Add(sum(lits) <= len(ms) * b)
            used.append(b)
        hi_row = max(list(rws) + fixed_rows + [0])
        rmax = m.NewIntVar(max(fixed_rows, default=0), hi_row, "")
        rmin = m.NewIntVar(0, min(fixed_rows, default=hi_row), "")
        m.Add(rmax >= rmin)
        for r, lits in rws.items():
            ru = m.NewBoolVar("")
            m.Add(sum(lits) <= len(ms) * ru)
            m.Add(rmax >= r).OnlyEnforceIf(ru)
            m.Add(rmin <= r).OnlyEnforceIf(ru)
        obj.append(W_LEVEL2 * (2 * sum(used) - 2 * p_var + rmax - rmin))
    obj.append(sum(problem.seat_cost(u, s) * v for (u, s), v in x.items() if problem.seat_cost(u, s)))
    m.Minimize(sum(obj))
    for (u, s), v in x.items():
        m.AddHint(v, 1 if hint.get(u) == s else 0)
    for hid, v in placed.items():
        if not isinstance(v, int):
            m.AddHint(v, 1 if all(u in hint for u in problem.members[hid]) else 0)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = 0
    prm.catch_sigint_signal = False  # Ctrl-C is the command's (planner.pipeline.interrupt): it sets the stop request
    if deterministic:
        prm.max_deterministic_time = max(0.01, time_limit)
        prm.max_time_in_seconds = max(1.0, 20 * time_limit)
    else:
        prm.max_time_in_seconds = max(0.01, time_limit)
    done = threading.Event()

    def watcher() -> None:
        while not done.wait(0.05):
            if should_stop():
                solver.stop_search()
                return

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    try:
        status = solver.Solve(m)
    finally:
        done.set()
        thread.join()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    return {u: s for (u, s), v in x.items() if solver.BooleanValue(v)}, status == cp_model.OPTIMAL


def spread_bound(cabin: Cabin, n: int) -> int:
    """The least `household_spread` an n-seat household can have in this cabin (a lower bound)."""
    if n < 2:
        return 0
    block = max(sum(1 for s in row if s.block == b) for row in cabin.by_row.values() for b in {s.block for s in row})
    width = max(len(row) for row in cabin.by_row.values())
    return 2 * (-(-n // block) - 1) + (-(-n // width) - 1)


def _next_band(problem: SeatingProblem, seats: dict[str, str], tried: set[tuple[int, int]]) -> tuple[int, int] | None:
    """The next band of rows to re-seat, not yet tried: while someone is unseated, the band with the most free
    seats; then rows around the household furthest above its spread bound."""
    cab = problem.cabin
    last = cab.rows[-1]
    if any(u not in seats for u in problem.units):
        # seating everyone comes first (W_UNPLACED): the bands with the most free seats, where a re-seat
        # most likely makes room for an unseated household
        taken = set(seats.values())
        bands = {
            (cab.rows[i], cab.rows[min(len(cab.rows) - 1, i + BAND_ROWS - 1)])
            for i in range(0, len(cab.rows), BAND_ROWS // 2 or 1)
        }
        free = {
            band: sum(1 for s in cab.usable if band[0] <= s.row_index <= band[1] and s.id not in taken)
            for band in bands
        }
        for band in sorted(bands, key=lambda b: (-free[b], b)):
            if band not in tried:
                return band
    scored: list[tuple[int, tuple[int, int]]] = []
    for hid, ms in sorted(problem.members.items()):
        if hid.startswith("escort:"):
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
    for _, band in sorted(scored):
        if band not in tried:
            return band
    return None


def improve(
    problem: SeatingProblem, hint: dict[str, str], time_limit: float, deterministic: bool,
    should_stop: Callable[[], bool] = stop_requested,
) -> tuple[dict[str, str] | None, str]:
    """Improve `hint` by CP-SAT: the whole flight when it is small, else bands of rows in turn (LNS).

    The full model proves optimality on small cabins; on large ones each band (a few rows, every other seat
    fixed) is solved exactly, so households move within the band, and unseated households may enter it.
    """
    cab = problem.cabin
    pairs = sum(len(a) for a in problem.allowed.values())
    if pairs <= FULL_MODEL_PAIRS:
        seats, optimal = submodel(problem, {}, dict(problem.allowed), hint, time_limit, deterministic, should_stop)
        return seats, ("optimal" if optimal else "feasible") if seats is not None else "greedy"
    best = dict(hint)
    best_cost = evaluate(problem, best)
    start = time.perf_counter()
    rounds = 0
    improved_any = False
    budget_rounds = max(1, int(time_limit / 0.05))  # deterministic mode: a fixed number of band solves
    tried: set[tuple[int, int]] = set()
    while True:
        if deterministic and rounds >= budget_rounds:
            break
        if not deterministic and time.perf_counter() - start > time_limit:
            break
        if should_stop():
            break
        band = _next_band(problem, best, tried)
        if band is None:
            break
        tried.add(band)
        rounds += 1
        lo, hi = band
        inside = {u for u, s in best.items() if lo <= cab.by_id[s].row_index <= hi}
        unseated = [u for u in problem.units if u not in best]
        free = sorted(inside | set(unseated))
        fixed = {u: s for u, s in best.items() if u not in inside}
        cand = {u: [s for s in problem.allowed[u] if lo <= cab.by_id[s].row_index <= hi] for u in free}
        seats, _ = submodel(
            problem,
            fixed,
            cand,
            best,
            0.05 if deterministic else max(0.02, min(0.2, time_limit - (time.perf_counter() - start))),
            deterministic,
            should_stop,
        )
        if seats is None:
            continue
        trial = fixed | seats
        cost = evaluate(problem, trial)
        if cost < best_cost and not check(problem, trial):
            best, best_cost, improved_any = trial, cost, True
            tried.clear()
    return (best, "feasible") if improved_any else (None, "greedy")


# ---------------------------------------------------------------- one flight, and all flights in parallel


def _around_previous(job: FlightJob, problem: SeatingProblem) -> FlightResult | None:
    """Re-plan seating (docs/rules.md#re-plan-stability): everyone who had a seat keeps it, newcomers are placed
    around them by
    CP-SAT and those that do not fit are unplaced; None only when the kept seats themselves break a rule that
    freeing the broken pairings cannot mend (the flight is then seated afresh)."""
    newcomers = {problem.units[u].household for u in problem.stretchers if u not in job.previous}
    if newcomers and any(s in problem.cabin.zone for u, s in job.previous.items()
                         if u in problem.units and not problem.units[u].stretcher):
        # a new stretcher case needs the zone that kept passengers sit in: kept seats are hard, so the newcomer
        # does not fit this flight (seating.no_fit) rather than moving them
        rest = replace(job, occupants=[o for o in job.occupants if o.household not in newcomers])
        result = _around_previous(rest, SeatingProblem(rest, Cabin(rest)))
        if result is not None:
            result.unplaced = sorted(set(result.unplaced) | newcomers)
        return result
    keep = {u: s for u, s in job.previous.items() if u in problem.units and s in problem.allowed.get(u, ())}
    if len(set(keep.values())) != len(keep):
        return None
    for _attempt in range(2):
        taken = set(keep.values())
        cand = {u: [s for s in problem.allowed[u] if s not in taken] for u in problem.units if u not in keep}
        seats: dict[str, str] | None = {}
        if cand:
            # newcomers around kept seats need this search (a greedy would move kept people): at least 0.2 s
            seconds = max(0.2, min(max(job.time_limit, 0.5), job.deadline_at - time.monotonic()))
            seats, _ = submodel(problem, keep, cand, {}, seconds, job.deterministic)
        if seats is None:
            return None
        merged = {**keep, **seats}
        broken = check(problem, merged)
        if not broken:
            # newcomers the kept seats leave no room for stay off this flight; nobody kept moves (hard)
            unplaced = sorted({problem.units[u].household for u in problem.units if u not in merged})
            cost = evaluate(problem, merged)
            return FlightResult(job.flight_id, merged, unplaced, "kept", cost, cost)
        # a pairing broke (e.g. an escort now serves someone else): free those households and every escort,
        # keep everybody else where they were
        named = {msg.split(":")[0] for msg in broken}
        loose = {problem.units[u].household for u in named if u in problem.units}
        keep = {u: s for u, s in keep.items()
                if problem.units[u].household not in loose and not problem.units[u].escort}
    return None


def seat_flight(job: FlightJob, should_stop: Callable[[], bool] = stop_requested) -> FlightResult:
    """Seat one flight: greedy, then CP-SAT within the time limit and the flight's deadline (none after a
    stop request); the better valid assignment wins."""
    cabin = Cabin(job)
    problem = SeatingProblem(job, cabin)
    if job.previous:
        kept = _around_previous(job, problem)
        if kept is not None:
            return kept
    greedy = Greedy(problem).run()
    best, status = greedy, "greedy"
    best_cost = greedy_cost = evaluate(problem, greedy)
    seconds = job.time_limit if job.deterministic else min(job.time_limit, job.deadline_at - time.monotonic())
    if job.cpsat and seconds > 0.02 and problem.units and not should_stop():
        seats, label = improve(problem, greedy, seconds, job.deterministic, should_stop)
        if seats is not None and not check(problem, seats):
            cost = evaluate(problem, seats)
            if cost <= best_cost:
                best, best_cost, status = seats, cost, label
    if check(problem, best):  # never hand back a broken assignment: keep only what the greedy proved
        best, status = greedy, "greedy"
    unplaced = sorted(
        {problem.units[u].household for u in problem.units if u not in best and not problem.units[u].escort}
    )
    # a household is seated whole or not at all
    seats = {u: s for u, s in best.items() if problem.units[u].household not in set(unplaced)}
    return FlightResult(job.flight_id, seats, unplaced, status, best_cost, greedy_cost)


def flight_job(
    scenario: Scenario, facts: FlightFacts, *, time_limit: float, deterministic: bool, cpsat: bool = True
) -> FlightJob:
    rules = scenario.protocol.seating
    return FlightJob(
        flight_id=facts.flight.id,
        spec=aircraft_spec(facts.flight.aircraft, scenario),
        occupants=sorted(facts.occupants.values(), key=lambda o: o.id),
        unusable=frozenset(facts.unusable),
        relations=tuple(sorted(set(rules.distancing))) if scenario.protocol.covid or rules.distancing else (),
        infants_per_block=rules.infants_per_mask_block,
        multi_stop=len(facts.flight.stops) > 1,
        time_limit=time_limit,
        deterministic=deterministic,
        cpsat=cpsat,
    )


def seat_plan(
    scenario: Scenario, plan: Plan, *, time_limit: float, processes: int, deterministic: bool, cpsat: bool = True,
    previous: Plan | None = None, deadline_at: float = math.inf, stop: StopSignal | None = None,
    on_flight: Callable[[int, int], None] | None = None,
) -> SeatingOutcome:
    """Seat every flight of `plan` in parallel processes; households that do not fit are removed and listed.

    The plan arrives with people on flights (seats None), lap infants set via `lap_of` and escorts with
    `serves`. Flights are merged by flight id, so the outcome does not depend on which process ran first.
    CP-SAT improves a flight only until `deadline_at` (time.monotonic()) and not after `stop` is set; flights
    reached later are seated greedily. `on_flight(done, total)` is called in this process as flights finish.
    Greedy-only seating runs in this process: starting workers costs more than it saves.
    """
    known = {f.id for f in scenario.flights}
    before: dict[str, dict[str, str]] = {}
    for fp in previous.flights if previous is not None else []:
        seats = {p.person_id: p.seat for p in fp.passengers if p.seat}
        seats.update({e.escort_id: e.seat for e in fp.escorts if e.seat})
        before[fp.flight_id] = seats
    jobs = []
    index = case_index(scenario)
    for fp in sorted(plan.flights, key=lambda f: f.flight_id):
        if fp.flight_id in known and (fp.passengers or fp.escorts):
            jobs.append(
                flight_job(
                    scenario,
                    flight_facts(scenario, fp, index),
                    time_limit=time_limit,
                    deterministic=deterministic,
                    cpsat=cpsat,
                )
            )
            jobs[-1].previous = before.get(fp.flight_id, {})
            jobs[-1].deadline_at = deadline_at
    results: dict[str, FlightResult] = {}
    workers = max(1, min(processes, len(jobs), os.cpu_count() or 1))
    if not cpsat or time_limit <= 0:
        workers = 1

    def finished(res: FlightResult) -> None:
        results[res.flight_id] = res
        if on_flight is not None:
            on_flight(len(results), len(jobs))

    if workers <= 1:
        for job in jobs:
            finished(seat_flight(job, (lambda: stop.is_set()) if stop is not None else (lambda: False)))
    else:
        with worker_pool(workers, stop) as pool:
            for future in as_completed([pool.submit(seat_flight, job) for job in jobs]):
                finished(future.result())
    return apply_results(scenario, plan, results)


def apply_results(scenario: Scenario, plan: Plan, results: dict[str, FlightResult]) -> SeatingOutcome:
    people = {p.case_id: p for p in scenario.people}
    new_flights: list[FlightPlan] = []
    unplaced: dict[str, list[str]] = {}
    stages = dict(plan.stages.seating or {})
    for fp in plan.flights:
        res = results.get(fp.flight_id)
        if res is None:
            new_flights.append(fp.model_copy(deep=True))
            if fp.passengers or fp.escorts:
                continue
            stages.setdefault(fp.flight_id, "optimal")
            continue
        gone = set(res.unplaced)
        removed = {
            p.person_id for p in fp.passengers if p.person_id in people and people[p.person_id].household_id in gone
        }
        passengers = [
            Passenger(
                person_id=p.person_id,
                lap_of=p.lap_of,
                seat=None if p.lap_of is not None else res.seats.get(p.person_id),
            )
            for p in fp.passengers
            if p.person_id not in removed
        ]
        escorts = [
            EscortOnBoard(
                escort_id=e.escort_id, seat=res.seats.get(e.escort_id), serves=[s for s in e.serves if s not in removed]
            )
            for e in fp.escorts
        ]
        new_flights.append(
            fp.model_copy(
                update={
                    "passengers": passengers,
                    "escorts": escorts,
                    "provisional": [p for p in fp.provisional if p not in removed],
                }
            )
        )
        if res.unplaced:
            unplaced[fp.flight_id] = list(res.unplaced)
        stages[fp.flight_id] = res.status
    stages = dict(sorted(stages.items()))
    new_plan = plan.model_copy(
        update={"flights": new_flights, "stages": plan.stages.model_copy(update={"seating": stages})}
    )
    return SeatingOutcome(plan=new_plan, unplaced=unplaced)
