"""The bound from row prices (planner.allocation.bounds): exact duals give the LP optimum, any prices give a
bound no plan exceeds, and PDLP at a loose tolerance still proves one close to the exact LP's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import flight, person, scenario
from planner.allocation.bounds import RowMatrix, lagrangian_bound, proven_bound, seat_bound
from planner.allocation.greedy import greedy_allocation
from planner.allocation.linear import linear_program, lp_relaxation, trivial_bound
from planner.allocation.model import build_model, level1, whole_escorts_cut
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.program import AllocationModel
from planner.model.scenario import Escort
from planner.synth.generate import generate_scenario


@pytest.fixture(scope="module")
def problem() -> AllocationProblem:
    return build_problem(generate_scenario(people=600, seed=3))


@pytest.fixture(scope="module")
def model(problem: AllocationProblem) -> AllocationModel:
    return build_model(problem)


_LP: dict[int, int] = {}


def _lp_optimum(model: AllocationModel) -> int:
    if id(model) not in _LP:
        _LP[id(model)] = lp_relaxation(model)[1]
    return _LP[id(model)]


def _cpsat_best(model: AllocationModel, optimal: bool = False) -> int:
    """Level 1a of CP-SAT's best plan of the whole program in 3 s (`optimal`: proven optimal)."""
    from ortools.sat.python import cp_model

    from planner.allocation.cpsat import cp_base_model, weighted

    cp = cp_base_model(model)
    xs = [cp.get_int_var_from_proto_index(i) for i in range(len(model.upper))]
    cp.maximize(weighted(xs, model.level_a))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 3
    solver.parameters.num_workers = 2
    status = solver.solve(cp)
    assert status == cp_model.OPTIMAL if optimal else status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return round(solver.objective_value)


def test_exact_duals_prove_the_lp_optimum(model: AllocationModel) -> None:
    solver, _, objective = linear_program(model, "GLOP", integer=False)
    assert solver.Solve() == 0
    bound = proven_bound(RowMatrix(model), [row.dual_value() for row in solver.constraints()])
    assert bound == lp_relaxation(model)[1] == int(objective.Value() + 1e-6)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_prices_bound_every_plan(problem: AllocationProblem, model: AllocationModel, data: st.DataObject) -> None:
    matrix = RowMatrix(model)
    price = st.sampled_from([0.0, 0.0, 0.5, -0.5, 3.0, -3.0, 40.0, -40.0])
    prices = data.draw(st.lists(price, min_size=len(matrix.lo), max_size=len(matrix.lo)))
    plan_value = level1(problem, greedy_allocation(problem))[0]
    lp_optimum = _lp_optimum(model)  # weak duality: no prices bound below the LP optimum, let alone a plan
    assert lp_optimum >= plan_value
    assert lagrangian_bound(matrix, prices) >= lp_optimum
    assert proven_bound(matrix, prices) >= lp_optimum


def test_polished_prices_prove_a_lower_bound_never_below_the_lp(model: AllocationModel) -> None:
    import time

    solver, _, _ = linear_program(model, "GLOP", integer=False)
    assert solver.Solve() == 0
    loose = np.asarray([row.dual_value() for row in solver.constraints()]) * 1.3  # prices of a loose solver
    matrix = RowMatrix(model)
    start = proven_bound(matrix, loose)
    polished = proven_bound(matrix, loose, until=time.monotonic() + 1.0)
    assert _lp_optimum(model) <= polished < start  # better, and still a bound (weak duality)
    stopped = proven_bound(matrix, loose, until=time.monotonic() + 60, stopped=lambda: True)
    assert stopped == start  # a stop request ends the polishing at once


def test_zero_prices_give_every_variable_at_its_upper_bound(model: AllocationModel) -> None:
    matrix = RowMatrix(model)
    assert lagrangian_bound(matrix, np.zeros(len(matrix.lo))) == pytest.approx(float(matrix.objective @ matrix.upper))


def test_loose_pdlp_still_proves_a_close_bound(model: AllocationModel) -> None:
    solver, _, _ = linear_program(model, "PDLP", integer=False)
    solver.SetSolverSpecificParametersAsString(
        "termination_criteria { simple_optimality_criteria { eps_optimal_relative: 1e-3 eps_optimal_absolute: 1e-3 } }")
    assert solver.Solve() == 0
    exact = lp_relaxation(model)[1]
    bound = proven_bound(RowMatrix(model), [row.dual_value() for row in solver.constraints()])
    assert exact <= bound <= exact * 1.01


def test_seat_bound_lies_between_the_lp_and_everyone_flying(problem: AllocationProblem, model: AllocationModel
                                                            ) -> None:
    # it counts escorts' seats in whole seats, so it may lie below the LP optimum, never below a plan (CP-SAT's
    # best, near the optimum)
    best = _cpsat_best(model)
    assert level1(problem, greedy_allocation(problem))[0] <= best <= seat_bound(problem) <= trivial_bound(model)


