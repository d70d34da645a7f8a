"""Seating: a seat for every passenger and escort of every flight, keeping the rules of docs/rules.md#cabin-rules.

Per flight (`seat_flight`), the greedy (planner.seating.greedy) places parties into windows of free seats,
then CP-SAT (planner.seating.improve) improves that plan within the time limit, the greedy being its hint
and its fallback; a re-plan keeps everyone's previous seat and places newcomers around them. Flights are
independent, so `seat_plan` seats them in parallel worker processes, each with its own time limit, and
merges them by flight id. The objective is planner.seating.objective's (docs/rules.md#objective).
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field, replace

from planner.model.options import StopSignal
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan
from planner.model.scenario import Scenario
from planner.pipeline.workers import stop_requested, worker_pool
from planner.rules.base import FlightFacts
from planner.rules.occupants import case_index, flight_facts
from planner.seating.cabin import Cabin
from planner.seating.cpsat_model import submodel
from planner.seating.fast_greedy import FastGreedy
from planner.seating.greedy import ESCORT_PARTY, Greedy
from planner.seating.improve import improve
from planner.seating.job import FlightJob, FlightResult
from planner.seating.objective import evaluate
from planner.seating.parties import parties
from planner.seating.problem import SeatingProblem, check
from planner.seating.seatmaps import aircraft_spec


@dataclass
class SeatingOutcome:
    """The plan with seats filled, and per flight the households that could not be seated (removed)."""

    plan: Plan
    unplaced: dict[str, list[str]] = field(default_factory=dict)


# ---------------------------------------------------------------- one flight


def seat_flight(job: FlightJob, should_stop: Callable[[], bool] = stop_requested) -> FlightResult:
    """Seat one flight: greedy, then CP-SAT within the time limit and the flight's deadline (none after a
    stop request); the better valid assignment wins. Households an escort serves together that could not be
    seated together are tried apart (`_apart`) when seating the flight took less than `APART_SECONDS`: trying
    again costs about as much again (at 7,000 people 0.07 s after 0.97 s; at 20,000 people 0.8 s after 1.2 s)."""
    began = time.monotonic()
    result = _seat_flight(job, should_stop)
    if job.deterministic or time.monotonic() - began < APART_SECONDS:  # a deterministic solve never reads the clock
        return _apart(job, result, should_stop)
    return result


APART_SECONDS = 1.0


def _apart(job: FlightJob, result: FlightResult, should_stop: Callable[[], bool]) -> FlightResult:
    """When every household a medical or UASC escort serves was left out, the flight seated again without the
    smallest of them, the escort serving only the others; kept when that leaves fewer people out. The escort
    sits beside each case it serves, so its households' parties are seated as one: at 7,000 synthetic people
    two families of six and seven whose medical cases shared an escort could not be seated together even in an
    empty cabin, though each could alone, and both lost their flight in two 15-second solves of four."""
    left = set(result.unplaced)
    if len(left) < 2 or job.fast or should_stop():
        return result
    household = {o.id: o.household for o in job.occupants}
    people = Counter(o.household for o in job.occupants if not o.escort)
    for escort in (o for o in job.occupants if o.escort):
        served = {household[p] for p in escort.serves if p in household}
        if len(served) < 2 or not served <= left:
            continue
        drop = min(served, key=lambda h: (people[h], h))
        gone = {o.id for o in job.occupants if o.household == drop}
        occupants = [replace(o, serves=tuple(p for p in o.serves if p not in gone)) if o.escort else o
                     for o in job.occupants if o.household != drop]
        trial = _seat_flight(replace(job, occupants=occupants), should_stop)
        if sum(people[h] for h in trial.unplaced) + people[drop] < sum(people[h] for h in left):
            trial.unplaced = sorted({*trial.unplaced, drop})
            return trial
    return result


def _seat_flight(job: FlightJob, should_stop: Callable[[], bool]) -> FlightResult:
    """`seat_flight` without trying households apart."""
    cabin = Cabin(job)
    problem = SeatingProblem(job, cabin)
    if job.previous:
        kept = _around_previous(job, problem)
        if kept is not None:
            return kept
    fast = job.fast or should_stop()  # a stop request leaves only the fast greedy to run (docs/cli.md, "Stopping")
    began = time.monotonic()

    def another(done: int) -> bool:
        """Whether a pass may follow the `done` ones: a second while the seating stage is on time, later ones
        within `LATER_PASSES_SECONDS` of the flight's start too (a deterministic solve never reads the clock: it
        makes up to `DETERMINISTIC_PASSES`)."""
        if job.deterministic:
            return done < DETERMINISTIC_PASSES
        now = time.monotonic()
        return now < job.deadline_at and (done < 2 or now - began < LATER_PASSES_SECONDS)

    greedy = _greedy(problem, FastGreedy, lambda _: False) if fast else _greedy(problem, Greedy, another)
    best, status = greedy, "greedy"
    best_cost = greedy_cost = evaluate(problem, greedy)
    seconds = job.time_limit if job.deterministic else min(job.time_limit, job.deadline_at - time.monotonic())
    if job.cpsat and seconds > 0.02 and problem.units and not fast:
        seats, label = improve(problem, greedy, seconds, job.deterministic, should_stop)
        if seats is not None and not check(problem, seats):
            cost = evaluate(problem, seats)
            if cost <= best_cost:
                best, best_cost, status = seats, cost, label
    if check(problem, best):  # never hand back a broken assignment: keep only what the greedy proved
        best, status = greedy, "greedy"
    best = _without_broken(problem, best)
    unplaced = sorted(
        {problem.units[u].household for u in problem.units if u not in best and not problem.units[u].escort}
    )
    # a household is seated whole or not at all
    seats = {u: s for u, s in best.items() if problem.units[u].household not in set(unplaced)}
    return FlightResult(job.flight_id, seats, unplaced, status, best_cost, greedy_cost)


def _households_named(problem: SeatingProblem, broken: list[str], escorts: bool = True) -> set[str]:
    """Households of the units `check`'s messages name (each message about a unit starts with its id and a
    colon); an escort's own party only with `escorts`."""
    named = {msg.split(":")[0] for msg in broken}
    return {problem.units[u].household for u in named
            if u in problem.units and (escorts or not problem.units[u].escort)}


