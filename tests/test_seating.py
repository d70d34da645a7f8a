"""Seating per flight: every rule kept, families together, brute-force optima on small cabins, parallel runs."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import AircraftType, Escort, Scenario
from planner.oracle.objective import W_LEVEL2, W_UNPLACED
from planner.oracle.seating_checks import RULES, seating_violations
from planner.rules.base import SeatContext
from planner.rules.occupants import flight_facts
from planner.seating.cabin import Cabin
from planner.seating.cpsat_model import SeatModel, submodel
from planner.seating.objective import evaluate
from planner.seating.problem import SeatingProblem, balance_cost, check, pair_cost
from planner.seating.seat_plan import apply_results, flight_job, seat_flight, seat_plan
from planner.seating.synth import person, plan_for, random_households, scenario_with
from test_seating_rules import base

SMALL = AircraftType(type="S-4x4", rows={"first": 1, "last": 3}, layout="AB CD", exit_rows=[2])
SPECIAL = AircraftType(type="SP-2x4", rows={"first": 1, "last": 2}, layout="A BC D", exit_rows=[2])
ROW33 = AircraftType(type="R-3x6", rows={"first": 1, "last": 4}, layout="ABC DEF")


def seated(plan, flight_id="F01") -> dict[str, str]:
    fp = next(f for f in plan.flights if f.flight_id == flight_id)
    return {p.person_id: p.seat for p in fp.passengers if p.lap_of is None} | {e.escort_id: e.seat for e in fp.escorts}


def test_rules_fixture_is_seated_without_violations() -> None:
    for distancing in ([], ["side"]):
        sc, plan = base(distancing)
        for fp in plan.flights:
            for p in fp.passengers:
                p.seat = None
            for e in fp.escorts:
                e.seat = None
        out = seat_plan(sc, plan, time_limit=1.0, processes=1, deterministic=True)
        assert out.unplaced == {}
        assert seating_violations(sc, out.plan) == []
        seats = seated(out.plan)
        assert all(seats.values())
        assert seats["P9"] in ("5A", "5B")  # STCR in the stretcher zone


def test_six_person_household_fills_one_row() -> None:
    people = [person(f"F{i}", "FAM", 40 if i < 2 else 10 - i) for i in range(6)]
    people += [person(f"S{i}", f"S{i}", 30) for i in range(5)]
    sc = scenario_with(people, aircraft=ROW33, isolation_rows=0)
    out = seat_plan(sc, plan_for(sc), time_limit=2.0, processes=1, deterministic=True)
    seats = seated(out.plan)
    rows = {seats[f"F{i}"][:-1] for i in range(6)}
    assert len(rows) == 1
    assert seating_violations(sc, out.plan) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=2, max_value=9))
def test_lap_infants_never_share_a_mask_block(seed: int, families: int) -> None:
    rng = random.Random(seed)
    people = []
    for f in range(families):
        people += [
            person(f"H{f}-a", f"H{f}", 30),
            person(f"H{f}-b", f"H{f}", rng.uniform(0.1, 1.9)),
            person(f"H{f}-c", f"H{f}", 33),
        ]  # a second adult: special categories <= able-bodied
    sc = scenario_with(people, aircraft=ROW33, isolation_rows=0)
    out = seat_plan(sc, plan_for(sc), time_limit=0.5, processes=1, deterministic=True)
    fp = out.plan.flights[0]
    seats = seated(out.plan)
    blocks = [(seats[p.lap_of][:-1], seats[p.lap_of][-1] in "ABC") for p in fp.passengers if p.lap_of]
    assert len(blocks) == len(set(blocks))
    # 4 rows x 2 blocks hold at most 8 lap infants; whoever does not fit is listed, never left without a seat
    assert all(v for v in seats.values())
    assert seating_violations(sc, out.plan) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from([[], ["side"], ["front-back"], ["side", "across-aisle"], ["diagonal", "front-back"]]),
)
def test_random_flights_keep_every_rule(seed: int, distancing: list[str]) -> None:
    rng = random.Random(seed)
    people = random_households(rng, 90 if not distancing else 45, stops=["EBL", "BGW"])
    escorts = [Escort(id="OPS1", role="operational"), Escort(id="OPS2", role="operational")]
    sc = scenario_with(people, aircraft="A320-180Y", distancing=distancing, escorts=escorts, stops=["EBL", "BGW"])
    plan = plan_for(sc, escorts={"F01": [("OPS1", []), ("OPS2", [])]})
    out = seat_plan(sc, plan, time_limit=0.3, processes=1, deterministic=True)
    assert seating_violations(sc, out.plan) == []
    on_board = {p.person_id for p in out.plan.flights[0].passengers}
    for hid in out.unplaced.get("F01", []):
        assert not any(p.household_id == hid and p.case_id in on_board for p in sc.people)


def _without(fp: FlightPlan, gone: set[str]) -> FlightPlan:
    """The flight without the people of `gone`, as `apply_results` leaves it: escorts stay and serve fewer."""
    return fp.model_copy(
        update={
            "passengers": [p.model_copy() for p in fp.passengers if p.person_id not in gone],
            "escorts": [e.model_copy(update={"serves": [s for s in e.serves if s not in gone]}) for e in fp.escorts],
        },
        deep=True,
    )


def _accepted(sc: Scenario, trial: FlightPlan, facts, assignment: dict[str, str]) -> bool:
    """No rule of the independent checker (`planner.oracle.seating_checks.RULES`) objects to `assignment` on `trial`."""
    for p in trial.passengers:
        if p.lap_of is None:
            p.seat = assignment.get(p.person_id)
    for e in trial.escorts:
        e.seat = assignment.get(e.escort_id)
    by_id = facts.seat_map.by_id()
    ctx = SeatContext(sc, trial, facts, {u: by_id[s] for u, s in assignment.items()})
    return all(next(fn(ctx), None) is None for fn in RULES.values())


def validator_optimum(sc: Scenario, fp: FlightPlan, problem: SeatingProblem) -> int:
    """The least `evaluate` over every seating of the flight that the independent checker accepts.

    Households fly whole or are left off; escorts always stay. Neither the solver's `check` nor its allowed
    seats filter anything here, so a rule the solver forgets (it reaches a cheaper plan than this) or invents
    (it cannot reach this one) fails the comparison. Assignments are tried cheapest first, and only the
    cheapest accepted one is returned.
    """
    cab = problem.cabin
    household_of = {p.case_id: p.household_id for p in sc.people}
    households = sorted({household_of[p.person_id] for p in fp.passengers})
    people_of = {h: [p.person_id for p in fp.passengers if household_of[p.person_id] == h] for h in households}
    seated_of = {h: [u for u in problem.units if problem.units[u].household == h] for h in households}
    subsets = [kept for k in range(len(households) + 1) for kept in itertools.combinations(households, k)]
    subsets.sort(key=lambda kept: sum(len(seated_of[h]) for h in households if h not in kept))
    best: int | None = None
    for kept in subsets:
        base = W_UNPLACED * sum(len(seated_of[h]) for h in households if h not in kept)
        if best is not None and base >= best:
            continue
        trial = _without(fp, {p for h in households if h not in kept for p in people_of[h]})
        facts = flight_facts(sc, trial)
        units = sorted(facts.occupants)
        seats = [s.id for s in facts.seat_map.seats if s.id not in facts.unusable]
        if len(units) > len(seats):
            continue
        where = {s: (cab.by_id[s].row_index, cab.by_id[s].block) for s in seats}
        unit_cost = [{s: problem.seat_cost(u, s) for s in seats} for u in units]
        groups = [[i for i, u in enumerate(units) if facts.occupants[u].household == h] for h in kept]
        groups = [g for g in groups if len(g) > 1]
        scored = []
        for perm in itertools.permutations(seats, len(units)):
            cost = base + sum(unit_cost[i][s] for i, s in enumerate(perm))
            together = dict(zip(units, perm, strict=True))
            cost += pair_cost(problem, together) + balance_cost(problem, together)
            for g in groups:
                rows = [where[perm[i]][0] for i in g]
                cost += W_LEVEL2 * (2 * (len({where[perm[i]] for i in g}) - 1) + max(rows) - min(rows))
            if best is None or cost < best:
                scored.append((cost, perm))
        scored.sort()
        for cost, perm in scored:
            if best is not None and cost >= best:
                break
            assignment = dict(zip(units, perm, strict=True))
            if _accepted(sc, trial, facts, assignment):
                assert evaluate(problem, assignment) == cost  # the fast sum above is the solver's objective
                best = cost
                break
    assert best is not None
    return best


def small_case(seed: int, distancing: list[str]) -> tuple[Scenario, Plan]:
    """Two or three households of one to three people (adults, children, teenagers) on a 4-seat-wide cabin
    with an exit row and a rear isolation row: eight usable seats."""
    rng = random.Random(seed)
    people = []
    for h in range(rng.randint(2, 3)):
        size = rng.choice([1, 2, 3])
        for i in range(size):
            people.append(person(f"H{h}-{i}", f"H{h}", 35 if i == 0 else rng.choice([9, 16, 40])))
    sc = scenario_with(people, aircraft=SMALL, distancing=distancing, isolation_rows=1)
    return sc, plan_for(sc)


def special_case(distancing: list[str]) -> tuple[Scenario, Plan]:
    """A lap infant on a parent, a wheelchair user with a household adult, and an unaccompanied child with their
    escort, on eight seats in blocks A | BC | D whose second row's outer seats are exit seats: everyone fits
    without distancing, and someone must stay off under side + diagonal."""
    people = [
        person("A1", "HA", 30, sex="F"),
        person("A2", "HA", 0.5),
        person("A3", "HA", 33, sex="M"),
        person("B1", "HB", 50, mobility="WCHC"),
        person("B2", "HB", 45),
        person("C1", "HC", 15, unaccompanied_minor=True, best_interests_approved=True, reception_contact="x"),
    ]
    sc = scenario_with(people, aircraft=SPECIAL, distancing=distancing, isolation_rows=0,
                       escorts=[Escort(id="U1", role="uasc")])
    return sc, plan_for(sc, escorts={"F01": [("U1", ["C1"])]})


def _optimal_and_valid(sc: Scenario, plan: Plan) -> None:
    """The solver proves optimality, its plan passes the checker, and it costs what the checker's brute
    force finds."""
    fp = plan.flights[0]
    job = flight_job(sc, flight_facts(sc, fp), time_limit=2.0, deterministic=True)
    res = seat_flight(job)
    assert res.status == "optimal"
    assert seating_violations(sc, apply_results(sc, plan, {fp.flight_id: res}).plan) == []
    assert res.cost == validator_optimum(sc, fp, SeatingProblem(job, Cabin(job)))


def test_model_variables_are_named_for_what_they_mean() -> None:
    """A dumped CP-SAT model names every variable after the unit, household, seat or row it is about."""
    sc, plan = special_case(["side", "diagonal"])
    job = flight_job(sc, flight_facts(sc, plan.flights[0]), time_limit=0.1, deterministic=True)
    problem = SeatingProblem(job, Cabin(job))
    model = SeatModel(problem, {}, dict(problem.allowed))
    names = [v.name for v in model.m.proto.variables]
    assert "" not in names
    assert len(set(names)) == len(names)
    assert {f"seat[{u},{s}]" for u, s in model.seat} <= set(names)
    assert {"seated[HA]", "seated[HB]", "occupied[1A]", "first_row_index[HA]", "last_row_index[HA]"} <= set(names)
    assert any(n.startswith("in_block[HA,row 1 block ") for n in names)
    assert any(n.startswith("in_row[HB,row ") for n in names)


RELATION_MIXES = [
    [],
    ["side"],
    ["across-aisle"],
    ["front-back"],
    ["diagonal"],
    ["side", "front-back"],
    ["diagonal", "across-aisle"],
    ["side", "across-aisle", "front-back", "diagonal"],
]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(RELATION_MIXES))
@example(92, [])  # an adult seated apart at an exit while the rest of the household did not fit
def test_seating_objective_matches_brute_force(seed: int, distancing: list[str]) -> None:
    _optimal_and_valid(*small_case(seed, distancing))


@pytest.mark.parametrize("distancing", [[], ["side", "diagonal"]], ids=["none", "side+diagonal"])
def test_special_categories_match_brute_force(distancing: list[str]) -> None:
    _optimal_and_valid(*special_case(distancing))


def test_parallel_equals_sequential_and_is_deterministic() -> None:
    rng = random.Random(7)
    people = random_households(rng, 150)
    sc = scenario_with(people, flights=3)
    hh = sorted({p.household_id for p in people})
    assignment = {f.id: hh[i::3] for i, f in enumerate(sc.flights)}
    plan = plan_for(sc, assignment)
    one = seat_plan(sc, plan, time_limit=0.2, processes=1, deterministic=True)
    two = seat_plan(sc, plan, time_limit=0.2, processes=2, deterministic=True)
    assert one.plan.to_json() == two.plan.to_json()
    assert set(one.plan.stages.seating) == {"F01", "F02", "F03"}


def test_households_that_do_not_fit_are_removed_and_listed() -> None:
    people = [person(f"H{h}-{i}", f"H{h}", 30) for h in range(8) for i in range(3)]
    sc = scenario_with(people, aircraft=SMALL, isolation_rows=0)  # 12 seats, 24 people
    out = seat_plan(sc, plan_for(sc), time_limit=0.5, processes=1, deterministic=True)
    gone = out.unplaced["F01"]
    assert len(gone) == 4
    fp = out.plan.flights[0]
    assert len(fp.passengers) == 12 and all(p.seat for p in fp.passengers)
    assert seating_violations(sc, out.plan) == []


def test_single_travellers_get_windows_and_first_stop_sits_forward() -> None:
    people = [person(f"S{i}", f"S{i}", 30, destination="EBL" if i % 2 else "BGW") for i in range(8)]
    sc = scenario_with(people, aircraft=ROW33, isolation_rows=0, stops=["EBL", "BGW"])
    out = seat_plan(sc, plan_for(sc), time_limit=2.0, processes=1, deterministic=True)
    seats = seated(out.plan)
    assert all(s[-1] in "AF" for s in seats.values())
    ebl = [int(seats[f"S{i}"][:-1]) for i in range(8) if i % 2]
    bgw = [int(seats[f"S{i}"][:-1]) for i in range(8) if not i % 2]
    assert max(ebl) <= min(bgw)


_SEAT_IN_A_FRESH_PROCESS = """
import random, sys
from planner.seating.seat_plan import seat_plan
from planner.seating.synth import mix_within_distancing_limit, plan_for
sc = mix_within_distancing_limit(random.Random(3688), ["diagonal"])
sys.stdout.write(seat_plan(sc, plan_for(sc), time_limit=0.3, processes=1, deterministic=True).plan.to_json())
"""


def test_deterministic_seating_does_not_depend_on_string_hashing() -> None:
    """Deterministic means the same bytes in any process: set iteration order must never reach CP-SAT."""
    import os
    import subprocess
    import sys

    # the two processes run side by side: each spends seconds importing the planner
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _SEAT_IN_A_FRESH_PROCESS],
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    outs = set()
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        outs.add(out)
    assert len(outs) == 1 and '"seat": "' in next(iter(outs))


def _two_stretcher_households(singles: int) -> tuple[Scenario, Plan]:
    """Two STCR cases (each with a household adult) and one medical escort serving both, on a B767 whose
    stretcher zone (36-37 AB) holds one case."""
    people = [person("A1", "HA", 60, mobility="STCR"), person("A2", "HA", 35)]
    people += [person("B1", "HB", 62, mobility="STCR"), person("B2", "HB", 36)]
    people += [person(f"S{i:02d}", f"S{i:02d}", 30) for i in range(singles)]
    escorts = [Escort(id="M1", role="medical"), Escort(id="O1", role="operational")]
    sc = scenario_with(people, aircraft="B767-300ER-259Y", escorts=escorts)
    return sc, plan_for(sc, escorts={"F01": [("M1", ["A1", "B1"]), ("O1", [])]})


@pytest.mark.parametrize(
    ("singles", "cpsat"),
    [(4, True), (4, False), (30, True)],
    ids=["full-model", "greedy-only", "row-bands"],
)
def test_one_stretcher_case_per_zone(singles: int, cpsat: bool) -> None:
    """The second STCR household is left off (listed, so the planner gives it seating.no_fit); greedy, the
    full CP-SAT model and the row-band improvement all keep the limit, so the result stays CP-SAT's own."""
    sc, plan = _two_stretcher_households(singles)
    out = seat_plan(sc, plan, time_limit=0.5, processes=1, deterministic=True, cpsat=cpsat)
    assert len(out.unplaced["F01"]) == 1
    seats = seated(out.plan)
    cases = [u for u in ("A1", "B1") if u in seats]
    assert len(cases) == 1 and seats[cases[0]] in {"36A", "36B", "37A", "37B"}
    assert seating_violations(sc, out.plan) == []
    if singles == 4 and cpsat:
        assert out.plan.stages.seating["F01"] == "optimal"  # CP-SAT's own answer passed the solver's check