def test_seat_bound_is_the_best_filling_of_the_seats_when_seats_are_short() -> None:
    # twenty households of two for one 30-seat flight: the seats, not the households, bound the plan
    people = [person(f"P{h}{i}", household=f"H{h:02d}") for h in range(20) for i in range(2)]
    problem = build_problem(scenario(people, [flight("F1", aircraft="SMALL")]))
    model = build_model(problem)
    seats = next(lim.rhs for lim in problem.flights[0].limits if lim.name == "seats")
    weight = problem.households[0].weight
    assert all(h.weight == weight for h in problem.households)
    assert seats < 40
    ratio = problem.scenario.protocol.escorts.operational_per_passengers
    room = ratio * seats // (ratio + 1)  # the operational escort these passengers need takes a seat too
    assert room < seats
    assert _cpsat_best(model, optimal=True) == (room // 2) * weight  # whole households of two in the room left
    assert seat_bound(problem) == room * weight // 2 < trivial_bound(model) == 20 * weight


def test_seat_bound_charges_each_medical_case_its_share_of_an_escort_seat() -> None:
    # twenty households of two, one of each needing a medical escort (one for two cases), for one 30-seat
    # flight: with the escorts' seats, 11 households fit (22 seats, 6 medical escorts, 1 operational), not 14
    people = [person(f"P{h}{i}", household=f"H{h:02d}", fitness="fit_with_escort" if i == 0 else "fit")
              for h in range(20) for i in range(2)]
    escorts = [Escort(id="OPS-1", role="operational")] + [Escort(id=f"MED-{k}", role="medical") for k in range(10)]
    problem = build_problem(scenario(people, [flight("F1", aircraft="SMALL")], escorts=escorts))
    seats = next(lim.rhs for lim in problem.flights[0].limits if lim.name == "seats")
    assert seats == 30
    weight = problem.households[0].weight
    rules = problem.scenario.protocol.escorts
    assert (rules.operational_per_passengers, rules.medical_per_cases) == (50, 2)
    assert _cpsat_best(build_model(problem), optimal=True) == 11 * weight
    # each household: 2 seats, 2/50 of an operational escort's and 1/2 of a medical escort's (127/50 seats)
    shares = 30 * 50 * weight / 127
    assert 11 * weight <= seat_bound(problem) <= shares + 1 < 14 * weight


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(1, 120), st.integers(1, 3))
def test_the_whole_escorts_cut_keeps_every_integral_load(capacity: int, ratio: int, usage: int) -> None:
    """Every whole number of operational escorts with the most people they and the seats allow keeps the cut,
    and the cut meets those loads at k and k+1 escorts (it is the hull's edge there, not a looser line)."""
    slope, rhs = whole_escorts_cut(capacity, ratio, usage)
    loads = {e: min(ratio * e, capacity - usage * e) for e in range(capacity // usage + 1)}
    assert all(seated - slope * e <= rhs for e, seated in loads.items())
    k = capacity // (ratio + usage)
    assert loads[k] - slope * k == rhs
    if slope > 0:
        assert loads[k + 1] - slope * (k + 1) == rhs


def test_whole_escorts_tighten_the_lp_bound_to_the_optimum() -> None:
    """Forty single travellers for one 30-seat flight: the relaxation flies 30/51 of an escort and 29.4 people;
    a plan needs a whole escort and flies 29. The cut brings the LP's bound down to that optimum."""
    people = [person(f"P{h:02d}", household=f"H{h:02d}") for h in range(40)]
    problem = build_problem(scenario(people, [flight("F1", aircraft="SMALL")]))
    model = build_model(problem)
    weight = problem.households[0].weight
    assert _cpsat_best(model, optimal=True) == 29 * weight == lp_relaxation(model)[1]
    model.rows = [row for row in model.rows if not row.name.startswith("whole escorts")]
    assert lp_relaxation(model)[1] == 30 * 50 * weight // 51 > 29 * weight


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 96), st.integers(1, 30)), min_size=1, max_size=12), st.integers(0, 48))
def test_turnaround_groups_hold_every_pair_too_close_and_only_those(spans: list[tuple[int, int]], hours: int) -> None:
    """Flights leaving at hour h and flying d hours: every pair one escort cannot fly lies in a group, every
    group is such pairs only, and no group lies inside another (the rows are the largest groups)."""
    from datetime import datetime, timedelta
    from itertools import combinations

    from planner.allocation.problem import escort_conflicts, turnaround_cliques

    start = datetime.fromisoformat("2021-12-01T00:00:00+03:00")
    flights = [flight(f"F{i:02d}").model_copy(update={"departure": start + timedelta(hours=h)}) for i, (h, _) in
               enumerate(spans)]
    flights = [f.model_copy(update={"stops": [s.model_copy(update={"arrival": f.departure + timedelta(hours=d)})
                                              for s in f.stops]}) for f, (_, d) in zip(flights, spans, strict=True)]
    pairs = escort_conflicts(flights, hours)
    groups = turnaround_cliques(flights, pairs)
    assert pairs == {p for g in groups for p in combinations(g, 2)}
    assert not any(set(a) < set(b) for a in groups for b in groups)
