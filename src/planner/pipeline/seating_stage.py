"""The seating stage of a solve: which flights keep their seats, which are seated again, and how.

Flights whose occupants are unchanged since the previous plan (or an earlier round of this solve) keep their
seats (docs/rules.md#re-plan-stability); the others go to `planner.seating`. With CP-SAT time, `seat_plan`
seats them in parallel processes; without (after a stop request, or too close to the deadline) the greedy
alone seats them, also spread over worker processes when there are enough of them (docs/cli.md, "Stopping").
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from planner.allocation.problem import AllocationProblem
from planner.model.options import Progress, SolveOptions, StopSignal
from planner.model.plan import FlightPlan, Plan, Stages
from planner.model.scenario import Scenario
from planner.pipeline.levels import FlightValue, result_value, seats_of
from planner.pipeline.time_budget import Size, seating_budget
from planner.pipeline.workers import run_in_workers

if TYPE_CHECKING:  # the seating package is imported when seating runs (it may be absent from a build)
    from planner.rules.occupants import CaseIndex
    from planner.seating.job import FlightJob, FlightResult
    from planner.seating.seat_plan import SeatingOutcome

#: greedy seating goes to worker processes from this many people to seat (below, starting them costs more)
PARALLEL_GREEDY_PEOPLE = 600
PARALLEL_GREEDY_FLIGHTS = 3

Occupancy = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, ...]], ...]]


def preload() -> None:
    """Import the seating stage before it is needed: importing (and compiling) it once a stop request has come
    would count against the stop (docs/cli.md, "Stopping"). A build without it seats nothing."""
    with contextlib.suppress(ModuleNotFoundError):
        import planner.seating.seat_plan  # noqa: F401


def occupancy(fp: FlightPlan) -> Occupancy:
    """Who is on a flight and how (lap, escort pairings): two flight plans with equal occupancy seat alike."""
    return (tuple(sorted((pa.person_id, pa.lap_of or "") for pa in fp.passengers)),
            tuple(sorted((e.escort_id, tuple(sorted(e.serves))) for e in fp.escorts)))


def _probe(fp: FlightPlan, old: FlightPlan) -> FlightPlan | None:
    """`fp` with everyone in their seat of `old`, when everyone on it had one there (same lap pairing)."""
    seat_of = {pa.person_id: pa for pa in old.passengers}
    escort_seat = {e.escort_id: e.seat for e in old.escorts}
    if not all(pa.person_id in seat_of and seat_of[pa.person_id].lap_of == pa.lap_of
               and (pa.lap_of or seat_of[pa.person_id].seat) for pa in fp.passengers):
        return None
    if not all(escort_seat.get(e.escort_id) for e in fp.escorts):
        return None
    return fp.model_copy(update={
        "passengers": [pa.model_copy(update={"seat": seat_of[pa.person_id].seat}) for pa in fp.passengers],
        "escorts": [e.model_copy(update={"seat": escort_seat[e.escort_id]}) for e in fp.escorts]})


def kept_seating(problem: AllocationProblem, plan: Plan, previous: dict[str, FlightPlan],
                 trusted: dict[str, FlightPlan] | None = None) -> dict[str, FlightPlan]:
    """Flights that are unchanged or only lost people since the previous plan keep everyone's seat when that
    still keeps every seating rule (checked by the independent rule checker, so an aircraft change or a
    broken pairing re-seats the flight), so nobody is reshuffled.

    `trusted` are the flights an earlier seating round of this solve produced (already checked): a flight
    whose occupancy has not changed since is taken as it is, without checking it again."""
    from planner.oracle.seating_checks import flight_violations
    from planner.rules.base import Context
    from planner.rules.occupants import case_index
    from planner.rules.seats import check_seat_capacity

    trusted = trusted or {}
    out: dict[str, FlightPlan] = {}
    probes: dict[str, FlightPlan] = {}
    for fp in plan.flights:
        old = previous.get(fp.flight_id)
        if old is None or not fp.passengers:
            continue
        same = trusted.get(fp.flight_id)
        if same is not None and occupancy(same) == occupancy(fp):
            out[fp.flight_id] = same
            continue
        probe = _probe(fp, old)
        if probe is not None:
            probes[fp.flight_id] = probe
    if not probes:
        return out
    # one index and one context for all candidate flights: checking them one by one rebuilt both per flight
    scenario = problem.scenario
    probe_plan = plan.model_copy(update={"flights": list(probes.values()),
                                         "stages": Stages(seating={fid: "kept" for fid in probes})})
    over = {v.flight_id for v in check_seat_capacity(Context.build(scenario, probe_plan))}
    index = case_index(scenario)
    known = {f.id for f in scenario.flights}
    for fid, kept in probes.items():
        if fid in known and fid not in over and not flight_violations(scenario, kept, index):
            out[fid] = kept
    return out


def with_returning(seated: FlightPlan, before: FlightPlan | None) -> FlightPlan:
    """A seated flight plus the starting seats of people not on it now whose seat is still free, so that a
    household released in one seating round and given its flight back in a later one (its sample became
    testable again) sits where it sat, not as a newcomer."""
    if before is None:
        return seated
    here = {pa.person_id for pa in seated.passengers}
    used = {pa.seat for pa in seated.passengers if pa.seat} | {e.seat for e in seated.escorts if e.seat}
    back = [pa for pa in before.passengers if pa.person_id not in here and pa.seat and pa.seat not in used]
    return seated.model_copy(update={"passengers": seated.passengers + back}) if back else seated


def _seat_one(job: FlightJob) -> tuple[FlightResult, tuple[int, int]]:
    """In a worker: seat one flight, and the (spread, seat cost) of its seats."""
    from planner.seating.seat_plan import seat_flight

    result = seat_flight(job)
    return result, result_value(job, result)


@dataclass(frozen=True)
class _Shared:
    """What every flight's seating job is built from: in a forked worker, inherited at the fork."""

    scenario: Scenario
    index: CaseIndex
    before: dict[str, dict[str, str]]  # flight -> person or escort -> seat in the prior plan
    deterministic: bool
    deadline_at: float
    fast: bool

    def job(self, fp: FlightPlan) -> FlightJob:
        from planner.rules.occupants import flight_facts
        from planner.seating.seat_plan import flight_job

        job = flight_job(self.scenario, flight_facts(self.scenario, fp, self.index), time_limit=0.0,
                         deterministic=self.deterministic, cpsat=False)
        job.previous = self.before.get(fp.flight_id, {})
        job.deadline_at = self.deadline_at
        job.fast = self.fast
        return job