def test_check_rejects_a_second_stretcher_case() -> None:
    sc, plan = _two_stretcher_households(0)
    job = flight_job(sc, flight_facts(sc, plan.flights[0]), time_limit=0.1, deterministic=True)
    problem = SeatingProblem(job, Cabin(job))
    seats = {"A1": "36A", "A2": "36C", "B1": "37A", "B2": "37C", "M1": "35A", "O1": "1A"}
    assert check(problem, seats) == ["B1: a second stretcher case in the zone (one case per zone)"]
    del seats["B1"], seats["B2"]
    assert check(problem, seats) == []
    # CP-SAT around a fixed first case leaves the second household off rather than put it in the zone
    free = {u: list(problem.allowed[u]) for u in ("B1", "B2")}
    found, _ = submodel(problem, seats, free, {}, 1.0, True)
    assert found == {}


DOORS = AircraftType(type="D-20x6", rows={"first": 1, "last": 20}, layout="ABC DEF", exit_rows=[10], door_rows=[7, 15])


def test_reduced_mobility_sits_near_a_door_when_there_is_room() -> None:
    """WCHR passengers (no aisle-seat rule) sit within one row of a door row (level 4), away from the front
    where households are otherwise packed."""
    people = [person("R1", "R1", 70, mobility="WCHR")]
    people += [person("F1", "FAM", 66, mobility="WCHR"), person("F2", "FAM", 40), person("F3", "FAM", 10)]
    people += [person(f"H{h}-{i}", f"H{h}", 30 if i < 2 else 8) for h in range(8) for i in range(3)]
    sc = scenario_with(people, aircraft=DOORS, isolation_rows=1)
    out = seat_plan(sc, plan_for(sc), time_limit=1.0, processes=1, deterministic=True)
    assert out.unplaced == {} and seating_violations(sc, out.plan) == []
    seats = seated(out.plan)
    for who in ("R1", "F1"):
        assert min(abs(int(seats[who][:-1]) - door) for door in (7, 15)) <= 1, seats[who]


