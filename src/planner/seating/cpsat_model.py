"""The CP-SAT model of one flight's seating: the units of `cand` seated around `fixed` ones.

One method per rule family (docs/rules.md#cabin-rules), each posting that rule's constraints, and the
objective of planner.seating.objective with the fixed units' seats as constants, so a better sub-solution is
a better flight. Variables are named for what they mean (`seat[P0012,14C]`, `seated[H0003]`), so a dumped
model reads as the rules it keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from planner.oracle.objective import COST_BALANCE, W_LEVEL2, W_UNPLACED
from planner.pipeline.workers import stop_requested
from planner.rules.occupants import ESCORT_HOUSEHOLD
from planner.seating.problem import Requirement, SeatingProblem

if TYPE_CHECKING:  # imported when a model is built: loading OR-Tools takes seconds, greedy-only runs skip it
    from ortools.sat.python import cp_model

    Placed = cp_model.IntVar | int  # a household's "seated" literal, or 1 when it must be seated


class SeatModel:
    """The model: a boolean per (free unit, candidate seat) and the rules over them."""

    def __init__(self, problem: SeatingProblem, fixed: dict[str, str], cand: dict[str, list[str]]):
        from ortools.sat.python import cp_model

        self.p, self.cab, self.fixed, self.cand = problem, problem.cabin, fixed, cand
        self.m = cp_model.CpModel()
        self.free = sorted(cand)
        self.seat: dict[tuple[str, str], cp_model.IntVar] = {}
        self.at_seat: dict[str, list[tuple[str, cp_model.IntVar]]] = {}
        self.placed: dict[str, Placed] = {}
        self.occupied: dict[str, cp_model.IntVar] = {}
        self._seat_variables()
        self._household_seated_whole()
        self._one_unit_per_seat()
        self._lap_infants_per_mask_block()
        self._one_stretcher_case_per_zone()
        for req in problem.requirements:
            self._partner_requirement(req)
        if self.cab.job.relations:
            self._distancing()
            if not fixed:
                self._distancing_capacity()
        self._zone_limits()
        self._staffed_exits()
        self._objective()

    def _name(self, kind: str, *keys: object) -> str:
        return f"{kind}[{','.join(map(str, keys))}]"

    def _row(self, row_index: int) -> int:
        """The row number passengers read, for variable names."""
        return self.cab.map.rows[row_index]

    def _seat_variables(self) -> None:
        """seat[u,s]: unit u sits in seat s; none for seats a fixed unit holds or closes by distancing."""
        owner = {s: u for u, s in self.fixed.items()}
        closed: dict[str, set[str]] = {}  # seat -> fixed units whose distancing reaches it
        for u, s in self.fixed.items():
            for t in self.cab.dist[s]:
                closed.setdefault(t, set()).add(u)
        for u in self.free:
            for s in self.cand[u]:
                if s in owner or any(f not in self.p.friends[u] for f in closed.get(s, ())):
                    continue
                v = self.m.new_bool_var(self._name("seat", u, s))
                self.seat[u, s] = v
                self.at_seat.setdefault(s, []).append((u, v))

    def _household_seated_whole(self) -> None:
        """seated[h]: every member of household h has one seat, or none has (escorts, and households with
        a fixed member, are always seated)."""
        units = self.p.units
        for u in self.free:
            hid = units[u].household
            if hid in self.placed:
                continue
            must = hid.startswith(ESCORT_HOUSEHOLD) or any(v in self.fixed for v in self.p.members[hid])
            self.placed[hid] = 1 if must else self.m.new_bool_var(self._name("seated", hid))
        for u in self.free:
            seats = [self.seat[u, s] for s in self.cand[u] if (u, s) in self.seat]
            self.m.add(sum(seats) == self.placed[units[u].household])

    def _one_unit_per_seat(self) -> None:
        """At most one unit per seat; under distancing occupied[s] says whether anyone sits there."""
        for s, lst in self.at_seat.items():
            if self.cab.job.relations:
                self.occupied[s] = self.m.new_bool_var(self._name("occupied", s))
                self.m.add(sum(v for _, v in lst) == self.occupied[s])
            else:
                self.m.add_at_most_one(v for _, v in lst)

    def _lap_infants_per_mask_block(self) -> None:
        """At most `infants_per_mask_block` lap infants per mask block, counting the fixed carriers'."""
        units, by_id = self.p.units, self.cab.by_id
        fixed_mask: dict[int, int] = {}
        for u, s in self.fixed.items():
            if units[u].infants:
                b = by_id[s].mask_block
                fixed_mask[b] = fixed_mask.get(b, 0) + units[u].infants
        per_block: dict[int, list[cp_model.LinearExprT]] = {}
        for (u, s), v in self.seat.items():
            if units[u].infants:
                per_block.setdefault(by_id[s].mask_block, []).append(units[u].infants * v)
        for b, terms in per_block.items():
            self.m.add(sum(terms) <= self.p.job.infants_per_block - fixed_mask.get(b, 0))

    def _one_stretcher_case_per_zone(self) -> None:
        """One stretcher case per zone, counting the cases already fixed."""
        cases = [self.seat[u, s] for u in self.p.stretchers for s in self.cand.get(u, []) if (u, s) in self.seat]
        if cases:
            self.m.add(sum(cases) <= self.cab.stretcher_cases - sum(1 for u in self.p.stretchers if u in self.fixed))

    def _partner_requirement(self, req: Requirement) -> None:
        """A child's adult near them, a companion or escort next to them, a medic next to the zone."""
        if req.unit not in self.cand and req.unit not in self.fixed:
            return
        if req.kind == "zone":
            self._medic_beside_zone(req)
        elif req.unit in self.fixed:
            self._partner_of_fixed_unit(req)
        else:
            self._partner_of_free_unit(req)

    def _targets(self, req: Requirement, sid: str) -> list[str]:
        """Seats where a partner of `req.unit` in seat sid meets the requirement."""
        return self.cab.near(sid) if req.kind == "near" else self.cab.side[sid]

    def _medic_beside_zone(self, req: Requirement) -> None:
        """A stretcher case's medical escort in a seat next to the stretcher zone."""
        zone_adj = set(self.cab.zone_adjacent)
        if any(self.fixed.get(p) in zone_adj for p in req.partners):
            return
        lits = [self.seat[p, t] for p in req.partners for t in zone_adj if (p, t) in self.seat]
        need = 1 if req.unit in self.fixed else self.placed[self.p.units[req.unit].household]
        self.m.add(sum(lits) >= need)

    def _partner_of_fixed_unit(self, req: Requirement) -> None:
        """A fixed unit's partner, unless a fixed one already is, takes a target seat of the fixed seat."""
        tg = self._targets(req, self.fixed[req.unit])
        if any(self.fixed.get(p) in tg for p in req.partners):
            return
        lits = [self.seat[p, t] for p in req.partners for t in tg if (p, t) in self.seat]
        self.m.add_bool_or(lits or [self.m.new_constant(0)])

    def _partner_of_free_unit(self, req: Requirement) -> None:
        """Per candidate seat of a free unit: sitting there implies a partner in one of its target seats."""
        u = req.unit
        for s in self.cand[u]:
            if (u, s) not in self.seat:
                continue
            tg = self._targets(req, s)
            if any(self.fixed.get(p) in tg for p in req.partners):
                continue
            lits = [self.seat[p, t] for p in req.partners for t in tg if (p, t) in self.seat]
            if lits:
                self.m.add_bool_or(lits).only_enforce_if(self.seat[u, s])
            else:
                self.m.add(self.seat[u, s] == 0)

    def _distancing(self) -> None:
        """No unit on a seat related to an occupied one unless the occupant is a friend; units with the same
        friends share one constraint per (seat, related seat)."""
        classes: dict[frozenset[str], list[str]] = {}
        for u in self.free:
            classes.setdefault(frozenset(self.p.friends[u]), []).append(u)
        for friends, members in classes.items():
            for s in sorted({s for u in members for s in self.cand[u]}):
                here = [self.seat[u, s] for u in members if (u, s) in self.seat]
                if not here:
                    continue
                for t in self.cab.dist[s]:
                    if t not in self.occupied:
                        continue
                    ok = [v for w, v in self.at_seat[t] if w in friends]
                    self.m.add(sum(here) + self.occupied[t] - sum(ok) <= 1)

    def _distancing_capacity(self) -> None:
        """One seat per seated household is an independent set: the exact bound of
        docs/architecture.md#seating, a cut that proves optimality sooner."""
        self.m.add(sum(v for h, v in self.placed.items() if not h.startswith(ESCORT_HOUSEHOLD)) <= self.cab.mis[0])

    def _zone_limits(self) -> None:
        """At most `max_passengers` seated people in each cabin zone that has a limit, counting the fixed."""
        zone, limit = self.p.zone, self.p.zone_limit
        if not limit:
            return
        fixed_in: dict[str, int] = {}
        for s in self.fixed.values():
            if s in zone:
                fixed_in[zone[s]] = fixed_in.get(zone[s], 0) + 1
        per_zone: dict[str, list[cp_model.IntVar]] = {}
        for (_u, s), v in self.seat.items():
            if zone.get(s) in limit:
                per_zone.setdefault(zone[s], []).append(v)
        for z, lits in sorted(per_zone.items()):
            self.m.add(sum(lits) <= limit[z] - fixed_in.get(z, 0))

    def _staffed_exits(self) -> None:
        """An able-bodied adult in an exit seat of each exit row to staff, unless a fixed one already is; a row
        this model cannot reach is left to `check` (the band's result is then refused)."""
        staff = {s for u, s in self.fixed.items() if u in self.p.able}
        for _r, ids in sorted(self.p.exit_seats.items()):
            if staff & set(ids):
                continue
            lits = [v for s in ids for u, v in self.at_seat.get(s, []) if u in self.p.able]
            if lits:
                self.m.add_bool_or(lits)

    def _balance(self) -> cp_model.LinearExprT:
        """|Σ seated people × zone index| in tenths, as a variable the objective minimises."""
        idx = self.p.index
        if not idx:
            return 0
        expr = sum(idx.get(s, 0) for s in self.fixed.values()) + sum(
            idx[s] * v for (_u, s), v in self.seat.items() if s in idx)
        bound = sum(abs(x) for x in idx.values())
        out = self.m.new_int_var(0, bound, "balance_tenths")
        self.m.add(out >= expr)
        self.m.add(out >= -expr)
        return out

    def _strangers_side_by_side(self) -> list[cp_model.LinearExprT]:
        """Cost terms of returnees of different households in the seat pairs of `SeatingProblem.pairs` (a seat
        next to a fixed returnee costs when someone of another household takes it)."""
        p = self.p
        owner = {s: u for u, s in self.fixed.items()}
        ret: dict[str, list[cp_model.IntVar]] = {}
        hh: dict[str, dict[str, list[cp_model.IntVar]]] = {}
        for (u, s), v in self.seat.items():
            if not p.units[u].escort:
                ret.setdefault(s, []).append(v)
                hh.setdefault(s, {}).setdefault(p.units[u].household, []).append(v)
        terms: list[cp_model.LinearExprT] = []
        for (s, t), w in p.pairs.items():
            fs, ft = owner.get(s), owner.get(t)
            if (fs is not None and ft is not None) or any(f is not None and p.units[f].escort for f in (fs, ft)):
                continue  # a constant, or an escort (nobody's stranger)
            if fs is None and ft is None:
                if s in ret and t in ret:
                    terms.append(w * self._strangers(s, t, ret, hh))
                continue
            fixed_unit, free_seat = (fs, t) if fs is not None else (ft, s)
            mine = p.units[str(fixed_unit)].household
            terms += [w * v for h, lits in hh.get(free_seat, {}).items() if h != mine for v in lits]
        return terms

    def _strangers(self, s: str, t: str, ret: dict[str, list[cp_model.IntVar]],
                   hh: dict[str, dict[str, list[cp_model.IntVar]]]) -> cp_model.IntVar:
        """strangers[s,t] >= (returnee in s) + (returnee in t) - 1 - Σ same[h,s,t], where same[h,s,t] may be 1
        only when household h sits in both seats (only households of two or more can)."""
        same = []
        for h in sorted(set(hh[s]) & set(hh[t])):
            if len(self.p.members[h]) > 1:
                v = self.m.new_bool_var(self._name("same", h, s, t))
                self.m.add(v <= sum(hh[s][h]))
                self.m.add(v <= sum(hh[t][h]))
                same.append(v)
        y = self.m.new_bool_var(self._name("strangers", s, t))
        self.m.add(sum(ret[s]) + sum(ret[t]) - 1 - sum(same) <= y)
        return y

    def _objective(self) -> None:
        """Minimise planner.seating.objective.evaluate: unseated people, household spread, comfort (seat costs,
        strangers side by side, balance)."""
        obj: list[cp_model.LinearExprT] = []
        for hid, seated in self.placed.items():
            if hid.startswith(ESCORT_HOUSEHOLD):
                continue
            ms = self.p.members[hid]
            if not isinstance(seated, int):
                obj.append(W_UNPLACED * len(ms) * (1 - seated))
            if len(ms) >= 2:
                obj.append(W_LEVEL2 * self._household_spread(hid, ms, seated))
        seat_cost = self.p.seat_cost
        obj.append(sum(seat_cost(u, s) * v for (u, s), v in self.seat.items() if seat_cost(u, s)))
        obj += self._strangers_side_by_side()
        obj.append(COST_BALANCE * self._balance())
        self.m.minimize(sum(obj))

    def _household_spread(self, hid: str, ms: list[str], seated: Placed) -> cp_model.LinearExprT:
        """2 per row block beyond the first plus the rows between the household's ends, as in
        `household_spread` (the `- 2 * seated` makes an unseated household's spread 0)."""
        cab = self.cab
        fixed_seats = [self.fixed[u] for u in ms if u in self.fixed]
        brs: dict[tuple[int, int], list[cp_model.IntVar]] = {}
        rws: dict[int, list[cp_model.IntVar]] = {}
        for u in ms:
            for s in self.cand.get(u, []):
                if (u, s) in self.seat:
                    brs.setdefault(cab.block_row(s), []).append(self.seat[u, s])
                    rws.setdefault(cab.by_id[s].row_index, []).append(self.seat[u, s])
        fixed_br = {cab.block_row(s) for s in fixed_seats}
        fixed_rows = [cab.by_id[s].row_index for s in fixed_seats]
        used: list[cp_model.IntVar | int] = [len(fixed_br)]
        for (r, b), lits in brs.items():
            if (r, b) in fixed_br:
                continue
            in_block = self.m.new_bool_var(self._name("in_block", hid, f"row {self._row(r)} block {b}"))
            self.m.add(sum(lits) <= len(ms) * in_block)
            used.append(in_block)
        hi_row = max(list(rws) + fixed_rows + [0])
        last = self.m.new_int_var(max(fixed_rows, default=0), hi_row, self._name("last_row_index", hid))
        first = self.m.new_int_var(0, min(fixed_rows, default=hi_row), self._name("first_row_index", hid))
        self.m.add(last >= first)
        for r, lits in rws.items():
            in_row = self.m.new_bool_var(self._name("in_row", hid, f"row {self._row(r)}"))
            self.m.add(sum(lits) <= len(ms) * in_row)
            self.m.add(last >= r).only_enforce_if(in_row)
            self.m.add(first <= r).only_enforce_if(in_row)
        return 2 * sum(used) - 2 * seated + last - first

    def hint(self, seats: dict[str, str]) -> None:
        """Start the search from `seats` (the greedy's, or the best so far)."""
        for (u, s), v in self.seat.items():
            self.m.add_hint(v, 1 if seats.get(u) == s else 0)
        for hid, seated in self.placed.items():
            if not isinstance(seated, int):
                self.m.add_hint(seated, 1 if all(u in seats for u in self.p.members[hid]) else 0)