def _without_broken(problem: SeatingProblem, seats: dict[str, str]) -> dict[str, str]:
    """The seats without the households of passengers whose rules the seats break (the greedy's member search
    keeps every rule; should it ever miss one, those households are left unplaced rather than emitted)."""
    while True:
        loose = _households_named(problem, check(problem, seats), escorts=False)
        if not loose:
            return seats
        seats = {u: s for u, s in seats.items() if problem.units[u].household not in loose}


#: Greedy passes: each places first the parties every earlier pass left out, and a pass runs only while some
#: party is left out. On the priority-greedy allocation of belarus-2021-iraq, households left out by seating
#: (their level-1 weight): 1 pass 12 (750), 2 passes 5 (357), 3 passes 4 (291). On the solver's allocations,
#: which fill the cabins to the last seat, ten passes seated 5 of the 9 households two passes left out on the
#: flights of two 15-second solves (belarus-2021-iraq and 7,000 synthetic people), each failing flight's passes
#: taking 0.1-0.5 s; each such household had cost its weight less what the refill could put in its seats. With
#: no limit but the stage's deadline, the passes of the flights of 20,000 people took 2 s more than two passes
#: and left no time for the refill round (0.77 % against 0.45 %), so passes after the second run within
#: LATER_PASSES_SECONDS of the flight's start. After a stop request one pass only (docs/cli.md, "Stopping")
GREEDY_PASSES, DETERMINISTIC_PASSES, LATER_PASSES_SECONDS = 10, 4, 0.15