def test_replan_keeps_every_seat_and_leaves_out_newcomers_that_do_not_fit() -> None:
    """docs/rules.md#re-plan-stability: seated passengers keep their seats (hard); a newcomer the kept seats leave no
    room for is
    unplaced rather than the flight being re-seated."""
    first = [person(f"S{i:02d}", f"S{i:02d}", 30) for i in range(20)]
    sc = scenario_with(first, aircraft=ROW33, isolation_rows=0)  # 24 seats
    before = seat_plan(sc, plan_for(sc), time_limit=0.5, processes=1, deterministic=True).plan
    newcomers = [person(f"F-{i}", "F", 30) for i in range(6)] + [person("N", "N", 30)]
    sc2 = scenario_with(first + newcomers, aircraft=ROW33, isolation_rows=0)
    out = seat_plan(sc2, plan_for(sc2), time_limit=0.5, processes=1, deterministic=True, previous=before)
    old, new = seated(before), seated(out.plan)
    assert all(new[u] == s for u, s in old.items())
    assert out.unplaced == {"F01": ["F"]} and "N" in new
    assert seating_violations(sc2, out.plan) == []


def test_reseating_around_kept_seats_never_moves_a_kept_passenger() -> None:
    """A re-plan (docs/rules.md#re-plan-stability): kept passengers keep their seats, newcomers go around them; a new
    stretcher
    case whose zone a kept passenger sits in does not fit (its household is listed, seating.no_fit), and no
    kept passenger is moved out of the zone for it."""
    sc, full = _two_stretcher_households(6)
    singles = Plan(scenario=full.scenario, flights=[full.flights[0].model_copy(update={
        "passengers": [p for p in full.flights[0].passengers if p.person_id.startswith("S")],
        "escorts": [e for e in full.flights[0].escorts if e.escort_id == "O1"]})])
    first = seat_plan(sc, singles, time_limit=0.5, processes=1, deterministic=True)
    before = seated(first.plan)
    kept = first.plan.model_copy(deep=True)  # a kept single sits in the stretcher zone
    mover = next(p for p in kept.flights[0].passengers if p.seat not in {"36A", "36B", "37A", "37B"})
    mover.seat = next(s for s in ("36A", "36B", "37A", "37B") if s not in before.values())
    before[mover.person_id] = mover.seat
    plan = plan_for(sc, escorts={"F01": [("M1", ["A1"]), ("O1", [])]})
    plan.flights[0].passengers = [p for p in plan.flights[0].passengers if p.person_id not in {"B1", "B2"}]
    out = seat_plan(sc, plan, time_limit=0.5, processes=1, deterministic=True, previous=kept)
    assert out.unplaced == {"F01": ["HA"]}
    after = seated(out.plan)
    assert {u: after[u] for u in before} == before
    assert seating_violations(sc, out.plan) == []
