"""The planning pipeline: scenario → gates → allocation → test slots → seating → explanations and KPIs → Plan.

`solve` is what the CLI, the service and the tests call. It never reads the clock for planning decisions
(only to enforce time limits) and a stop request always yields a complete plan: the stage running ends with
its best solution and the later stages run greedy or on a minimal budget. The time limit covers the whole
solve (the CLI's and the service's deadline covers loading and writing too): `planner.pipeline.time_budget` splits
what is left between allocation and seating, keeping back what the later stages need (docs/cli.md).
"""

from __future__ import annotations

import hashlib
import math
import time

from planner.allocation.feasibility import complete, top_up, trim_escorts
from planner.allocation.greedy import Allocation, greedy_allocation
from planner.allocation.model import Incumbent, level1, solve_allocation
from planner.allocation.problem import AllocationProblem, build_problem
from planner.allocation.slot_booking import book_slots, solve_flow, test_demand
from planner.model.caseload import departure_date, is_medical_case
from planner.model.options import Progress, SolveOptions
from planner.model.plan import EscortOnBoard, FlightPlan, Objective, Passenger, Plan, ScenarioRef, Stages
from planner.model.scenario import Scenario
from planner.pipeline.time_budget import (
    AllocationBudget,
    Size,
    allocation_budget,
    cpsat_floor,
    finish_estimate,
    measured_pace,
    seating_budget,
)
from planner.report.explain import explain
from planner.report.kpis import compute_kpis
from planner.whatif.pins import apply_pins, seat_pins, unkept
from planner.whatif.replan import Carried, carry_over, kept_bookings

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
                flights=len(flights), pace=pace, waiting_pairs=_waiting_pairs(problem, alloc) if alloc else 0)


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
             previous_escorts: dict[str, list[str]] | None = None, pace: float = 1.0) -> Allocation:
    """Greedy first (the incumbent and the fallback), then CP-SAT within `budget`; the better plan by level 1
    wins. Without budget (time limit 0, or too little time left) the greedy plan stands, unless finishing it
    would cost more than a few seconds of CP-SAT (time_budget.cpsat_floor)."""
    if previous_escorts is not None:
        greedy = _kept_start(problem, previous_escorts)
    else:
        greedy = trim_escorts(problem, greedy_allocation(problem))
    ga, gb = level1(problem, greedy)
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
        cp = trim_escorts(problem, solve_allocation(problem, options, greedy, seconds, incumbent))
        ca, cb = level1(problem, cp)
        if (ca, -cb) >= (ga, -gb):
            best = cp
        else:
            best = Allocation(greedy.flight_of, greedy.escorts_on, status=cp.status, bound=cp.bound)
    elif options.time_limit > 0 and seconds <= 0:
        options.report(incumbent.progress("allocation", options, "no time left for CP-SAT: priority order"))
    best = trim_escorts(problem, top_up(problem, best))
    if solve_flow(problem, test_demand(problem, best)) is None:  # defensive: never emit an untestable plan
        best = greedy
    return best


def _serves(escorts: list[str], roles: dict[str, str], queues: dict[str, tuple[list[str], int]],
            before: dict[str, list[str]]) -> dict[str, list[str]]:
    """Whom each escort serves: in a re-plan everyone keeps the escort they had (so kept seats still sit beside
    their escort, docs/rules.md#re-plan-stability), then the cases left are shared in order among escorts of the role
    with room."""
    out: dict[str, list[str]] = {eid: [] for eid in escorts}
    left = {role: list(queue) for role, (queue, _) in queues.items()}
    for eid in escorts:
        role = roles[eid]
        if role not in queues:
            continue
        per = queues[role][1]
        mine = [p for p in before.get(eid, []) if p in left[role]][:per]
        out[eid] = mine
        left[role] = [p for p in left[role] if p not in mine]
    for eid in escorts:
        role = roles[eid]
        if role not in queues:
            continue
        room = queues[role][1] - len(out[eid])
        if room > 0:
            out[eid] = out[eid] + left[role][:room]
            left[role] = left[role][room:]
    return out


def _flight_plans(problem: AllocationProblem, alloc: Allocation,
                  served_before: dict[str, dict[str, list[str]]] | None = None) -> list[FlightPlan]:
    """Flight plans of an allocation; `served_before` (flight -> escort -> people) keeps escort pairings."""
    served_before = served_before or {}
    scenario = problem.scenario
    infos = problem.infos
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
        on_board = sorted(alloc.escorts_on.get(fid, []))
        served = _serves(on_board, {e.id: e.role for e in problem.escorts},
                         {"medical": (medical, rules.medical_per_cases), "uasc": (uasc, rules.uasc_per_escort)},
                         served_before.get(fid, {}))
        escorts = [EscortOnBoard(escort_id=eid, serves=served[eid]) for eid in on_board]
        out.append(FlightPlan(flight_id=fid, passengers=sorted(passengers, key=lambda x: x.person_id),
                              escorts=escorts, provisional=sorted(provisional)))
    return out