def _greedy(problem: SeatingProblem, kind: type[Greedy], another: Callable[[int], bool]) -> dict[str, str]:
    """The greedy's seats; while it leaves people out, further passes that place their parties first, each
    kept when it seats more people, up to `GREEDY_PASSES` while `another(passes so far)` holds. On a full cabin
    the last parties find only scattered seats that break a rule for them (an infant's mask block, a child
    beside its adult), where a first pick of those seats would have left them to parties that can use them: a
    family of four left out costs its whole household's place on the flight (docs/seating.md)."""
    def left_out(seats: dict[str, str]) -> frozenset[str]:
        return frozenset(u for u in problem.units if u not in seats and not problem.units[u].escort)

    best = kind(problem).run()
    first = left_out(best)
    for done in range(1, GREEDY_PASSES):
        if not left_out(best) or not another(done):
            break
        again = kind(problem).run(first=first)
        if len(left_out(again)) < len(left_out(best)):
            best = again
        first |= left_out(again)
    return best


def _around_previous(job: FlightJob, problem: SeatingProblem) -> FlightResult | None:
    """Re-plan seating (docs/rules.md#re-plan-stability): everyone who had a seat keeps it, newcomers are placed
    around them by CP-SAT and those that do not fit are unplaced; None only when the kept seats themselves break
    a rule that freeing the broken pairings cannot mend (the flight is then seated afresh)."""
    newcomers = _new_cases_without_zone(job, problem)
    if newcomers:
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
        merged = _newcomers_around(job, problem, keep)
        if merged is None:
            return None
        broken = check(problem, merged)
        if not broken:
            # newcomers the kept seats leave no room for stay off this flight; nobody kept moves (hard)
            unplaced = sorted({problem.units[u].household for u in problem.units if u not in merged})
            cost = evaluate(problem, merged)
            return FlightResult(job.flight_id, merged, unplaced, "kept", cost, cost)
        # a pairing broke (e.g. an escort now serves someone else): free those households and every escort,
        # keep everybody else where they were
        loose = _households_named(problem, broken)
        keep = {u: s for u, s in keep.items()
                if problem.units[u].household not in loose and not problem.units[u].escort}
    return None


def _new_cases_without_zone(job: FlightJob, problem: SeatingProblem) -> set[str]:
    """Households of new stretcher cases, when a kept passenger sits in the stretcher zone (else none)."""
    newcomers = {problem.units[u].household for u in problem.stretchers if u not in job.previous}
    zone_kept = any(
        s in problem.cabin.zone
        for u, s in job.previous.items()
        if u in problem.units and not problem.units[u].stretcher
    )
    return newcomers if zone_kept else set()


def _newcomers_around(job: FlightJob, problem: SeatingProblem, keep: dict[str, str]) -> dict[str, str] | None:
    """The kept seats plus seats for everyone else: by CP-SAT around them, or, when it finds nothing in its
    time (a busy machine, the deadline near, a stop request), by the greedy around them; None only when some
    escort fits nowhere around the kept seats."""
    taken = set(keep.values())
    cand = {u: [s for s in problem.allowed[u] if s not in taken] for u in problem.units if u not in keep}
    if not cand:
        return dict(keep)
    seats: dict[str, str] | None = None
    if not job.fast:
        seconds = max(0.2, min(max(job.time_limit, 0.5), job.deadline_at - time.monotonic()))
        seats, _ = submodel(problem, keep, cand, {}, seconds, job.deterministic)
    return {**keep, **seats} if seats is not None else _greedy_around(job, problem, keep)


def _greedy_around(job: FlightJob, problem: SeatingProblem, keep: dict[str, str]) -> dict[str, str] | None:
    """The kept seats taken first, then the greedy places every other party in what is left (a party that
    does not fit stays off the flight, its escorts are seated alone); kept people never move, so whether
    newcomers get seats does not depend on how fast CP-SAT is (docs/rules.md#re-plan-stability). None when an
    escort fits nowhere."""
    greedy = (FastGreedy if job.fast else Greedy)(problem)
    order = parties(problem)
    for pid, party in enumerate(order):
        kept = {u: keep[u] for u in party if u in keep}
        if kept:
            greedy.commit(kept, pid)
    for pid, party in enumerate(order):
        rest = [u for u in party if u not in keep]
        if rest and not greedy.place(rest, pid):
            for j, e in enumerate(u for u in rest if problem.units[u].escort):
                greedy.place([e], ESCORT_PARTY + pid * 100 + j)
    if any(problem.units[u].escort and u not in greedy.seats for u in problem.units):
        return None
    return dict(greedy.seats)