#: what each running `seat_greedily` shares with its workers, by a number of its own (its workers fork after
#: it is set, and solves in other threads of the process have their own)
_SHARED: dict[int, _Shared] = {}
_NEXT = itertools.count()


def _seat_planned(item: tuple[int, FlightPlan]) -> tuple[FlightResult, tuple[int, int]]:
    """In a forked worker (or here): build one flight's job from what its `seat_greedily` shares and seat it,
    so that building the jobs (the flights' seating facts) is spread over the workers too, not done here
    first."""
    key, fp = item
    return _seat_one(_SHARED[key].job(fp))


def seat_greedily(scenario: Scenario, plan: Plan, *, processes: int, deterministic: bool, prior: Plan | None,
                  deadline_at: float, stop: StopSignal | None, on_flight: Callable[[int, int], None],
                  meanwhile: Callable[[], None] = lambda: None) -> tuple[SeatingOutcome, dict[str, FlightValue]]:
    """Greedy seating of every flight of `plan` in worker processes (no CP-SAT): what a stop request leaves
    to do, a flight per process at a time; merged by flight id, so the result is the one-process result.
    Also each flight's seats with their level-2 and level-4 values, for the plan's objective. Forked workers
    build their flights' jobs themselves (docs/cli.md, "Stopping"); with another start method they get them
    built here."""
    from planner.rules.occupants import case_index
    from planner.seating.seat_plan import apply_results, seats_by_flight

    known = {f.id for f in scenario.flights}
    shared = _Shared(scenario, case_index(scenario), seats_by_flight(prior), deterministic, deadline_at,
                     stop is not None and stop.is_set())
    todo = [fp for fp in sorted(plan.flights, key=lambda f: f.flight_id)
            if fp.flight_id in known and (fp.passengers or fp.escorts)]
    # largest first: the workers finish together
    todo.sort(key=lambda fp: (-(len(fp.passengers) + len(fp.escorts)), fp.flight_id))
    done: list[tuple[FlightResult, tuple[int, int]]]
    if multiprocessing.get_start_method() == "fork":
        key = next(_NEXT)
        _SHARED[key] = shared
        try:
            done = run_in_workers(_seat_planned, [(key, fp) for fp in todo], processes, stop, on_flight, meanwhile)
        finally:
            del _SHARED[key]
    else:
        done = run_in_workers(_seat_one, [shared.job(fp) for fp in todo], processes, stop, on_flight, meanwhile)
    results = {r.flight_id: r for r, _ in done}
    outcome = apply_results(scenario, plan, results)
    seated = {fp.flight_id: fp for fp in outcome.plan.flights}
    values = {r.flight_id: (seats_of(seated[r.flight_id]), *value) for r, value in done if r.flight_id in seated}
    return outcome, values


