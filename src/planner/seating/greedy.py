"""The constructive seating: parties placed one by one into windows of consecutive free seats.

Each party (planner.seating.parties) gets the best-scoring window along two snake orders of the cabin, and
its members get the window's seats by a small backtracking search (planner.seating.members). The result is
CP-SAT's hint and its fallback, and the capacity model's measure of how many households fit
(docs/seating.md#how-a-flight-is-seated).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from planner.oracle.objective import COST_BALANCE, COST_NO_BASSINET, COST_NOT_WINDOW
from planner.seating.members import MemberSearch
from planner.seating.parties import PartyTraits, parties, plain
from planner.seating.problem import SeatingProblem

TRIED_WINDOWS = 24  # best-scoring windows handed to the member search, per window size
#: a party whose member search ran out of nodes in this many windows is left out (the pass after may place it
#: first). At 20,000 people every party placed after such searches was placed within 12 of them; parties that
#: used up all 72 (three window sizes) were never placed, and their searches were half of greedy seating's time
GIVE_UP_AFTER = 24
ESCORT_PARTY = 10_000  # party ids of escorts placed alone after their party did not fit start here
ROOMY = 0.85  # up to this share of the usable seats taken, the greedy also weighs strangers beside and balance


class Greedy:
    """Place parties one by one into windows of consecutive free seats, best-scoring window first."""

    NODE_LIMIT = 600

    def __init__(self, problem: SeatingProblem):
        self.p = problem
        self.cab = problem.cabin
        self.owner: dict[str, str] = {}  # seat -> unit
        self.near_party: dict[str, set[int]] = {s: set() for s in self.cab.ids}  # parties distancing reaches
        self.mask: dict[int, int] = {}  # lap infants per mask block
        self.seats: dict[str, str] = {}  # unit -> seat
        self.orders = self._snake_orders()
        self.position = {id(seq): {s: i for i, s in enumerate(seq)} for seq in self.orders}
        self.pattern = set(self.cab.mis[1]) if problem.job.relations else set()
        self.width = max(len(v) for v in self.cab.by_row.values()) if self.cab.by_row else 1
        self.allowed_set = {u: set(a) for u, a in problem.allowed.items()}
        self.zone_room = dict(problem.zone_limit)  # seats still free to fill in each cabin zone with a limit
        self.given_up = 0  # member searches of the party being placed that ran out of nodes
        self.balance = 0  # Σ zone index of the seats taken, in tenths (planner.rules.zones)
        # the soft cabin terms (strangers beside, balance) only steer windows where seats are to spare: on a
        # nearly full flight they split the free seats and households are left out (docs/seating.md)
        self.roomy = bool(problem.job.relations) or len(problem.units) <= ROOMY * len(self.cab.usable)
        self.beside: dict[str, list[tuple[str, int]]] = {}  # seat -> (seat beside it, cost when strangers)
        for (a, b), w in problem.pairs.items():
            self.beside.setdefault(a, []).append((b, w))
            self.beside.setdefault(b, []).append((a, w))
        # per seat and per row block, looked up for every window scored (tens of thousands per flight): read
        # from these rather than from the seat records
        self.row_of = {sid: seat.row_index for sid, seat in self.cab.by_id.items()}
        self.block_of = {sid: (seat.row_index, seat.block) for sid, seat in self.cab.by_id.items()}
        self.block_seats: dict[tuple[int, int], list[str]] = {}
        for r, row in self.cab.by_row.items():
            for seat in row:
                self.block_seats.setdefault((r, seat.block), []).append(seat.id)
        self.heads = {id(seq): 0 for seq in self.orders}  # per snake order: every seat before it is taken

    def _snake_orders(self) -> list[list[str]]:
        """The cabin's seats row by row, every other row reversed, starting either way."""
        cab = self.cab
        orders = []
        for flip in (0, 1):
            seq: list[str] = []
            for i, r in enumerate(cab.rows):
                row = [s.id for s in cab.by_row[r]]
                seq += row if (i + flip) % 2 == 0 else row[::-1]
            orders.append(seq)
        return orders

    def available(self, sid: str, party: int) -> bool:
        """Free, and not closed by distancing to anyone but `party` itself."""
        return sid not in self.owner and self.near_party[sid] <= {party}

    def run(self, first: frozenset[str] = frozenset()) -> dict[str, str]:
        """Seats for every unit that fits; a party that does not fit still has its escorts seated alone.
        Parties with a unit in `first` are placed before the others (a second pass for those a first one left
        out: docs/seating.md)."""
        order = parties(self.p)
        if first:
            order = [q for q in order if not first.isdisjoint(q)] + [q for q in order if first.isdisjoint(q)]
        placed: set[int] = set()
        filled_exits = False
        for i, party in enumerate(order):
            if i in placed:
                continue
            if not filled_exits:
                filled_exits = True
                placed |= self.staff_exits(order, i)
                placed |= self.fill_exits(order, i, placed)
                if i in placed:
                    continue
            placed.add(i)
            party = self.within_zone([u for u in party if u not in self.seats])  # not those seated at an exit
            if party and not self.place(party, i):
                escorts = [u for u in party if self.p.units[u].escort]
                for j, e in enumerate(escorts):
                    self.place([e], ESCORT_PARTY + i * 100 + j)
        self.without_partial()
        return self.seats

    def without_partial(self) -> None:
        """Give back the seats of households seated only in part: an adult seated apart at an exit
        (`exits_apart`) whose party then did not fit. A household flies whole or not at all, so such a seat
        only hides that the household is out: counted as seated, it made a pass that left a whole household
        out look better than one that seated everyone it could (docs/seating.md)."""
        units = self.p.units
        short = {units[u].household for u in units if u not in self.seats and not units[u].escort}
        for u in [u for u in self.seats if units[u].household in short and not units[u].escort]:
            del self.owner[self.seats.pop(u)]

    def within_zone(self, party: list[str]) -> list[str]:
        """The party without the households of stretcher cases the zone has no room for (one case per zone):
        those stay unplaced, and the rest of the party (its escorts, other households) is still seated."""
        room = self.cab.stretcher_cases - sum(1 for u in self.p.stretchers if u in self.seats)
        cases = [u for u in party if self.p.units[u].stretcher]
        if len(cases) <= room:
            return party
        drop = {self.p.units[u].household for u in cases[max(room, 0) :]}
        return [u for u in party if self.p.units[u].household not in drop]

    def staff_exits(self, order: list[list[str]], first: int) -> set[int]:
        """Each exit row to staff gets the smallest party of able-bodied adults that fits its free exit seats
        first (protocol `staffed_exits`, docs/seating.md#comfort-and-safety); a hard rule the greedy keeps."""
        done: set[int] = set()
        able = self.p.able
        eligible = sorted((i for i in range(first, len(order)) if plain(self.p, order[i])
                           and all(u in able for u in order[i])), key=lambda i: (len(order[i]), i))
        for _r, ids in sorted(self.p.exit_seats.items()):
            if any(self.owner.get(s) in able for s in ids):
                continue
            for i in eligible:
                free = {s for s in ids if self.available(s, i)}
                if i not in done and len(order[i]) <= len(free) and self.place(order[i], i, only=free):
                    done.add(i)
                    break
        return done

    def fill_exits(self, order: list[list[str]], first: int, placed: set[int] | None = None) -> set[int]:
        """Exit seats first go to escorts and households that may all sit there (adults only), so
        that families with children keep the other seats; a full flight is otherwise left with exit seats only
        the barred could use (14 CFR 121.585, docs/rules.md#cabin-rules). Filled so when the parties that
        cannot take them (a barred member, or a special category) nearly fill the other seats: counting the
        barred people alone, a full 183-seat cabin with 159 barred and 6 more in their parties left four exit
        seats free and a family of four out (docs/seating.md)."""
        cab = self.cab
        exits = {s.id for s in cab.usable if s.exit and s.id not in self.owner and not self.near_party[s.id]}
        done: set[int] = set()
        may_sit = [plain(self.p, party) and not any(self.p.units[u].exit_barred for u in party) for party in order]
        kept_out = sum(len(party) for party, ok in zip(order, may_sit, strict=True) if not ok)
        non_exit = sum(1 for s in cab.usable if not s.exit and not (cab.carries_stretcher and s.id in cab.zone))
        if kept_out < non_exit - self.width and len(self.p.units) < len(cab.usable) - self.width:
            return done  # room enough: exit rows fill in the normal order, households stay compact
        eligible = [i for i in range(first, len(order)) if i not in (placed or set()) and may_sit[i]]
        eligible.sort(key=lambda i: (-len(order[i]), i))
        for i in eligible:
            free = {s for s in exits if s not in self.owner and self.available(s, i)}
            if len(order[i]) > len(free):
                continue
            if self.place(order[i], i, only=free):
                done.add(i)
        self.exits_apart(order, first, (placed or set()) | done, exits)
        return done

    def exits_apart(self, order: list[list[str]], first: int, placed: set[int], exits: set[str]) -> None:
        """Exit seats still free after `fill_exits` go to adults of other households who may sit there and
        whom no one needs beside them, apart from their household (a soft cost): at 7,000 synthetic people a
        full 174-seat cabin had eleven people in parties that could take its twelve exit seats, the twelfth
        stayed empty, and a parent with a child lost the flight (docs/seating.md)."""
        units = self.p.units
        needed = {u for req in self.p.requirements for u in (req.unit, *req.partners)}
        for i in range(first, len(order)):
            if i in placed:
                continue
            for u in order[i]:
                o = units[u]
                if o.escort or o.exit_barred or not o.adult or u in needed:
                    continue
                left = {s for s in exits if s not in self.owner}
                if not left:
                    return
                free = {s for s in left if self.available(s, i)} & self.allowed_set[u]
                if free:
                    self.place([u], i, only=free)

    def place(self, party: list[str], pid: int, only: set[str] | None = None) -> bool:
        """Seat the party in the best window that the member search can fill: exact size first, then with
        room to spare; as a last resort, anywhere free when few seats are left."""
        stretcher = [u for u in party if self.p.units[u].stretcher]
        seated_cases = sum(1 for u in self.p.stretchers if u in self.seats)
        if stretcher and seated_cases + len(stretcher) > self.cab.stretcher_cases:
            return False  # one stretcher case per zone: a further STCR household stays unplaced
        traits = PartyTraits.of(self.p, party)
        seen: set[tuple[str, ...]] = set()
        self.given_up = 0
        for extra in [0, 2, self.width] if len(party) > 1 else [0]:
            candidates = self._candidates(traits, pid, only, extra, len(stretcher), seen)
            candidates.sort()
            if any(self._try(party, ws, pid) for _, ws in candidates[:TRIED_WINDOWS]):
                return True
            if self.given_up >= GIVE_UP_AFTER:
                return False
        # last resort when few seats are left: any free seats, members still next to or near their own
        rest = self._free(self.orders[0], pid, only)
        n = len(party)
        return not stretcher and n <= len(rest) <= 6 * n + 12 and self._try(party, tuple(rest), pid)

    def _try(self, party: list[str], ws: tuple[str, ...], pid: int) -> bool:
        """Seat the party in these seats if the member search finds a way."""
        search = MemberSearch(self.p, self.allowed_set, self.mask, party, ws, self.NODE_LIMIT, self.zone_room)
        assignment = search.run()
        if assignment is None:
            self.given_up += search.nodes > self.NODE_LIMIT
            return False
        self.commit(assignment, pid)
        return True

    def _free(self, order: list[str], pid: int, only: set[str] | None) -> list[str]:
        """Seats of `order` the party may take: available, outside a used stretcher zone, within `only`."""
        return list(self._free_seats(order, pid, only))

    def _free_seats(self, order: list[str], pid: int, only: set[str] | None) -> Iterator[str]:
        """`_free`, one seat at a time, from the first seat of `order` not taken yet (a taken seat is never
        freed, so the front of the cabin the greedy has filled is not walked again for every party)."""
        owner, near, mine = self.owner, self.near_party, {pid}
        zone = self.cab.zone if self.cab.carries_stretcher else frozenset()
        head = self.heads.get(id(order), 0)
        while head < len(order) and order[head] in owner:
            head += 1
        if id(order) in self.heads:
            self.heads[id(order)] = head
        for i in range(head, len(order)):
            s = order[i]
            if s not in owner and near[s] <= mine and s not in zone and (only is None or s in only):
                yield s

    def _candidates(
        self, traits: PartyTraits, pid: int, only: set[str] | None, extra: int, cases: int,
        seen: set[tuple[str, ...]],
    ) -> list[tuple[float, tuple[str, ...]]]:
        """Scored windows of `extra` seats more than the party's non-stretcher members (plus a zone seat for
        a stretcher case), along both snake orders; windows already in `seen` are skipped."""
        n = traits.size
        zone_choices: list[tuple[str, ...]] = [()]
        if cases:
            zone_choices = [(z,) for z in sorted(self.cab.zone) if self.available(z, pid)]
        span = (n + extra) // self.width + 2 + (4 if cases else 0)
        row_of = self.row_of
        out = []
        for order in self.orders:
            for w in self._windows(order, self._free(order, pid, only), n - cases + extra, n > 1 and extra == 0):
                for z in zone_choices:
                    ws = tuple(sorted(w + z))
                    if ws in seen:
                        continue
                    seen.add(ws)
                    rows = [row_of[s] for s in ws]
                    if max(rows) - min(rows) <= span:
                        out.append((self._score(traits, ws, rows), ws))
        return out

    def _windows(self, order: list[str], avail: list[str], m: int, aligned: bool) -> list[tuple[str, ...]]:
        """Runs of m consecutive free seats; `aligned`: only those starting where a run of free seats starts
        (a row block edge or after a taken seat), since other starts only split what an aligned window keeps
        together."""
        if m <= 0:
            return [()]
        starts: Sequence[int] = range(0, max(0, len(avail) - m + 1))
        if aligned:
            position, block_of = self.position[id(order)], self.block_of
            starts = [
                i
                for i in starts
                if i == 0
                or position[avail[i]] != position[avail[i - 1]] + 1
                or block_of[avail[i]] != block_of[avail[i - 1]]
            ]
        return [tuple(avail[i : i + m]) for i in starts]

    def score(self, traits: PartyTraits, ws: tuple[str, ...]) -> float:
        """Lower is better: spread, spare seats, seats lost to distancing or odd leftovers, position by stop,
        and the comfort terms of the objective."""
        return self._score(traits, ws, [self.row_of[s] for s in ws])

    def _score(self, traits: PartyTraits, ws: tuple[str, ...], rows: list[int]) -> float:
        """`score`, given the rows of the window's seats."""
        n = traits.size
        block_of = self.block_of
        blocks = {block_of[s] for s in ws}
        score = 10.0 * (len(blocks) - 1) + 10.0 * (max(rows) - min(rows)) if n > 1 else 0.0
        score += 0.5 * (len(ws) - n)
        if self.p.job.relations:
            score += 3.0 * self._closed_by(ws)
            if n == 1 and ws[0] in self.pattern:
                score -= 2.5
        else:
            score += 1.0 * self._left_in_blocks(ws, blocks)
        pos = sum(rows) / len(rows)
        score += (0.3 if self.p.job.multi_stop else 0.02) * (pos if traits.forward else -pos)
        return self._plus_comfort(score, traits, ws)

    def _closed_by(self, ws: tuple[str, ...]) -> int:
        """Free seats that distancing would close to other parties if this window were taken."""
        wset = set(ws)
        return sum(
            1
            for s in ws
            for t in self.cab.dist[s]
            if t not in wset and t not in self.owner and not self.near_party[t]
        )

    def _left_in_blocks(self, ws: tuple[str, ...], blocks: set[tuple[int, int]]) -> int:
        """Best fit: free seats the window leaves in the row blocks it touches."""
        wset, owner, block_seats = set(ws), self.owner, self.block_seats
        return sum(1 for key in blocks for s in block_seats[key] if s not in wset and s not in owner)

    def _plus_comfort(self, score: float, traits: PartyTraits, ws: tuple[str, ...]) -> float:
        """`score` plus door distance for reduced mobility, bassinet rows for lap infants, windows for single
        travellers, aisle seats for escorts alone (added term by term, so equal windows tie exactly)."""
        cab = self.cab
        if traits.near_door:
            score += min(cab.door[s] for s in ws)
        if traits.infants and cab.has_bassinet and not any(cab.by_id[s].bassinet for s in ws):
            score += COST_NO_BASSINET
        if traits.single and not cab.by_id[ws[0]].window:
            score += COST_NOT_WINDOW
        if traits.lone_escort:
            score -= 0.5 * cab.by_id[ws[0]].aisle
        if traits.households and self.beside and self.roomy:
            score += self._strangers_beside(traits, ws)
        if self.p.index and self.roomy and not traits.near_door:  # the zones' balance: what a window adds to |Σ|
            # (not for those seated near a door: placed early, they would be pushed to the middle of the cabin)
            shift = sum(self.p.index.get(s, 0) for s in ws)
            score += COST_BALANCE * (abs(self.balance + shift) - abs(self.balance))
        return score

    def _strangers_beside(self, traits: PartyTraits, ws: tuple[str, ...]) -> int:
        """The level-4 cost of returnees of other households already in the seats beside the window."""
        units, wset = self.p.units, set(ws)
        cost = 0
        for s in ws:
            for t, w in self.beside.get(s, ()):
                v = self.owner.get(t)
                if t in wset or v is None or units[v].escort:
                    continue
                cost += w if units[v].household not in traits.households else 0
        return cost

    def commit(self, assignment: dict[str, str], pid: int) -> None:
        """Take the seats: owner, the parties distancing now reaches, lap infants per mask block, zone room."""
        for u, s in assignment.items():
            self.owner[s] = u
            self.seats[u] = s
            if self.p.zone.get(s) in self.zone_room:
                self.zone_room[self.p.zone[s]] -= 1
            self.balance += self.p.index.get(s, 0)
            for t in self.cab.dist[s]:
                self.near_party[t].add(pid)
            infants = self.p.units[u].infants
            if infants:
                b = self.cab.by_id[s].mask_block
                self.mask[b] = self.mask.get(b, 0) + infants