def _tests_of(plan: Plan, fp: FlightPlan) -> list:
    people = {pa.person_id for pa in fp.passengers}
    escorts = {e.escort_id for e in fp.escorts}
    return [b for b in plan.tests
            if b.person_id in people or (b.escort_id in escorts and b.flight_id in (None, fp.flight_id))]


def _occupancy(fp: FlightPlan) -> tuple:
    """Who is on a flight and how (lap, escort pairings): two flight plans with equal occupancy seat alike."""
    return (tuple(sorted((pa.person_id, pa.lap_of or "") for pa in fp.passengers)),
            tuple(sorted((e.escort_id, tuple(sorted(e.serves))) for e in fp.escorts)))


def _kept_seating(problem: AllocationProblem, plan: Plan, previous: dict[str, FlightPlan],
                  trusted: dict[str, FlightPlan] | None = None) -> dict[str, FlightPlan]:
    """Flights that are unchanged or only lost people since the previous plan keep everyone's seat when that
    still keeps every seating rule (checked by the independent rule checker, so an aircraft change or a
    broken pairing re-seats the flight), so nobody is reshuffled.

    `trusted` are the flights an earlier seating round of this solve produced (already checked): a flight
    whose occupancy has not changed since is taken as it is, without checking it again."""
    from planner.oracle.seating_checks import case_index, flight_violations
    from planner.oracle.validate import Context, check_capacity

    trusted = trusted or {}
    out: dict[str, FlightPlan] = {}
    probes: dict[str, FlightPlan] = {}
    for fp in plan.flights:
        old = previous.get(fp.flight_id)
        if old is None or not fp.passengers:
            continue
        same = trusted.get(fp.flight_id)
        if same is not None and _occupancy(same) == _occupancy(fp):
            out[fp.flight_id] = same
            continue
        seat_of = {pa.person_id: pa for pa in old.passengers}
        escort_seat = {e.escort_id: e.seat for e in old.escorts}
        if not all(pa.person_id in seat_of and seat_of[pa.person_id].lap_of == pa.lap_of
                   and (pa.lap_of or seat_of[pa.person_id].seat) for pa in fp.passengers):
            continue
        if not all(escort_seat.get(e.escort_id) for e in fp.escorts):
            continue
        probes[fp.flight_id] = fp.model_copy(update={
            "passengers": [pa.model_copy(update={"seat": seat_of[pa.person_id].seat}) for pa in fp.passengers],
            "escorts": [e.model_copy(update={"seat": escort_seat[e.escort_id]}) for e in fp.escorts]})
    if not probes:
        return out
    # one index and one context for all candidate flights: checking them one by one rebuilt both per flight
    scenario = problem.scenario
    probe = plan.model_copy(update={"flights": list(probes.values()),
                                    "stages": Stages(seating={fid: "kept" for fid in probes})})
    over = {v.flight_id for v in check_capacity(Context.build(scenario, probe))}
    index = case_index(scenario)
    known = {f.id for f in scenario.flights}
    for fid, kept in probes.items():
        if fid in known and fid not in over and not flight_violations(scenario, kept, index):
            out[fid] = kept
    return out


def _with_returning(seated: FlightPlan, before: FlightPlan | None) -> FlightPlan:
    """A seated flight plus the starting seats of people not on it now whose seat is still free, so that a
    household released in one seating round and given its flight back in a later one (its sample became
    testable again) sits where it sat, not as a newcomer."""
    if before is None:
        return seated
    here = {pa.person_id for pa in seated.passengers}
    used = {pa.seat for pa in seated.passengers if pa.seat} | {e.seat for e in seated.escorts if e.seat}
    back = [pa for pa in before.passengers if pa.person_id not in here and pa.seat and pa.seat not in used]
    return seated.model_copy(update={"passengers": seated.passengers + back}) if back else seated


