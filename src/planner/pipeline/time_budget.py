"""How a solve splits the time it has left between its stages (docs/cli.md, "Time budget").

The stages after allocation (test slots, seating, explanations, KPIs, validation, writing the file) are
reserved an estimate of what they need, from the size of the problem; CP-SAT seating gets at most a fifth of
what is left beyond that; allocation's CP-SAT gets the rest. When little is left, stages take their fast paths
(greedy allocation, greedy seating), so a complete, valid plan is always returned. The coefficients were
measured with `bench/bench_timelimit.py` on the bundled scenarios (2 cores) and err on the safe side.

A deterministic solve never reads the clock to split its budget: its shares come from the whole limit and the
estimates only, so the same input and limit give the same plan; the wall clock stays a safety net.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.pipeline.deadline import Deadline

#: seconds per person for explanations, KPIs, the objective's seating levels (planner.pipeline.levels: 0.2 s at
#: 7,000 people when CP-SAT seated the flights), validation, plan JSON and the summary (7,000 people ≈ 1.75 s).
#: Generous on purpose: the pace is measured once, while the problem is built, and a machine that gets busier
#: later needs the slack (0.00018 a person ran a 15-second solve at 7,000 people to 16.5 s at a load of 5)
FINISH_PER_PERSON = 0.00025
#: and per (household, flight serving it): explanations read every flight a waiting household could take, and the
#: plan's reasons name them. Seating's end to the written plan took 4 s at 20,000 people (300,000 pairs), 14 s
#: at 50,000 (1.5 million) and 46 s at 100,000 (7.5 million), where the per-person term alone reserved 25 s
FINISH_PER_PAIR = 0.000003
FINISH_FIXED = 0.4  # interpreter exit, file writes
TESTS_PER_PERSON = 0.00003  # test demand, flow and concrete slots
SEAT_GREEDY_PER_PASSENGER = 0.00033  # greedy seating incl. checking and its second pass (2 s for 30 full flights)
SEAT_GREEDY_PER_FLIGHT = 0.02
#: a refill round (docs/architecture.md#seating) seats again the flights the first round cut households from:
#: 17-20 of 78 at 20,000 people, each about as costly as in a greedy first round; kept back for it, with margin
REFILL_SHARE = 0.35
#: greedy seating in worker processes takes this share of its time in one: at 20,000 people the first round took
#: 6.8 s in one process, 3.7 s in two (the flights do not split evenly; forking and results cost a little)
WORKERS_SHARE = 0.6
LOAD_PER_PERSON = 0.0004  # reading and checking the scenario, building the problem (deterministic estimate)
LOAD_FIXED = 1.5
SEATING_SHARE = 0.2  # at most this share of the time beyond the reserve goes to CP-SAT seating
MIN_CPSAT_SECONDS = 0.3  # below this, CP-SAT allocation is not started: the greedy plan stands
# per flight; below this seating is greedy only: CP-SAT seating (its greedy, model and check) took 10 s for 78
# flights at 20,000 people with ~0.1 s each, greedy seating alone 7 s
MIN_SEAT_CPSAT_SECONDS = 0.2
# and per passenger of an average flight: at 20,000 people (78 flights of about 200) 0.38 s a flight of CP-SAT
# seating ran 15 s, past its deadline, and seated about as well as the greedy's 3.7 s (households' spread
# 5,910 against 6,081, seat comfort 26,012 against 25,883), leaving no time for a refill round (gap 0.99 %
# against 0.47 %)
MIN_SEAT_CPSAT_PER_PASSENGER = 0.0025



# building the problem (gates, options, windows) on an idle machine, per (household, flight serving it) and per
# person: the build's work grows with the pairs (options are shared per departure date, test profile and cabin,
# never across flights), and synthetic operations add flights with people (7,000 people: 38,000 pairs, 20,000:
# 300,000)
PROBLEM_PER_PAIR = 0.000016
PROBLEM_PER_PERSON_BASE = 0.00005
# explaining a waiting household, per flight it could take: the lab check costs one max flow per test window,
# not per household (planner.allocation.feasibility.LabRoom); 20,000 pairs took 0.7 s at 7,000 people, 2 cores busy
EXPLAIN_PER_PAIR = 0.0001
PACE_FROM_SECONDS = 0.3  # problems expected to build faster than this say nothing about the machine's pace
#: a build this much slower than expected is taken as noise, not as a busy machine: on a quiet machine a
#: 7,000-person build (about 1 s) once took 1.7 s, the pace of 1.75 grew every later stage's reserve as much,
#: the LP no longer fitted a 15-second solve, and the plan stood at 3.24 % instead of about 0.4 %
PACE_NOISE_SECONDS = 0.5


@dataclass(frozen=True)
class Size:
    """What the estimates depend on, and the machine's measured pace (1: as fast as when the coefficients were
    measured; 2: everything takes twice as long, e.g. other processes share the cores)."""

    people: int
    passengers: int  # people who could fly (an upper bound on the passengers to seat)
    flights: int  # flights that could take someone
    pace: float = 1.0
    waiting_pairs: int = 0  # (household not allocated, flight it could take): what explaining costs
    pairs: int = 0  # (household, flight serving it): what the problem and its explanations read
    transfers: bool = False  # the scenario lists vehicles: transfer rounds come before seating


def min_seat_cpsat_seconds(size: Size) -> float:
    """CP-SAT seconds a flight of this operation needs for CP-SAT seating to pay: below, seating is greedy."""
    return max(MIN_SEAT_CPSAT_SECONDS, MIN_SEAT_CPSAT_PER_PASSENGER * size.passengers / max(1, size.flights))


def measured_pace(people: int, pairs: int, problem_seconds: float) -> float:
    """How much slower than expected building the problem was, between 1 and 4, judged against the build's own
    work (`pairs`: household, flight serving it)."""
    expected = PROBLEM_PER_PERSON_BASE * people + PROBLEM_PER_PAIR * pairs
    if expected < PACE_FROM_SECONDS:
        return 1.0
    return max(1.0, min(4.0, (problem_seconds - PACE_NOISE_SECONDS) / expected))


def finish_estimate(size: Size) -> float:
    """Explanations, KPIs, validation, writing."""
    return (FINISH_FIXED + FINISH_PER_PERSON * size.people + FINISH_PER_PAIR * size.pairs
            + EXPLAIN_PER_PAIR * size.waiting_pairs) * size.pace


def seat_greedy_estimate(size: Size) -> float:
    """Greedy seating of every flight in this process (what seating costs at its fastest)."""
    return (SEAT_GREEDY_PER_PASSENGER * size.passengers + SEAT_GREEDY_PER_FLIGHT * size.flights) * size.pace


def refill_estimate(size: Size) -> float:
    """One refill round of seating: households the first round could not seat leave, others take their seats."""
    return REFILL_SHARE * seat_greedy_estimate(size)


#: a later refill round's flights may each cost this much more than the last round's did (a busier machine,
#: larger parties)
ROUND_MARGIN = 1.5


def refill_round_estimate(size: Size, flights: int, per_flight: float, around: float) -> float:
    """A later refill round, seating `flights` again: each at about what a flight of the last round cost
    (`per_flight`, with `ROUND_MARGIN`) or what seating them greedily would (after CP-SAT seating), whichever
    is less, and the draft, transfers and refill around the seating as the last round took them (`around`;
    12 s at 100,000 people)."""
    share = replace(size, passengers=size.passengers * flights // max(1, size.flights), flights=flights)
    return min(ROUND_MARGIN * per_flight * flights, seat_greedy_estimate(share)) + around


#: a transfer round (planner.pipeline.solve._settle_transfers: a draft, the transfer schedule and a refill, no
#: seating) per person: 3 ms at 500 people, 70 ms at 7,000, 0.28 s at 20,000; with margin
TRANSFER_ROUND_PER_PERSON = 0.00003
#: transfer rounds kept back after allocation: at 500 synthetic people (seed 2021) the vehicles could not bring
#: a fifth of the solver's plan, and the allocation had left no time to refill the seats
TRANSFER_ROUNDS_KEPT = 2


def transfer_round_estimate(size: Size) -> float:
    """One transfer round, when the scenario lists vehicles (0 otherwise)."""
    return TRANSFER_ROUND_PER_PERSON * size.people * size.pace if size.transfers else 0.0


def reserve_after_allocation(size: Size, seat: bool, processes: int, refill: bool = True) -> float:
    """Seconds the stages after allocation need at their fastest (transfer rounds, greedy seating, and one
    refill round unless `refill` is False: a deterministic solve runs its refill rounds whatever the time, so
    keeping one back would only take its allocation's seconds; 10-second solves of 7,000 people had none
    left)."""
    reserve = TESTS_PER_PERSON * size.people * size.pace + finish_estimate(size)
    if refill:
        reserve += TRANSFER_ROUNDS_KEPT * transfer_round_estimate(size)
    if seat:
        share = WORKERS_SHARE if processes > 1 and size.flights > 1 else 1.0
        reserve += share * (seat_greedy_estimate(size) + (refill_estimate(size) if refill else 0.0))
    return reserve


def seating_wanted(size: Size, per_flight: float, processes: int) -> float:
    return per_flight * size.flights / max(1, processes)


@dataclass(frozen=True)
class AllocationBudget:
    seconds: float  # CP-SAT allocation seconds (0: greedy only)
    deadline: Deadline  # when allocation must end, whatever the seconds say
    seating_seconds: float  # CP-SAT seating's planned share (what a deterministic solve gives it)


def allocation_budget(deadline: Deadline, size: Size, *, seat: bool, seating_time_limit: float,
                      processes: int, deterministic: bool, limit: float | None = None) -> AllocationBudget:
    """CP-SAT allocation's share: what is left after the later stages' reserve and CP-SAT seating's share.
    A deterministic solve plans from `limit` (its whole time limit; default the deadline's length)."""
    reserve = reserve_after_allocation(size, seat, processes, refill=not deterministic)
    if not deadline.bounded:
        return AllocationBudget(float("inf"), deadline, float("inf"))
    if deterministic:  # from the limit and the size only, never from the clock
        left = (deadline.seconds if limit is None else limit) - LOAD_FIXED - LOAD_PER_PERSON * size.people - reserve
    else:
        left = deadline.remaining() - reserve
    seating = min(seating_wanted(size, seating_time_limit, processes), SEATING_SHARE * max(0.0, left)) \
        if seat else 0.0
    if seating_wanted(size, min_seat_cpsat_seconds(size), processes) > seating:
        # too little for CP-SAT seating to start on every flight (seating_budget would seat greedily): the
        # share goes to allocation, where a few seconds gain most (7,000 people in a 15-second solve)
        seating = 0.0
    seconds = max(0.0, left - seating)
    if seconds < MIN_CPSAT_SECONDS:
        seconds = 0.0
    return AllocationBudget(seconds, deadline.before(reserve + seating), seating)


LP_PER_PERSON = 0.00026  # the LP relaxation (GLOP) of the allocation model, 1.8 s at 7,000 people
RINS_FLOOR = 1.5  # CP-SAT seconds near the LP solution that a large greedy plan is worth trading for


#: From this many people a 30-second solve leaves allocation nothing by the estimates above, while CP-SAT
#: re-planning a few flights at a time gains on the greedy plan within seconds (docs/scale.md): those seconds
#: (writing the model and its index take about 3 s at 20,000 people) are taken from the later stages'
#: reserve, whose fast paths then run; not on a machine this much slower (the problem build's pace), where the
#: fast paths alone fill a 30-second solve at 20,000 people
WINDOWS_FROM_PEOPLE, WINDOWS_FLOOR, WINDOWS_MAX_PACE = 15_000, 4.0, 1.8


#: writing the allocation program and the index of its windows before CP-SAT searches, per (household, flight
#: serving it): 16 s at 50,000 people (1.48 million pairs)
MODEL_PER_PAIR = 0.000011


def cpsat_worth_starting(seconds: float, pairs: int, pace: float) -> bool:
    """Whether `seconds` of allocation pay for writing the program and leave CP-SAT at least as long again to
    search: otherwise the best greedy plan stands, inside the limit, where writing the model alone ran past it
    (a small operation always starts it: its model is written in milliseconds)."""
    return seconds >= 2 * MODEL_PER_PAIR * pairs * pace


def cpsat_floor(size: Size, greedy_waiting_pairs: int) -> float:
    """The least CP-SAT allocation time worth spending even beyond the budget: explaining a priority-greedy
    plan checks every waiting household against lab capacity (costly when the greedy leaves seats free that
    lab capacity then blocks), while a few seconds of CP-SAT near the LP solution fill the flights, after
    which that check is cheap; and a large operation, where the budget alone leaves the greedy plan standing
    (unless the machine is busy). 0 when the greedy plan is cheap to finish and the operation small."""
    floor = (LP_PER_PERSON * size.people + RINS_FLOOR) * size.pace
    if EXPLAIN_PER_PAIR * greedy_waiting_pairs * size.pace > floor:
        return floor
    return WINDOWS_FLOOR if size.people >= WINDOWS_FROM_PEOPLE and size.pace <= WINDOWS_MAX_PACE else 0.0


@dataclass(frozen=True)
class SeatingBudget:
    per_flight: float  # CP-SAT seconds per flight (0: greedy only)
    deadline: Deadline  # when seating must end: flights still waiting then are seated greedily


def seating_budget(deadline: Deadline, size: Size, *, seating_time_limit: float, processes: int,
                   deterministic: bool, planned: float | None = None, refill: float = 0.0) -> SeatingBudget:
    """Per-flight CP-SAT seconds for the flights to seat now, within what is left before the finish reserve
    and the `refill` seconds kept for a refill round (a deterministic solve: within the share `planned` when
    allocation's budget was set)."""
    end = deadline.before(finish_estimate(size) + refill)
    if not deadline.bounded:
        return SeatingBudget(seating_time_limit, end)
    if deterministic and planned is not None:
        total = planned
    else:
        greedy = seat_greedy_estimate(size)
        total = end.remaining() - (greedy / max(1, processes) if size.flights > 1 else greedy)
    per_flight = min(seating_time_limit, max(0.0, total) * max(1, processes) / max(1, size.flights))
    if per_flight < min_seat_cpsat_seconds(size):
        per_flight = 0.0
    return SeatingBudget(per_flight, end)
