"""The planning pipeline: scenario → gates → allocation → test slots → seating → explanations and KPIs → Plan.

`solve` is what the CLI, the service and the tests call. It never reads the clock for planning decisions
(only to enforce time limits) and a stop request always yields a complete plan: the stage running ends with
its best solution and the later stages run greedy or on a minimal budget. The time limit covers the whole
solve (the CLI's and the service's deadline covers loading and writing too): `planner.pipeline.time_budget` splits
what is left between allocation and seating, keeping back what the later stages need (docs/cli.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.allocation.bounds import seat_bound
from planner.allocation.cpsat import HandOver, Incumbent
from planner.allocation.feasibility import complete, top_up, trim_escorts
from planner.allocation.greedy import Allocation, greedy_allocation, seat_density_allocation
from planner.allocation.household_options import Option
from planner.allocation.model import improved_by_windows, level1, solve_allocation
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.slot_booking import solve_flow, test_demand
from planner.model.options import Progress, SolveOptions
from planner.model.plan import FlightPlan, Objective, Plan, Reason, ScenarioRef, TestBooking
from planner.model.reasons import reason
from planner.model.scenario import Scenario
from planner.pipeline.draft import bookings, draft
from planner.pipeline.interrupt import StopRequest
from planner.pipeline.levels import FlightValue, non_robust_value, seating_values
from planner.pipeline.refill import Refill, changed_flights
from planner.pipeline.seating_stage import preload, seat, with_returning
from planner.pipeline.time_budget import (
    ROUND_MARGIN,
    AllocationBudget,
    Size,
    allocation_budget,
    cpsat_floor,
    cpsat_worth_starting,
    finish_estimate,
    measured_pace,
    refill_estimate,
    refill_round_estimate,
    reserve_after_allocation,
)
from planner.report.explain import explain
from planner.report.kpis import compute_kpis
from planner.transfers.schedule import cut_reasons, plan_transfers, transfer_stage
from planner.whatif.pins import apply_pins, seat_pins, unkept
from planner.whatif.replan import Carried, carry_over

SEATING_ROUNDS = 5  # seat, cut and refill at most this often (docs/architecture.md#seating: "a few rounds at most")


def scenario_digest(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def _kept_start(problem: AllocationProblem, previous_escorts: dict[str, list[str]]) -> Allocation:
    """A re-plan's first incumbent: the kept households with escorts, completed and topped up by priority;
    kept households released for lack of lab capacity are no longer fixed."""
    start = complete(problem, Allocation(flight_of=dict(problem.fixed.households)), previous_escorts)
    for hid in list(problem.fixed.households):
        if hid not in start.flight_of:
            del problem.fixed.households[hid]
    return start


def problem_size(problem: AllocationProblem, pace: float = 1.0, alloc: Allocation | None = None) -> Size:
    """The size the stage estimates need; with `alloc`, also the (waiting household, flight with room for it)
    pairs that explaining it will check against lab capacity."""
    movable = [h for h in problem.households if h.options]
    flights = {fid for h in movable for fid in h.options}
    return Size(people=len(problem.scenario.people), passengers=sum(h.household.size for h in movable),
                flights=len(flights), pace=pace, waiting_pairs=_waiting_pairs(problem, alloc) if alloc else 0,
                pairs=problem.pairs, transfers=bool(problem.scenario.vehicles))


def _waiting_pairs(problem: AllocationProblem, alloc: Allocation) -> int:
    """Households not allocated, per flight whose linear capacity limits still have room for them."""
    used: dict[str, list[int]] = {}
    for f in problem.flights:
        fid = f.flight.id
        n = len(alloc.escorts_on.get(fid, []))
        used[fid] = [limit.escort_usage * n for limit in f.limits]
    infos = problem.infos
    for hid, fid in alloc.flight_of.items():
        option = infos[hid].options.get(fid)
        if option is not None and fid in used:
            used[fid] = [u + k for u, k in zip(used[fid], option.usage, strict=False)]
    pairs = 0
    for h in problem.households:
        if h.household.id in alloc.flight_of:
            continue
        for fid, option in h.options.items():
            limits = problem.flight(fid).limits
            if all(u + k <= limit.rhs for u, k, limit in zip(used.get(fid, []), option.usage, limits, strict=False)):
                pairs += 1
    return pairs


def allocate(problem: AllocationProblem, options: SolveOptions, budget: AllocationBudget,
             previous_escorts: dict[str, list[str]] | None = None, pace: float = 1.0,
             hand_over: HandOver | None = None) -> Allocation:
    """Greedy first (the incumbent and the fallback), then CP-SAT within `budget`; the better plan by level 1
    wins. Without budget (time limit 0, or too little time left) the greedy plan stands, unless finishing it
    would cost more than a few seconds of CP-SAT (time_budget.cpsat_floor). `hand_over`:
    planner.allocation.cpsat.HandOver."""
    if previous_escorts is not None:
        greedy = _kept_start(problem, previous_escorts)
    else:
        greedy = trim_escorts(problem, greedy_allocation(problem))
    ga = level1(problem, greedy)[0]
    incumbent = Incumbent(ga)
    options.report(incumbent.progress("greedy", options, "priority-greedy incumbent"))
    best = greedy
    seconds = budget.seconds if options.deterministic else min(budget.seconds, budget.deadline.remaining())
    if math.isinf(seconds):  # a caller's unbounded deadline: the time limit alone
        seconds = options.time_limit
    if not options.deterministic and options.clock().bounded and seconds < 30 and not options.stopped():
        # a few CP-SAT seconds from the later stages' reserve, when explaining a large greedy plan would cost
        # more; never past the deadline (there the greedy plan is the fast path)
        floor = cpsat_floor(problem_size(problem, pace), _waiting_pairs(problem, greedy))
        seconds = max(seconds, min(floor, options.clock().remaining()))
    if options.time_limit > 0 and seconds > 0 and not options.stopped() and any(h.options for h in problem.households):
        started = time.monotonic()
        start = greedy if previous_escorts is not None else _better_start(problem, options, greedy, ga, incumbent)
        if not options.deterministic:
            seconds -= time.monotonic() - started
        if options.deterministic or cpsat_worth_starting(seconds, problem.pairs, pace):
            sa, sb = level1(problem, start)
            cp = trim_escorts(problem, solve_allocation(problem, options, start, seconds, incumbent, hand_over))
            ca, cb = level1(problem, cp)
            if (ca, -cb) >= (sa, -sb):
                best = cp
            else:
                best = Allocation(start.flight_of, start.escorts_on, status=cp.status, bound=cp.bound)
        else:
            best = Allocation(start.flight_of, start.escorts_on, status="greedy", bound=seat_bound(problem))
            incumbent.offer(bound=best.bound)
            options.report(incumbent.progress("allocation", options, "no time to write the CP-SAT model at this "
                                                                     "size: the best greedy plan, the seats' bound"))
    elif options.time_limit > 0 and seconds <= 0:
        options.report(incumbent.progress("allocation", options, "no time left for CP-SAT: priority order"))
    best = trim_escorts(problem, top_up(problem, best))
    if solve_flow(problem, test_demand(problem, best)) is None:  # defensive: never emit an untestable plan
        best = greedy
    return best


def _better_start(problem: AllocationProblem, options: SolveOptions, greedy: Allocation, greedy_value: int,
                  incumbent: Incumbent) -> Allocation:
    """The solver's first incumbent: the priority greedy, or the seat-density greedy topped up when that flies
    more weight (planner.allocation.greedy.seat_density_allocation)."""
    by_density = trim_escorts(problem, top_up(problem, trim_escorts(problem, seat_density_allocation(problem))))
    value = level1(problem, by_density)[0]
    if value <= greedy_value:
        return greedy
    incumbent.offer(value)
    options.report(incumbent.progress("greedy", options, "seat-density greedy incumbent"))
    return by_density


@dataclass
class _Run:
    """One solve's state, shared by its steps."""

    scenario: Scenario
    previous: Plan | None
    options: SolveOptions
    carried: Carried | None
    problem: AllocationProblem
    conflicts: dict[str, Reason]
    started: float
    ref: ScenarioRef
    pace: float = 1.0  # how busy the machine is (time_budget.measured_pace)
    timings: dict[str, float] = field(default_factory=dict)
    cut: dict[str, dict[str, Reason]] = field(default_factory=dict)  # household -> flight -> why a stage cut it
    closed: set[str] = field(default_factory=set)  # flights that take nobody more (the seating rounds ended)
    seat_values: dict[str, FlightValue] = field(default_factory=dict)  # what seating reported per flight
    transfers: _TransferWatch | None = None  # what the allocation learnt of the vehicles

    def mark(self, stage: str) -> None:
        self.timings[stage] = time.monotonic() - self.started