def _seat(problem: AllocationProblem, plan: Plan, options: SolveOptions, previous: dict[str, FlightPlan],
          trusted: dict[str, FlightPlan] | None = None, planned: float | None = None, size: Size | None = None
          ) -> tuple[Plan, dict[str, str]]:
    """Run the seating stage; households it cannot place leave their flight (and their test bookings).

    In a re-plan, flights whose passengers and escorts are unchanged keep their previous seats and are not
    seated again (docs/rules.md#re-plan-stability); `trusted` are flights an earlier round of this solve seated."""
    try:
        from planner.seating.seat_plan import seat_plan
    except ModuleNotFoundError:  # seating not installed in this build: seats stay unset, stage absent
        return plan, {}
    keep = _kept_seating(problem, plan, previous, trusted)
    todo = plan.model_copy(update={"flights": [fp for fp in plan.flights if fp.flight_id not in keep]})
    prior = Plan(scenario=plan.scenario, flights=list(previous.values())) if previous else None
    # after a stop request, seating runs its greedy only (no CP-SAT), so a stop yields a complete plan quickly;
    # near the deadline too: each flight gets CP-SAT seconds only while the seating deadline is ahead
    size = size or problem_size(problem)
    to_seat = [fp for fp in todo.flights if fp.passengers or fp.escorts]
    size = Size(size.people, sum(len(fp.passengers) + len(fp.escorts) for fp in to_seat), len(to_seat), size.pace,
                size.waiting_pairs)
    budget = seating_budget(options.clock(), size, seating_time_limit=options.seating_time_limit,
                            processes=options.seating_processes, deterministic=options.deterministic,
                            planned=planned)
    total = len(to_seat)
    mode = "CP-SAT" if budget.per_flight > 0 and not options.stopped() else "greedy"
    options.report(Progress("seating", elapsed=options.elapsed(), done=0, total=total,
                            message=f"seated 0 of {total} flights ({mode})"))

    def seated_one(done: int, of: int) -> None:
        options.report(Progress("seating", elapsed=options.elapsed(), done=done, total=of,
                                message=f"seated {done} of {of} flights"))

    outcome = seat_plan(problem.scenario, todo, time_limit=budget.per_flight,
                        processes=options.seating_processes, deterministic=options.deterministic, previous=prior,
                        cpsat=budget.per_flight > 0 and not options.stopped(), deadline_at=budget.deadline.at,
                        stop=options.stop, on_flight=seated_one)
    unseated = {hid: fid for fid, hids in outcome.unplaced.items() for hid in hids}
    seated = outcome.plan
    merged = {fp.flight_id: fp for fp in seated.flights}
    for fid, old in keep.items():
        merged[fid] = old.model_copy(update={"locked": fid in problem.fixed.locked})
    seated.flights = [merged[fp.flight_id] for fp in plan.flights]
    seated.stages.seating = {**(seated.stages.seating or {}), **{fid: "kept" for fid in keep}}
    return seated, unseated


def _draft(problem: AllocationProblem, alloc: Allocation, carried: Carried | None, previous: Plan | None,
           household_of: dict[str, str], prior: dict[str, FlightPlan], ref: ScenarioRef) -> Plan:
    """The plan of an allocation before seating: flights, escorts and test bookings; escorts keep serving whom
    they served in `prior` (the previous plan, then the last seating round)."""
    served_before = {fid: {e.escort_id: list(e.serves) for e in fp.escorts} for fid, fp in prior.items()}
    bookings = book_slots(problem, alloc, solve_flow(problem, test_demand(problem, alloc)) or {})
    if carried is not None:
        bookings = sorted(bookings + kept_bookings(carried, alloc.flight_of, household_of),
                          key=lambda b: (b.site_id, b.start, b.person_id or "", b.escort_id or ""))
    plan = Plan(scenario=ref,
                status=alloc.status, stages=Stages(allocation=alloc.status, tests="optimal"),
                flights=_flight_plans(problem, alloc, served_before), tests=bookings)
    if carried is not None and previous is not None:
        for fp in plan.flights:
            fp.locked = fp.flight_id in problem.fixed.locked
        plan.tests += [b for fp in carried.departed for b in _tests_of(previous, fp)]
    return plan


