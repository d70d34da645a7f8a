"""Seating benchmark: a 7,000-person-sized operation's flights, and the distancing capacity of a 3-3 cabin.

Run as `python bench/bench_seating.py [--processes 2] [--time-limit 0.25]`. Everything is synthetic and
seeded (households built here, not by the scenario generator), so runs compare across commits:

1. Thirty flights of about 230 passengers on the library's A320, B737, A321 and B747 types, seated in parallel,
   against a row-filling baseline that puts households in seat order and ignores every rule; both are scored
   by the same objective and checked by the independent rule checker.
2. A 30-row 3-3 cabin of single travellers under each of the 16 distancing combinations: seats reached, the
   proven maximum (exact row DP), and the time, against row filling that skips seats next to someone.
3. The target: every flight of `scenarios/belarus-2021-iraq`, allocated by `planner.pipeline.solve` without
   seating (allocation time printed, not part of the target), then seated by `seat_plan` on 2 processes in at
   most 10 s, with split households and rule violations against the same row-filling baseline.

4. Comfort and safety (docs/seating.md#comfort-and-safety), on a dozen of part 1's flights seated on one
   process, each term off ("before") and on ("after"): returnees on the aisle beside a stranger, strangers side
   by side under `front-back` distancing (flights filled to 45 %), rows between a door and the reduced-mobility,
   medical and UASC passengers, the zones' balance index, exit rows without an able-bodied adult
   (`staffed_exits`), people over a zone limit (the forward zone capped at 80 % of its seats), and the time.

`--parts 3 --scenario <folder>` runs part 3 alone on another scenario.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from planner.io.loading import load_scenario
from planner.model.options import SolveOptions
from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import AircraftType, Escort, Scenario, Stop
from planner.model.violations import Violation
from planner.oracle.seating_checks import RULES, seating_violations
from planner.pipeline.solve import solve
from planner.rules.base import SeatContext, next_to
from planner.rules.distancing import max_independent_seats
from planner.rules.occupants import flight_facts
from planner.rules.seats import raw_seats
from planner.rules.zones import balance_tenths, seat_zones, zone_limits
from planner.seating.cabin import Cabin
from planner.seating.objective import household_spread, spread_bound
from planner.seating.problem import near_door
from planner.seating.seat_plan import flight_job, seat_plan
from planner.seating.seatmaps import RELATIONS, Seat, aircraft_spec, build_seat_map, resolve_aircraft, seat_neighbours
from planner.seating.synth import person, plan_for, random_households, scenario_with

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "belarus-2021-iraq"

TYPES = ["A320-180Y", "B737-800-189Y", "A321-220Y", "B747-400-440Y"]


def operation(flights: int, seed: int, fill: float = 0.93) -> tuple[Scenario, Plan]:
    """`flights` flights cycling through TYPES, each filled to about `fill` with synthetic households."""
    rng = random.Random(seed)
    people, assignment, escorts, on_board = [], {}, [], {}
    scenarios = []
    for i in range(flights):
        ac = TYPES[i % len(TYPES)]
        seats = resolve_aircraft(ac).seat_count - 6  # rear isolation row (about one row)
        fid = f"F{i + 1:02d}"
        hh = random_households(rng, int(seats * fill), prefix=f"{fid}-H", stops=["EBL", "BGW"] if i % 3 == 0 else None)
        people += hh
        assignment[fid] = sorted({p.household_id for p in hh})
        n_ops = -(-len(hh) // 50)
        on_board[fid] = [(f"{fid}-OPS{k + 1}", []) for k in range(n_ops)]
        escorts += [Escort(id=e, role="operational") for e, _ in on_board[fid]]
        scenarios.append(ac)
    sc = scenario_with(people, aircraft="A320-180Y", flights=flights, escorts=escorts)
    sc.flights = [f.model_copy(update={"aircraft": scenarios[i]}) for i, f in enumerate(sc.flights)]
    first = sc.flights[0].stops[0]
    two_stops = [first, Stop(airport="BGW", arrival=first.arrival + timedelta(hours=2))]
    for i in range(0, flights, 3):  # every third flight calls at Erbil, then Baghdad
        sc.flights[i] = sc.flights[i].model_copy(update={"stops": two_stops})
    return sc, plan_for(sc, assignment, on_board)


def row_filling(scenario: Scenario, plan: Plan) -> Plan:
    """Baseline: households in id order into seats in row order, escorts last; no rule is considered."""
    out = plan.model_copy(deep=True)
    for fp in out.flights:
        facts = flight_facts(scenario, fp)
        free = [
            s.id
            for s in sorted(facts.seat_map.seats, key=lambda s: (s.row_index, s.column))
            if s.id not in facts.unusable
        ]
        people = {p.case_id: p for p in scenario.people}
        order = sorted(
            (p for p in fp.passengers if p.lap_of is None),
            key=lambda p: (people[p.person_id].household_id, p.person_id),
        )
        for p, s in zip(order, free, strict=False):
            p.seat = s
        for e, s in zip(fp.escorts, free[len(order) :], strict=False):
            e.seat = s
    return out


def spread(scenario: Scenario, plan: Plan, time_limit: float) -> tuple[int, int, int, int]:
    """(level-2 household spread, households not in one row (of those that fit a row), seated, spread bound)."""
    total = split = seated = bound = 0
    for fp in plan.flights:
        facts = flight_facts(scenario, fp)
        cabin = Cabin(flight_job(scenario, facts, time_limit=time_limit, deterministic=True))
        width = max(len(r) for r in cabin.by_row.values())
        groups: dict[str, list[str]] = {}
        for p in fp.passengers:
            if p.seat:
                groups.setdefault(facts.occupants[p.person_id].household, []).append(p.seat)
                seated += 1
        for seats in groups.values():
            total += household_spread(cabin, [s for s in seats if s in cabin.by_id])
            bound += spread_bound(cabin, len(seats))
            if 1 < len(seats) <= width and len({s[:-1] for s in seats}) > 1:
                split += 1
    return total, split, seated, bound


def seat_and_compare(sc: Scenario, plan: Plan, processes: int, time_limit: float
                     ) -> tuple[tuple[int, int, int, int], list, tuple[int, int, int, int], list]:
    """Seat every flight of `plan` (timed) and print it against row filling: spread, splits, violations."""
    start = time.perf_counter()
    out = seat_plan(sc, plan, time_limit=time_limit, processes=processes, deterministic=False)
    seconds = time.perf_counter() - start
    base = row_filling(sc, plan)
    ours_v = seating_violations(sc, out.plan)
    base_v = seating_violations(sc, base)
    o = spread(sc, out.plan, time_limit)
    b = spread(sc, base, time_limit)
    status = Counter((out.plan.stages.seating or {}).values())
    unplaced = sum(len(v) for v in out.unplaced.values())
    print(
        f"   seating : {seconds:6.2f} s on {processes} processes (target <= 10 s), status {dict(status)}, "
        f"households unplaced {unplaced}"
    )
    print(f"   level-2 lower bound (each household as compact as its size allows) {o[3]}: gap {o[0] - o[3]}")
    _table(o, ours_v, b, base_v)
    return o, ours_v, b, base_v


def part_one(processes: int, time_limit: float, flights: int) -> None:
    sc, plan = operation(flights, seed=2021)
    pax = sum(len(fp.passengers) for fp in plan.flights)
    print(f"1. {flights} flights, {pax} passengers ({pax / flights:.0f} per flight), types {', '.join(TYPES)}")
    seat_and_compare(sc, plan, processes, time_limit)


def part_two(time_limit: float) -> None:
    spec = AircraftType(type="BENCH-30x6", rows={"first": 1, "last": 30}, layout="ABC DEF")
    sm = build_seat_map(spec)
    print("2. 30-row 3-3 cabin, single travellers only (no isolation row)")
    print(f"   {'relations':<42}{'max (DP)':>9}{'seated':>8}{'seconds':>9}{'proven':>8}{'row filling':>13}")
    worst = 0.0
    for k in range(len(RELATIONS) + 1):
        for combo in itertools.combinations(RELATIONS, k):
            best = max_independent_seats(sm, combo, [s.id for s in sm.seats])[0]
            people = [person(f"P{i:03d}", f"P{i:03d}", 30) for i in range(180)]
            sc = scenario_with(people, aircraft=spec, distancing=list(combo), isolation_rows=0)
            start = time.perf_counter()
            out = seat_plan(sc, plan_for(sc), time_limit=time_limit, processes=1, deterministic=False)
            seconds = time.perf_counter() - start
            worst = max(worst, seconds)
            seated = sum(1 for p in out.plan.flights[0].passengers if p.seat)
            # baseline: walk the seats in row order, sit someone wherever no neighbour is taken
            nb = seat_neighbours(sm, combo)
            taken: set[str] = set()
            for s in sorted(sm.seats, key=lambda s: (s.row_index, s.column)):
                if not nb[s.id] & taken:
                    taken.add(s.id)
            proven = "yes" if seated == best else "no"
            print(f"   {' + '.join(combo) or 'none':<42}{best:>9}{seated:>8}{seconds:>9.2f}{proven:>8}{len(taken):>13}")
    print(f"   slowest combination {worst:.2f} s (target <= 2 s); 'proven': seated equals the exact DP maximum")


def _table(ours: tuple[int, int, int, int], ours_v: list, base: tuple[int, int, int, int], base_v: list) -> None:
    """The planner against row filling on one plan: spread, split households, seated, violations."""
    print(f"   {'':9}{'spread (level 2)':>18}{'split households':>18}{'seated':>8}{'violations':>12}")
    print(f"   planner  {ours[0]:>18}{ours[1]:>18}{ours[2]:>8}{len(ours_v):>12}")
    print(
        f"   baseline {base[0]:>18}{base[1]:>18}{base[2]:>8}{len(base_v):>12}   "
        + ", ".join(f"{k} {v}" for k, v in Counter(v.rule for v in base_v).most_common(6))
    )


def part_three(processes: int, time_limit: float, folder: Path, allocation_limit: float) -> None:
    """Seat the allocated flights of a real-sized scenario: the target "all flights in at most 10 s"."""
    start = time.perf_counter()
    sc = load_scenario(folder)
    plan = solve(sc, options=SolveOptions(seat=False, time_limit=allocation_limit, seating_processes=processes))
    allocated = time.perf_counter() - start
    flights = [fp for fp in plan.flights if fp.passengers or fp.escorts]
    pax = sum(len(fp.passengers) for fp in flights)
    print(
        f"3. {folder.name}: {len(sc.people)} people, {pax} passengers on {len(flights)} flights "
        f"(allocation {allocated:.1f} s, status {plan.status}, not part of the target)"
    )
    o, ours_v, b, base_v = seat_and_compare(sc, plan, processes, time_limit)
    ratio = f"{o[1] / b[1]:.2f}" if b[1] else "-"
    print(f"   split households planner/baseline {o[1]}/{b[1]} = {ratio}; violations {len(ours_v)}/{len(base_v)}")


def _comfort_figures(sc: Scenario, plan: Plan) -> dict[str, float]:
    """The comfort and safety terms of a seated plan, counted from the plan (planner.rules, not solver code)."""
    out: Counter[str] = Counter()
    for fp in plan.flights:
        facts = flight_facts(sc, fp)
        sm, spec = facts.seat_map, aircraft_spec(facts.flight.aircraft, sc)
        seat = {u: sm.by_id()[s] for u, s in seats_of(fp) if s in sm.by_id() and u in facts.occupants}
        occ = facts.occupants
        by_seat = {s.id: u for u, s in seat.items()}
        for u, s in seat.items():
            for t in (c for c in sm.seats if next_to(s, c) and c.id in by_seat):
                v = by_seat[t.id]
                if not occ[u].escort and not occ[v].escort and occ[u].household != occ[v].household:
                    out["aisle"] += s.aisle
                    out["side"] += 0.5
            if near_door(occ[u]):
                out["door"] += sm.door_distance(s)
                out["door_n"] += 1
        out["balance"] += balance_tenths(spec, list(seat.values())) / 10
        ctx = SeatContext(sc, fp, facts, seat)
        out["unstaffed"] += sum(1 for v in seating_violations_of(ctx) if v.rule == "exit.staffed")
        out["over_zone"] += sum(_over_zone(spec, seat.values()))
    figures: dict[str, float] = dict(out)
    figures["door"] = out["door"] / max(1, out["door_n"])
    return figures


def seats_of(fp: FlightPlan) -> list[tuple[str, str]]:
    return [(u, s) for u, s in raw_seats(fp) if s is not None]


def seating_violations_of(ctx: SeatContext) -> Iterator[Violation]:
    yield from RULES["exit.staffed"](ctx)


def _over_zone(spec: AircraftType, seats: Iterable[Seat]) -> Iterator[int]:
    limits = zone_limits(spec)
    count = Counter(seat_zones(spec, list(seats)).values())
    for z, n in count.items():
        if z in limits:
            yield max(0, n - limits[z])


def _capped(sc: Scenario) -> Scenario:
    """The scenario with its library types copied, the forward zone capped at 80 % of its seats."""
    out = sc.model_copy(deep=True)
    for type_id in sorted({f.aircraft for f in sc.flights}):
        spec = aircraft_spec(type_id, sc)
        sm = build_seat_map(spec)
        zones = list(spec.zones)
        if zones:
            first = zones[0]
            n = sum(1 for s in sm.seats if first.first_row <= s.row <= first.last_row)
            zones[0] = first.model_copy(update={"max_passengers": int(n * 0.8)})
        out.aircraft.append(spec.model_copy(update={"zones": zones}))
    return out


def _seat_with(sc: Scenario, plan: Plan, time_limit: float, on: bool) -> tuple[Plan, float]:
    """Seat on one process (the weights below are this process's) with the comfort terms on or off."""
    import planner.seating.cpsat_model as model_mod
    import planner.seating.greedy as greedy_mod
    import planner.seating.parties as parties_mod
    import planner.seating.problem as problem_mod
    import planner.seating.seat_plan as seat_plan_mod

    saved = {(m, k): getattr(m, k) for m, k in [
        (problem_mod, "COST_AISLE_STRANGER"), (problem_mod, "COST_STRANGER_DISTANCED"), (problem_mod, "COST_BALANCE"),
        (greedy_mod, "COST_BALANCE"), (model_mod, "COST_BALANCE"), (problem_mod, "near_door"),
        (parties_mod, "near_door"), (seat_plan_mod, "flight_job")]}
    if not on:
        for m, k in saved:
            if k.startswith("COST_"):
                setattr(m, k, 0)
        for m in (problem_mod, parties_mod):
            m.near_door = lambda o: o.mobility != "none"  # before: reduced mobility only
    base_job = saved[(seat_plan_mod, "flight_job")]

    def job_with_switch(scenario: Scenario, facts: object, **kw: object) -> object:
        job = base_job(scenario, facts, **kw)
        job.staffed_exits = on and scenario.protocol.seating.staffed_exits
        return job

    seat_plan_mod.flight_job = job_with_switch
    try:
        start = time.process_time()  # CPU of this process (CP-SAT's thread included): the machine may be loaded
        out = seat_plan(sc, plan, time_limit=time_limit, processes=1, deterministic=False)
        return out.plan, time.process_time() - start
    finally:
        for (m, k), v in saved.items():
            setattr(m, k, v)


def part_four(time_limit: float, flights: int) -> None:
    uncapped, plan = operation(flights, seed=2021)
    sc = _capped(uncapped)
    sc.protocol.seating = sc.protocol.seating.model_copy(update={"staffed_exits": True})
    dist, dist_plan = operation(flights, seed=2022, fill=0.45)
    dist.protocol.seating = dist.protocol.seating.model_copy(
        update={"distancing": ["front-back"], "staffed_exits": True})
    print(f"4. comfort and safety terms, {flights} flights on 1 process, {time_limit} s CP-SAT each")
    rows = []
    for on in (False, True):
        seated, seconds = _seat_with(sc if on else uncapped, plan, time_limit, on)
        d_seated, d_seconds = _seat_with(dist, dist_plan, time_limit, on)
        f, d = _comfort_figures(sc, seated), _comfort_figures(dist, d_seated)  # zone limits: the capped types'
        f["seated"] = sum(1 for fp in seated.flights for p in fp.passengers if p.seat)
        rows.append((on, f, d, seconds, d_seconds))
    print(f"   {'':8}{'aisle+stranger':>15}{'side, distanced':>16}{'door rows':>10}{'|balance|':>10}"
          f"{'unstaffed':>10}{'(45 %)':>7}{'over zone':>10}{'seated':>8}{'CPU s':>8}{'distanced CPU s':>16}")
    for on, f, d, seconds, d_seconds in rows:
        print(f"   {'after' if on else 'before':8}{f.get('aisle', 0):>15.0f}{d.get('side', 0):>16.0f}"
              f"{f.get('door', 0):>10.2f}{f.get('balance', 0):>10.1f}"
              f"{f.get('unstaffed', 0):>10.0f}{d.get('unstaffed', 0):>7.0f}"
              f"{f.get('over_zone', 0):>10.0f}{f['seated']:>8.0f}{seconds:>8.2f}{d_seconds:>16.2f}")
    print("   (unstaffed: exit rows without an able-bodied adult on the full flights and on the 45 % distanced ones;\n"
          "   door rows: mean rows from reduced-mobility, medical and UASC passengers to the nearest door;\n"
          "   |balance|: Σ over flights of |Σ zone index|)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=0.25, help="CP-SAT seconds per flight")
    parser.add_argument("--flights", type=int, default=30)
    parser.add_argument("--parts", default="1234", help="which parts to run, e.g. 3")
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="scenario folder of part 3")
    parser.add_argument("--allocation-time-limit", type=float, default=15.0,
                        help="part 3: planner.pipeline.solve seconds")
    args = parser.parse_args(argv)
    if "1" in args.parts:
        part_one(args.processes, args.time_limit, args.flights)
    if "2" in args.parts:
        part_two(0.5)
    if "3" in args.parts:
        part_three(args.processes, args.time_limit, args.scenario, args.allocation_time_limit)
    if "4" in args.parts:
        part_four(args.time_limit, min(args.flights, 12))


if __name__ == "__main__":
    main()