# ---------------------------------------------------------------- all flights, in parallel


def flight_job(
    scenario: Scenario, facts: FlightFacts, *, time_limit: float, deterministic: bool, cpsat: bool = True
) -> FlightJob:
    """One flight's seating problem, from the facts the independent checker also uses."""
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
        staffed_exits=rules.staffed_exits,
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
    before = seats_by_flight(previous)
    index = case_index(scenario)
    known = {f.id for f in scenario.flights}
    jobs = []
    for fp in sorted(plan.flights, key=lambda f: f.flight_id):
        if fp.flight_id in known and (fp.passengers or fp.escorts):
            facts = flight_facts(scenario, fp, index)
            job = flight_job(scenario, facts, time_limit=time_limit, deterministic=deterministic, cpsat=cpsat)
            job.previous = before.get(fp.flight_id, {})
            job.deadline_at = deadline_at
            job.fast = stop is not None and stop.is_set()
            jobs.append(job)
    workers = max(1, min(processes, len(jobs), os.cpu_count() or 1)) if cpsat and time_limit > 0 else 1
    return apply_results(scenario, plan, _seat_jobs(jobs, workers, stop, on_flight))


def seats_by_flight(previous: Plan | None) -> dict[str, dict[str, str]]:
    """Per flight of the previous plan, each seated person's and escort's seat."""
    before: dict[str, dict[str, str]] = {}
    for fp in previous.flights if previous is not None else []:
        seats = {p.person_id: p.seat for p in fp.passengers if p.seat}
        seats.update({e.escort_id: e.seat for e in fp.escorts if e.seat})
        before[fp.flight_id] = seats
    return before


def _seat_jobs(
    jobs: list[FlightJob], workers: int, stop: StopSignal | None, on_flight: Callable[[int, int], None] | None
) -> dict[str, FlightResult]:
    """Each job's result by flight id: in this process, or on `workers` worker processes."""
    results: dict[str, FlightResult] = {}

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
    return results


def apply_results(scenario: Scenario, plan: Plan, results: dict[str, FlightResult]) -> SeatingOutcome:
    """The plan with each flight's seats filled and its unplaced households removed (escorts stay, serving
    fewer); the seating status of every flight is recorded in the plan's stages."""
    household_of = {p.case_id: p.household_id for p in scenario.people}
    new_flights: list[FlightPlan] = []
    unplaced: dict[str, list[str]] = {}
    stages = dict(plan.stages.seating or {})
    for fp in plan.flights:
        res = results.get(fp.flight_id)
        if res is None:
            new_flights.append(fp.model_copy(deep=True))
            if not (fp.passengers or fp.escorts):
                stages.setdefault(fp.flight_id, "optimal")
            continue
        new_flights.append(_seated_flight(fp, res, household_of))
        if res.unplaced:
            unplaced[fp.flight_id] = list(res.unplaced)
        stages[fp.flight_id] = res.status
    stages = dict(sorted(stages.items()))
    new_plan = plan.model_copy(
        update={"flights": new_flights, "stages": plan.stages.model_copy(update={"seating": stages})}
    )
    return SeatingOutcome(plan=new_plan, unplaced=unplaced)


def _seated_flight(fp: FlightPlan, res: FlightResult, household_of: dict[str, str]) -> FlightPlan:
    """One flight with its seats, without the people of its unplaced households."""
    gone = set(res.unplaced)
    removed = {p.person_id for p in fp.passengers if household_of.get(p.person_id) in gone}
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
    provisional = [p for p in fp.provisional if p not in removed]
    return fp.model_copy(update={"passengers": passengers, "escorts": escorts, "provisional": provisional})