def solve(
    model: SeatModel, time_limit: float, deterministic: bool, should_stop: Callable[[], bool] = stop_requested
) -> tuple[dict[str, str] | None, bool]:
    """Solve on one worker with a fixed seed; a stop request ends the search with its best solution (a watcher
    thread calls stop_search). Returns (seats of the free units, proven optimal)."""
    from ortools.sat.python import cp_model

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
        # asked again every 50 ms, not once: a stop_search that comes before the search has started is lost
        while not done.wait(0.05):
            if should_stop():
                solver.stop_search()

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    try:
        status = solver.solve(model.m)
    finally:
        done.set()
        thread.join()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    return {u: s for (u, s), v in model.seat.items() if solver.boolean_value(v)}, status == cp_model.OPTIMAL


def submodel(
    problem: SeatingProblem,
    fixed: dict[str, str],
    cand: dict[str, list[str]],
    hint: dict[str, str],
    time_limit: float,
    deterministic: bool,
    should_stop: Callable[[], bool] = stop_requested,
) -> tuple[dict[str, str] | None, bool]:
    """Seat the units of `cand` (each within its candidate seats) around the `fixed` ones, by CP-SAT.

    Returns (seats of the free units, proven optimal).
    """
    model = SeatModel(problem, fixed, cand)
    model.hint(hint)
    return solve(model, time_limit, deterministic, should_stop)