def _prepare(scenario: Scenario, previous: Plan | None, options: SolveOptions) -> _Run:
    """The allocation problem: gates, options, what a re-plan keeps, the officers' pins."""
    started = time.monotonic()
    carried = carry_over(scenario, previous, options.unlock) if previous is not None else None
    skip = frozenset(options.excluded) | (carried.departed_households if carried else frozenset())
    problem = build_problem(scenario, skip, carried.fixed if carried else None)
    if carried is not None:  # kept households must still have their flight as an option
        infos = problem.infos
        released = [hid for hid, fid in problem.fixed.households.items() if fid not in infos[hid].options]
        for hid in released:
            del problem.fixed.households[hid]
        problem.expand(released)
    conflicts = apply_pins(problem, list(options.pins))
    # hashing the scenario takes a while: done here, not after a stop request (docs/cli.md, "Stopping")
    ref = ScenarioRef(name=scenario.name, sha256=scenario_digest(scenario))
    run = _Run(scenario, previous, options, carried, problem, conflicts, started, ref)
    run.mark("problem")
    options.report(Progress("problem", elapsed=options.elapsed(),
                            message=f"{len(problem.households)} households, {len(problem.flights)} flights"))
    # how busy the machine is: building the problem took this much longer than on an idle one
    run.pace = 1.0 if options.deterministic else measured_pace(len(scenario.people), problem.pairs,
                                                                    run.timings["problem"])
    return run