def solve(scenario: Scenario, previous: Plan | None = None, options: SolveOptions | None = None) -> Plan:
    """Plan the operation: who flies on which flight, in which seat, tested when and where."""
    options = options or SolveOptions()
    options.clock()  # the deadline: the caller's (the whole command), or from now by options.time_limit
    started = time.monotonic()
    timings: dict[str, float] = {}
    excluded = options.excluded
    carried = carry_over(scenario, previous, options.unlock) if previous is not None else None
    skip = frozenset(excluded) | (carried.departed_households if carried else frozenset())
    problem = build_problem(scenario, skip, carried.fixed if carried else None)
    if carried is not None:  # kept households must still have their flight as an option
        infos = problem.infos
        released = [hid for hid, fid in problem.fixed.households.items() if fid not in infos[hid].options]
        for hid in released:
            del problem.fixed.households[hid]
        problem.expand(released)
    pins = options.pins
    conflicts = apply_pins(problem, pins)
    timings["problem"] = time.monotonic() - started
    options.report(Progress("problem", elapsed=options.elapsed(),
                            message=f"{len(problem.households)} households, {len(problem.flights)} flights"))
    starts_fixed = carried is not None or bool(problem.fixed.households)
    # how busy the machine is: building the problem took this much longer than on an idle one
    pace = 1.0 if options.deterministic else measured_pace(len(scenario.people), timings["problem"])
    budget = allocation_budget(options.clock(), problem_size(problem, pace), seat=options.seat,
                               seating_time_limit=options.seating_time_limit,
                               processes=options.seating_processes, deterministic=options.deterministic,
                               limit=options.time_limit)
    alloc = allocate(problem, options, budget, (carried.escorts if carried else {}) if starts_fixed else None, pace)
    conflicts.update(unkept(problem, pins, alloc.flight_of))
    timings["allocation"] = time.monotonic() - started
    size = problem_size(problem, pace, alloc)
    household_of = {p.case_id: p.household_id for p in scenario.people}
    infos = problem.infos
    prior = seat_pins(pins, carried.seats if carried else {})
    first = prior  # the seats the solve started from
    unseated: dict[str, set[str]] = {}
    closed: set[str] = set()
    trusted: dict[str, FlightPlan] = {}  # flights the last round seated (and checked)
    ref = ScenarioRef(name=scenario.name, sha256=scenario_digest(scenario))  # hashing the scenario takes a while
    for round_ in range(SEATING_ROUNDS):
        plan = _draft(problem, alloc, carried, previous, household_of, prior, ref)
        if round_ == 0:
            timings["tests"] = time.monotonic() - started
            options.report(Progress("tests", elapsed=options.elapsed(), message=f"{len(plan.tests)} samples booked"))
        if not options.seat:
            break
        round_started = time.monotonic()
        seated, lost = _seat(problem, plan, options, prior, trusted, budget.seating_seconds if round_ == 0 else 0.0,
                             size)
        gone = {pid for hid in lost for pid in infos[hid].household.member_ids}
        seated.tests = [b for b in seated.tests if b.person_id not in gone]
        plan = seated
        if not lost:
            break
        # a cut per flight: the household cannot be seated there; refill the freed seats and seat again,
        # everyone already seated keeping their seat (docs/architecture.md#seating). After a stop request too: the
        # rounds then
        # seat greedily (fast), and a household seating dropped must be listed as unassigned, never left out
        # of the plan, while seats it freed go to the households waiting for them.
        for hid, fid in lost.items():
            unseated.setdefault(hid, set()).add(fid)
            infos[hid].options.pop(fid, None)
            alloc.flight_of.pop(hid, None)
            problem.fixed.households.pop(hid, None)
        # another round costs about what this one did; near the deadline the flights take nobody more (a
        # deterministic solve counts rounds only)
        late = not options.deterministic and options.clock().remaining() - finish_estimate(size) \
            < 1.5 * (time.monotonic() - round_started)
        if round_ == SEATING_ROUNDS - 1 or late:
            # seating kept refusing the newcomers these flights' free seats were given, or the time for another
            # round is gone. The households cut freed seats, and lab capacity that other flights share, so no
            # flight takes anybody more: whoever would fit now is told the seating rounds ended there
            closed = {fp.flight_id for fp in plan.flights}
            break
        before = dict(alloc.flight_of)
        alloc = top_up(problem, alloc)
        if alloc.flight_of == before:
            break  # nobody waiting fits the freed seats: the seated plan, without the cut households, is final
        alloc = trim_escorts(problem, alloc)
        trusted = {fp.flight_id: fp for fp in seated.flights}
        prior = {**prior, **{fid: _with_returning(fp, first.get(fid)) for fid, fp in trusted.items()}}
    if options.seat:
        timings["seating"] = time.monotonic() - started
    if carried is not None:
        plan.flights = sorted(plan.flights + [fp.model_copy(update={"locked": True}) for fp in carried.departed],
                              key=lambda fp: fp.flight_id)
    plan.unassigned = explain(problem, alloc, unseated, excluded,
                              carried.departed_households if carried else frozenset(), conflicts, closed)
    value, value_b = level1(problem, alloc)
    bound = alloc.bound if alloc.bound is not None else sum(h.weight for h in problem.households if h.options)
    bound = max(bound, value)
    plan.objective = Objective(level1_value=value, level1_bound=bound,
                               gap=round((bound - value) / bound, 6) if bound else 0.0, level1b_value=value_b)
    if options.stopped():
        plan.status = "stopped"  # a stop during seating too: some flights were seated greedily
    plan.kpis = compute_kpis(scenario, plan)
    timings["total"] = time.monotonic() - started
    if not options.deterministic:
        plan.timings = {k: round(v, 3) for k, v in timings.items()}
    options.report(Progress("done", value, bound, plan.objective.gap, options.elapsed(),
                            "stopped: best complete plan so far" if options.stopped() else ""))
    return plan
