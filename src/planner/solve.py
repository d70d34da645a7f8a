"""The planning pipeline: scenario → gates → allocation → test slots → seating → explanations and KPIs → Plan.

`solve` is what the CLI, the service and the tests call. It never reads the clock for planning decisions
(only to enforce time limits) and a stop request always yields a complete plan: the stage running ends with
its best solution and the later stages run greedy or on a minimal budget.
"""

from __future__ import annotations

import hashlib
import time

from planner.allocation import level1, solve_allocation
from planner.caseload import departure_date, is_medical_case
from planner.explain import explain
from planner.feasibility import top_up, trim_escorts
from planner.greedy import Allocation, greedy_allocation
from planner.kpis import compute_kpis
from planner.options import Progress, SolveOptions
from planner.plan import EscortOnBoard, FlightPlan, Objective, Passenger, Plan, ScenarioRef, Stages
from planner.problem import Problem, build_problem
from planner.scenario import Scenario
from planner.slot_booking import book_slots, solve_flow, test_demand


def scenario_digest(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def allocate(problem: Problem, options: SolveOptions, started: float) -> Allocation:
    """Greedy first (the incumbent and the fallback), then CP-SAT; the better plan by level 1 wins."""
    greedy = trim_escorts(problem, greedy_allocation(problem))
    ga, gb = level1(problem, greedy)
    options.report(Progress("greedy", ga, None, None, time.monotonic() - started, "priority-greedy incumbent"))
    best = greedy
    if options.time_limit > 0 and not options.stopped() and any(h.options for h in problem.households):
        cp = trim_escorts(problem, solve_allocation(problem, options, greedy, started))
        ca, cb = level1(problem, cp)
        if (ca, -cb) >= (ga, -gb):
            best = cp
        else:
            best = Allocation(greedy.flight_of, greedy.escorts_on, status=cp.status, bound=cp.bound)
    best = trim_escorts(problem, top_up(problem, best))
    if solve_flow(problem, test_demand(problem, best)) is None:  # defensive: never emit an untestable plan
        best = greedy
    return best


def _flight_plans(problem: Problem, alloc: Allocation) -> list[FlightPlan]:
    scenario = problem.scenario
    infos = {h.household.id: h for h in problem.households}
    rules = scenario.protocol.escorts
    by_flight: dict[str, list[str]] = {}
    for hid, fid in alloc.flight_of.items():
        by_flight.setdefault(fid, []).append(hid)
    out = []
    for f in problem.flights:
        fid = f.flight.id
        on = departure_date(f.flight, scenario)
        passengers: list[Passenger] = []
        provisional: list[str] = []
        medical: list[str] = []
        uasc: list[str] = []
        for hid in sorted(by_flight.get(fid, [])):
            info = infos[hid]
            laps = dict(info.options[fid].laps)
            for p in info.household.members:
                passengers.append(Passenger(person_id=p.case_id, lap_of=laps.get(p.case_id)))
                if p.fitness == "pending":
                    provisional.append(p.case_id)
                if is_medical_case(p, info.household, on):
                    medical.append(p.case_id)
                if p.unaccompanied_minor:
                    uasc.append(p.case_id)
        roles = {e.id: e.role for e in problem.escorts}
        escorts = []
        queues = {"medical": (medical, rules.medical_per_cases), "uasc": (uasc, rules.uasc_per_escort)}
        for eid in sorted(alloc.escorts_on.get(fid, [])):
            queue, per = queues.get(roles[eid], ([], 0))
            serves, queue[:] = queue[:per], queue[per:]
            escorts.append(EscortOnBoard(escort_id=eid, serves=serves))
        out.append(FlightPlan(flight_id=fid, passengers=sorted(passengers, key=lambda x: x.person_id),
                              escorts=escorts, provisional=sorted(provisional)))
    return out


def _seat(problem: Problem, plan: Plan, options: SolveOptions) -> tuple[Plan, dict[str, str]]:
    """Run the seating stage; households it cannot place leave their flight (and their test bookings)."""
    try:
        from planner.seating import seat_plan
    except ModuleNotFoundError:  # seating not installed in this build: seats stay unset, stage absent
        return plan, {}
    outcome = seat_plan(problem.scenario, plan, time_limit=options.seating_time_limit,
                        processes=options.seating_processes, deterministic=options.deterministic)
    unseated = {hid: fid for fid, hids in outcome.unplaced.items() for hid in hids}
    return outcome.plan, unseated


def solve(scenario: Scenario, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    """Plan the operation: who flies on which flight, in which seat, tested when and where."""
    options = options or SolveOptions()
    started = time.monotonic()
    timings: dict[str, float] = {}
    problem = build_problem(scenario)
    timings["problem"] = time.monotonic() - started
    options.report(Progress("problem", elapsed=timings["problem"],
                            message=f"{len(problem.households)} households, {len(problem.flights)} flights"))
    alloc = allocate(problem, options, started)
    timings["allocation"] = time.monotonic() - started
    flow = solve_flow(problem, test_demand(problem, alloc)) or {}
    bookings = book_slots(problem, alloc, flow)
    timings["tests"] = time.monotonic() - started
    options.report(Progress("tests", elapsed=timings["tests"], message=f"{len(bookings)} samples booked"))
    plan = Plan(scenario=ScenarioRef(name=scenario.name, sha256=scenario_digest(scenario)),
                status=alloc.status, stages=Stages(allocation=alloc.status, tests="optimal"),
                flights=_flight_plans(problem, alloc), tests=bookings)
    unseated: dict[str, str] = {}
    if options.seat:
        plan, unseated = _seat(problem, plan, options)
        for hid in unseated:
            alloc.flight_of.pop(hid, None)
        if unseated:
            gone = {p.case_id for h in problem.households if h.household.id in unseated for p in h.household.members}
            plan.tests = [b for b in plan.tests if b.person_id not in gone]
        timings["seating"] = time.monotonic() - started
        options.report(Progress("seating", elapsed=timings["seating"]))
    plan.unassigned = explain(problem, alloc, unseated, options.extra.get("excluded"))
    value, value_b = level1(problem, alloc)
    bound = alloc.bound if alloc.bound is not None else sum(h.weight for h in problem.households if h.options)
    bound = max(bound, value)
    plan.objective = Objective(level1_value=value, level1_bound=bound,
                               gap=round((bound - value) / bound, 6) if bound else 0.0, level1b_value=value_b)
    plan.kpis = compute_kpis(scenario, plan)
    timings["total"] = time.monotonic() - started
    if not options.deterministic:
        plan.timings = {k: round(v, 3) for k, v in timings.items()}
    options.report(Progress("done", value, bound, plan.objective.gap, timings["total"]))
    return plan