def _parallel_greedy(options: SolveOptions, cpsat: bool, to_seat: list[FlightPlan]) -> bool:
    people = sum(len(fp.passengers) + len(fp.escorts) for fp in to_seat)
    return (not cpsat and options.seating_processes > 1 and len(to_seat) >= PARALLEL_GREEDY_FLIGHTS
            and people >= PARALLEL_GREEDY_PEOPLE)


def seat(problem: AllocationProblem, plan: Plan, options: SolveOptions, previous: dict[str, FlightPlan],
         trusted: dict[str, FlightPlan] | None = None, planned: float | None = None, size: Size | None = None,
         values: dict[str, FlightValue] | None = None, meanwhile: Callable[[], None] = lambda: None,
         refill: float = 0.0) -> tuple[Plan, dict[str, str]]:
    """Run the seating stage; households it cannot place leave their flight (and their test bookings).

    In a re-plan, flights whose passengers and escorts are unchanged keep their previous seats and are not
    seated again (docs/rules.md#re-plan-stability); `trusted` are flights an earlier round of this solve seated.
    `values` receives the level-2 and level-4 values of the flights seated greedily in workers. `meanwhile` is
    called once, in this process, while worker processes seat (else before seating). `refill`: seconds to
    keep back for a refill round after this one (CP-SAT seating ends that much earlier)."""
    try:
        from planner.seating.seat_plan import seat_plan
    except ModuleNotFoundError:  # seating not installed in this build: seats stay unset, stage absent
        meanwhile()
        return plan, {}
    keep = kept_seating(problem, plan, previous, trusted)
    todo = plan.model_copy(update={"flights": [fp for fp in plan.flights if fp.flight_id not in keep]})
    prior = Plan(scenario=plan.scenario, flights=list(previous.values())) if previous else None
    # after a stop request, seating runs its greedy only (no CP-SAT), so a stop yields a complete plan quickly;
    # near the deadline too: each flight gets CP-SAT seconds only while the seating deadline is ahead
    to_seat = [fp for fp in todo.flights if fp.passengers or fp.escorts]
    base = size or Size(len(problem.scenario.people), 0, 0)
    size = replace(base, passengers=sum(len(fp.passengers) + len(fp.escorts) for fp in to_seat), flights=len(to_seat))
    budget = seating_budget(options.clock(), size, seating_time_limit=options.seating_time_limit,
                            processes=options.seating_processes, deterministic=options.deterministic,
                            planned=planned, refill=refill)
    total = len(to_seat)
    cpsat = budget.per_flight > 0 and not options.stopped()
    options.report(Progress("seating", elapsed=options.elapsed(), done=0, total=total,
                            message=f"seated 0 of {total} flights ({'CP-SAT' if cpsat else 'greedy'})"))

    def seated_one(done: int, of: int) -> None:
        options.report(Progress("seating", elapsed=options.elapsed(), done=done, total=of,
                                message=f"seated {done} of {of} flights"))

    if _parallel_greedy(options, cpsat, to_seat):
        outcome, found = seat_greedily(problem.scenario, todo, processes=options.seating_processes,
                                       deterministic=options.deterministic, prior=prior,
                                       deadline_at=budget.deadline.at, stop=options.stop, on_flight=seated_one,
                                       meanwhile=meanwhile)
        if values is not None:
            values.update(found)
    else:
        meanwhile()
        outcome = seat_plan(problem.scenario, todo, time_limit=budget.per_flight,
                            processes=options.seating_processes, deterministic=options.deterministic,
                            previous=prior, cpsat=cpsat, deadline_at=budget.deadline.at, stop=options.stop,
                            on_flight=seated_one)
    unseated = {hid: fid for fid, hids in outcome.unplaced.items() for hid in hids}
    seated: Plan = outcome.plan
    merged = {fp.flight_id: fp for fp in seated.flights}
    for fid, old in keep.items():
        merged[fid] = old.model_copy(update={"locked": fid in problem.fixed.locked})
    seated.flights = [merged[fp.flight_id] for fp in plan.flights]
    seated.stages.seating = {**(seated.stages.seating or {}), **{fid: "kept" for fid in keep}}
    return seated, unseated