def _allocation(run: _Run) -> tuple[Allocation, AllocationBudget]:
    """Allocation within its share of the time; pins it could not keep become conflicts."""
    options, problem, carried = run.options, run.problem, run.carried
    starts_fixed = carried is not None or bool(problem.fixed.households)
    size = problem_size(problem, run.pace)
    budget = allocation_budget(options.clock(), size, seat=options.seat, seating_time_limit=options.seating_time_limit,
                               processes=options.seating_processes, deterministic=options.deterministic,
                               limit=options.time_limit)
    escorts = (carried.escorts if carried else {}) if starts_fixed else None
    run.transfers = _TransferWatch(run) if size.transfers else None
    alloc = allocate(problem, options, budget, escorts, run.pace, run.transfers)
    run.conflicts.update(unkept(problem, options.pins, alloc.flight_of))
    run.mark("allocation")
    return alloc, budget


class _TransferWatch:
    """Asked with the allocation windows' best plan (`HandOver`): whether the transfer schedule cuts households
    from it (a draft and a schedule: 70 ms at 7,000 people). Then the allocation ends there and what is left of
    its seconds re-plans around the places no vehicle can serve (`_replanned_around`). It keeps the best plan
    the vehicles could bring (`ridden`): the allocation does not model the vehicles, and at 7,000 synthetic
    people the final top-up of a plan the vehicles could bring (70,473) added households that made the schedule
    leave 12 others behind (552 level-1 points; refilled, 69,939)."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.household_of = {p.case_id: p.household_id for p in run.scenario.people}
        self.ridden: Allocation | None = None

    def cuts(self, alloc: Allocation) -> dict[str, Reason]:
        """The households the transfer schedule of `alloc` leaves behind, with why."""
        run = self.run
        plan = draft(run.problem, alloc, run.carried, run.previous, self.household_of, {}, run.ref, book=False)
        return cut_reasons(plan_transfers(run.scenario, plan))

    def __call__(self, alloc: Allocation) -> bool:
        if self.cuts(alloc):
            return True
        if self.ridden is None or level1(self.run.problem, alloc)[0] > level1(self.run.problem, self.ridden)[0]:
            self.ridden = alloc
        return False


def _cut(run: _Run, alloc: Allocation, lost: dict[str, Reason]) -> None:
    """A cut per flight: seating cannot place the household there, or no transfer can bring it
    (docs/architecture.md#seating, docs/transfers.md)."""
    infos = run.problem.infos
    for hid, why in lost.items():
        fid = why.flight_id or ""
        run.cut.setdefault(hid, {})[fid] = why
        infos[hid].options.pop(fid, None)
        alloc.flight_of.pop(hid, None)
        run.problem.fixed.households.pop(hid, None)


def _settle_transfers(run: _Run, alloc: Allocation, refill: Refill, size: Size) -> Allocation:
    """Before anyone is seated: the households no vehicle can bring leave their flight and the refill offers
    their seats to others, not at the same places, round after round until every household rides or none
    waiting fits (docs/transfers.md). A round is a draft, the transfer schedule and a refill (0.3 s at 20,000
    people): at 500 synthetic people (seed 2021) the vehicles could not bring a fifth of the solver's plan, and
    with a seating round for each refill the time ran out after the first (2,928-3,131 against the greedy
    plan's 3,380). Before the first cut, the best plan the allocation found the vehicles could bring is taken
    instead when it flies more than the plan without those cut (`_TransferWatch`); after a cut, what time the
    later stages leave re-plans a few flights at a time with those places closed (`_replanned_around`), and the
    next round checks the result. Rounds stop at a stop request, and when the next would eat into the later
    stages' reserve."""
    options = run.options
    later = reserve_after_allocation(size, options.seat, options.seating_processes, refill=False)
    watch = run.transfers or _TransferWatch(run)
    ridden = watch.ridden
    for _ in range(SEATING_ROUNDS):
        began = time.monotonic()
        lost = watch.cuts(alloc)
        if not lost:
            break
        if ridden is not None and _better_than_cut(run.problem, ridden, alloc, lost):
            # before any cut (the options are as the allocation saw them); checked again next round
            alloc, ridden = trim_escorts(run.problem, ridden.copy(status=alloc.status, bound=alloc.bound)), None
            continue
        ridden = None
        # kept even when nobody else fits: without the escorts of those cut
        refilled = _replanned_around(run, _cut_and_refill(run, alloc, lost, refill), refill, later,
                                     {why.flight_id for why in lost.values() if why.flight_id})
        unchanged, alloc = refilled.flight_of == alloc.flight_of, refilled
        if unchanged or options.stopped():
            break
        took = time.monotonic() - began
        if not options.deterministic and options.clock().remaining() - later < ROUND_MARGIN * took:
            break
    return alloc


def _replanned_around(run: _Run, alloc: Allocation, refill: Refill, later: float, cut_from: set[str]
                      ) -> Allocation:
    """`alloc` (just cut for the transfer schedule and refilled) re-planned a few flights at a time until the
    later stages' reserve (`later`), when the time left pays for writing the program: the refill only fills the
    seats the cuts freed, with whoever waits and fits, where the windows also move households between flights (at
    7,000 synthetic people vehicles could not bring 21 households to one flight, 699 level-1 points; the refill
    put back 81 of them, 0.9 s of windows 155 more). A household is offered no flight the refill would not offer
    it (`Refill.skip`: the vehicles that could not take one from a place cannot take another). The windows with
    a flight households were cut from (`cut_from`) come first. Not in a deterministic solve (the windows run by
    the clock)."""
    options, problem = run.options, run.problem
    if options.deterministic or options.stopped() or not options.clock().bounded:
        return alloc
    until = time.monotonic() + options.clock().remaining() - later
    if not cpsat_worth_starting(until - time.monotonic(), problem.pairs, run.pace):
        return alloc
    closed: dict[str, dict[str, Option]] = {}  # household -> flight -> its option there, not offered now
    for info in problem.households:
        hid = info.household.id
        for fid in [f for f in info.options if f != alloc.flight_of.get(hid) and refill.skip(info, f)]:
            closed.setdefault(hid, {})[fid] = info.options.pop(fid)
    try:
        return improved_by_windows(problem, alloc, until, options, cut_from)
    finally:
        for hid, options_there in closed.items():
            problem.infos[hid].options.update(options_there)


def _better_than_cut(problem: AllocationProblem, ridden: Allocation, alloc: Allocation, lost: dict[str, Reason]
                     ) -> bool:
    """Whether a plan the vehicles could bring flies more than `alloc` without the households they cannot."""
    weight = {h.household.id: h.weight for h in problem.households}
    return level1(problem, ridden)[0] > level1(problem, alloc)[0] - sum(weight[h] for h in lost)


def _cut_and_refill(run: _Run, alloc: Allocation, lost: dict[str, Reason], refill: Refill) -> Allocation:
    """The households a round lost leave `alloc` (noted first: the refill reads their options), and a copy
    of what is left is refilled by priority."""
    refill.note(lost)
    _cut(run, alloc, lost)
    return refill.refilled(alloc)


def _last_round(run: _Run, round_: int, size: Size, round_cost: float) -> bool:
    """No refill round after this one: the rounds are used up, a stop was requested (docs/cli.md, "Stopping": later
    seating rounds do not start), or the next round, costing `round_cost` (estimated from this round's cost per
    flight and the flights it would seat again), would run into the time kept for finishing (a deterministic
    solve counts rounds only)."""
    options = run.options
    if round_ == SEATING_ROUNDS - 1 or options.stopped():
        return True
    if options.deterministic:
        return False
    return options.clock().remaining() - finish_estimate(size) < round_cost


def _seating_rounds(run: _Run, alloc: Allocation, budget: AllocationBudget) -> tuple[Plan, Allocation]:
    """Test slots and seating; households seating cannot place leave their flight, the freed seats are
    refilled by priority and seated again, everyone seated keeping their seat (docs/architecture.md#seating)."""
    options, problem, carried = run.options, run.problem, run.carried
    # the waiting pairs only size the time estimates of later rounds and CP-SAT seating, none of which a stop
    # request leaves to run (docs/cli.md, "Stopping"): not counted then
    size = problem_size(problem, run.pace, None if options.stopped() else alloc)
    household_of = {p.case_id: p.household_id for p in run.scenario.people}
    prior = seat_pins(options.pins, carried.seats if carried else {})
    first = prior  # the seats the solve started from
    trusted: dict[str, FlightPlan] = {}  # flights the last round seated (and checked)
    refill = Refill(problem)
    if size.transfers and not options.stopped():
        alloc = _settle_transfers(run, alloc, refill, size)
    seating_now = len(set(alloc.flight_of.values()) | set(alloc.escorts_on))  # flights this round seats
    for round_ in range(SEATING_ROUNDS):
        booked: list[TestBooking] = []

        def book(alloc: Allocation = alloc, round_: int = round_, booked: list[TestBooking] = booked) -> None:
            booked += bookings(problem, alloc, carried, run.previous, household_of)
            if round_ == 0:
                run.mark("tests")
                options.report(Progress("tests", elapsed=options.elapsed(), message=f"{len(booked)} samples booked"))

        # the bookings are made while seating workers seat the flights (seating does not read them): after a
        # stop request, that is time off what the stop leaves to do (docs/cli.md, "Stopping")
        round_began = time.monotonic()
        plan = draft(problem, alloc, carried, run.previous, household_of, prior, run.ref, book=False)
        round_started = time.monotonic()
        lost: dict[str, Reason] = {}
        if options.seat:
            plan, unplaced = seat(problem, plan, options, prior, trusted,
                                  budget.seating_seconds if round_ == 0 else 0.0, size, run.seat_values,
                                  meanwhile=book, refill=refill_estimate(size) if round_ == 0 else 0.0)
            plan.tests = booked
            gone = {pid for hid in unplaced for pid in problem.infos[hid].household.member_ids}
            plan.tests = [b for b in plan.tests if b.person_id not in gone]
            lost = {hid: reason("seating.no_fit", fid) for hid, fid in unplaced.items()}
        else:
            book()
            plan.tests = booked
        seating_took = time.monotonic() - round_started
        plan, untransported = transfer_stage(run.scenario, plan)  # docs/transfers.md
        lost.update(untransported)
        if not lost:
            break
        refilled = _cut_and_refill(run, alloc, lost, refill)
        if refilled.flight_of == alloc.flight_of:
            break  # nobody waiting fits the freed seats: the seated plan, without the cut households, is final
        # the next round seats again only the flights the cuts and the refill changed
        changed = changed_flights(alloc, refilled)
        cost = refill_round_estimate(size, len(changed), seating_took / max(1, seating_now),
                                     time.monotonic() - round_began - seating_took)
        if _last_round(run, round_, size, cost):
            # the households cut freed seats, and lab capacity other flights share, so no flight takes anybody
            # more: whoever would fit now is told the seating rounds ended there; a household seating dropped
            # is listed as unassigned, never left out of the plan
            run.closed = {fp.flight_id for fp in plan.flights}
            break
        seating_now = len(changed)
        alloc = refilled
        trusted = {fp.flight_id: fp for fp in plan.flights}
        prior = {**prior, **{fid: with_returning(fp, first.get(fid)) for fid, fp in trusted.items()}}
    # a flight some household was refused on offered its free seats only to those needing less of them, and
    # none to those waiting where no vehicle could come from for it
    run.closed |= refill.flights
    refill.add_unreachable(run.cut, alloc)
    if options.seat:
        run.mark("seating")
    return plan, alloc


def _objective(problem: AllocationProblem, plan: Plan, alloc: Allocation,
               seat_values: dict[str, FlightValue]) -> Objective:
    """The solver's own values of the levels it optimised (seating's only when it ran)."""
    value, value_b = level1(problem, alloc)
    bound = alloc.bound if alloc.bound is not None else sum(h.weight for h in problem.households if h.options)
    bound = max(bound, value)
    spread: int | None = None
    seat_cost: int | None = None
    if plan.stages.seating is not None:
        spread, seat_cost = seating_values(problem.scenario, plan, seat_values)
    return Objective(level1_value=value, level1_bound=bound, gap=round((bound - value) / bound, 6) if bound else 0.0,
                     level1b_value=value_b, level2_spread=spread, level4_non_robust=non_robust_value(problem, plan),
                     level4_seat_cost=seat_cost)


def _finish(run: _Run, plan: Plan, alloc: Allocation, checkable: Callable[[Plan], object] | None = None) -> Plan:
    """Departed flights back in, reasons for everyone not flying, the objective, KPIs and timings."""
    options, problem, carried = run.options, run.problem, run.carried
    if carried is not None:
        plan.flights = sorted(plan.flights + [fp.model_copy(update={"locked": True}) for fp in carried.departed],
                              key=lambda fp: fp.flight_id)
    plan.unassigned = explain(problem, alloc, run.cut, options.excluded,
                              carried.departed_households if carried else frozenset(), run.conflicts, run.closed)
    if checkable is not None:  # what the validator reads is final: the objective and KPIs are not checked
        checkable(plan)
    plan.objective = _objective(problem, plan, alloc, run.seat_values)
    if options.stopped():
        plan.status = "stopped"  # a stop during seating too: some flights were seated greedily
    plan.kpis = compute_kpis(run.scenario, plan)
    run.mark("total")
    if not options.deterministic:
        plan.timings = {k: round(v, 3) for k, v in run.timings.items()}
    objective = plan.objective
    options.report(Progress("done", objective.level1_value, objective.level1_bound, objective.gap,
                            options.elapsed(), "stopped: best complete plan so far" if options.stopped() else ""))
    return plan


def _before_plan(options: SolveOptions) -> contextlib.AbstractContextManager[None]:
    """Until the problem is built no plan exists: the stop of a command that makes this one plan ends that part
    at once, without a plan (planner.pipeline.interrupt; docs/cli.md, "Stopping"). Other callers' stops are
    seen from the greedy on."""
    stop = options.stop
    if isinstance(stop, StopRequest) and stop.single_plan:
        return stop.before_plan()
    return contextlib.nullcontext()


def solve(scenario: Scenario, previous: Plan | None = None, options: SolveOptions | None = None,
          checkable: Callable[[Plan], object] | None = None) -> Plan:
    """Plan the operation: who flies on which flight, in which seat, tested when and where.

    `checkable` is called with the plan once everything the validator reads is final (flights, seats, test
    bookings, the people left out and their reasons), before the objective and KPIs: the CLI starts the
    validation there, so that it runs alongside them (docs/cli.md, "Stopping")."""
    options = options or SolveOptions()
    options.clock()  # the deadline: the caller's (the whole command), or from now by options.time_limit
    with _before_plan(options):
        if options.seat:
            preload()
        run = _prepare(scenario, previous, options)
    alloc, budget = _allocation(run)
    plan, alloc = _seating_rounds(run, alloc, budget)
    return _finish(run, plan, alloc, checkable)
