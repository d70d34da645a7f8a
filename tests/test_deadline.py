"""The command's deadline and how a solve splits it between stages (docs/cli.md, "Time budget")."""

from __future__ import annotations

import math
import time

import pytest

from planner.pipeline.deadline import Deadline, process_started
from planner.pipeline.time_budget import (
    Size,
    allocation_budget,
    finish_estimate,
    measured_pace,
    reserve_after_allocation,
    seating_budget,
)

BIG = Size(people=7000, passengers=6000, flights=30)


def test_deadline_counts_from_its_start_and_never_goes_negative() -> None:
    d = Deadline.after(10, start=time.monotonic() - 4)
    assert 5.9 < d.remaining() <= 6.0 and d.elapsed() >= 4 and d.bounded and d.seconds == 10
    gone = Deadline.after(1, start=time.monotonic() - 5)
    assert gone.expired() and gone.remaining() == 0.0
    assert not Deadline.after(None).bounded and math.isinf(Deadline.after(0).remaining())


def test_stage_deadlines_never_outlast_the_command() -> None:
    d = Deadline.after(10)
    assert d.within(100).at == d.at and d.within(1).at < d.at
    assert d.before(3).at == d.at - 3 and d.before(100).at <= time.monotonic() + 0.01
    assert d.until(d.at + 5).at == d.at


def test_process_start_is_in_the_past() -> None:
    assert process_started() <= time.monotonic()


def test_allocation_gets_what_later_stages_do_not_need() -> None:
    d = Deadline.after(60)
    b = allocation_budget(d, BIG, seat=True, seating_time_limit=0.5, processes=2, deterministic=False)
    reserve = reserve_after_allocation(BIG, True, 2)
    # seating's CP-SAT share is at most what it asks for (0.5 s × 30 flights / 2 processes)
    assert 60 - reserve - 7.5 - 0.1 <= b.seconds <= 60 - reserve
    assert b.deadline.at <= d.at - reserve + 1e-6


def test_no_cpsat_when_the_reserve_eats_the_budget() -> None:
    b = allocation_budget(Deadline.after(2), BIG, seat=True, seating_time_limit=0.5, processes=2,
                          deterministic=False)
    assert b.seconds == 0.0


def test_deterministic_budget_reads_no_clock() -> None:
    a = allocation_budget(Deadline.after(30, start=time.monotonic() - 20), BIG, seat=True, seating_time_limit=0.5,
                          processes=2, deterministic=True, limit=30)
    b = allocation_budget(Deadline.after(30), BIG, seat=True, seating_time_limit=0.5, processes=2,
                          deterministic=True, limit=30)
    assert a.seconds == b.seconds > 0 and a.seating_seconds == b.seating_seconds


def test_seating_falls_back_to_greedy_near_the_deadline() -> None:
    late = seating_budget(Deadline.after(finish_estimate(BIG) + 0.5), BIG, seating_time_limit=0.5, processes=2,
                          deterministic=False)
    assert late.per_flight == 0.0
    early = seating_budget(Deadline.after(600), BIG, seating_time_limit=0.5, processes=2, deterministic=False)
    assert early.per_flight == 0.5


def test_a_busy_machine_reserves_more() -> None:
    assert measured_pace(100, 300, 5.0) == 1.0  # too small to tell
    expected = 0.00005 * 7000 + 0.000016 * 38_000  # 0.958 s for 7,000 people on 38,000 pairs
    noise = 0.5  # a build this much slower is taken as noise
    assert measured_pace(7000, 38_000, 0.9) == 1.0 and measured_pace(7000, 38_000, expected + noise) == 1.0
    assert measured_pace(7000, 38_000, 3 * expected + noise) == pytest.approx(3.0)
    assert measured_pace(7000, 38_000, 60) == 4.0
    slow = Size(7000, 6000, 30, pace=2.0)
    assert reserve_after_allocation(slow, True, 2) == pytest.approx(2 * reserve_after_allocation(BIG, True, 2))


def test_a_seating_share_too_small_for_cpsat_goes_to_allocation() -> None:
    """Below min_seat_cpsat_seconds a flight seating would run greedily anyway: no seconds kept back for it."""
    from planner.pipeline.time_budget import min_seat_cpsat_seconds, seating_wanted

    d = Deadline.after(15)
    b = allocation_budget(d, BIG, seat=True, seating_time_limit=0.5, processes=2, deterministic=False)
    assert b.seating_seconds == 0.0
    assert b.seconds == pytest.approx(d.remaining() - reserve_after_allocation(BIG, True, 2), abs=0.05)
    roomy = allocation_budget(Deadline.after(120), BIG, seat=True, seating_time_limit=0.5, processes=2,
                              deterministic=False)
    assert roomy.seating_seconds >= seating_wanted(BIG, min_seat_cpsat_seconds(BIG), 2)



def test_a_refill_round_is_kept_back_unless_the_solve_is_deterministic() -> None:
    """A deterministic solve runs its refill rounds whatever the time: keeping one back would only take its
    allocation's seconds (a 10-second solve of 7,000 people had none left)."""
    from planner.pipeline.time_budget import WORKERS_SHARE, refill_estimate

    kept = reserve_after_allocation(BIG, True, 2)
    assert refill_estimate(BIG) > 0
    assert kept - reserve_after_allocation(BIG, True, 2, refill=False) == pytest.approx(
        WORKERS_SHARE * refill_estimate(BIG))
    assert reserve_after_allocation(BIG, True, 1) - reserve_after_allocation(BIG, True, 1, refill=False) == \
        pytest.approx(refill_estimate(BIG))
    timed = allocation_budget(Deadline.after(10), BIG, seat=True, seating_time_limit=0.5, processes=2,
                              deterministic=False, limit=10)
    counted = allocation_budget(Deadline.after(10), BIG, seat=True, seating_time_limit=0.5, processes=2,
                                deterministic=True, limit=10)
    assert counted.seconds > 0
    assert timed.seconds == pytest.approx(10 - kept, abs=0.05)


def test_a_later_refill_round_costs_its_flights_at_the_last_rounds_pace_or_greedy_whichever_is_less() -> None:
    """Only the flights a refill changed are seated again: a round of 3 flights after CP-SAT seating (2 s a
    flight) costs what seating them greedily would; after a fast greedy round (0.01 s a flight), 1.5 times
    that; the draft, transfers and refill around the seating are added as they were."""
    from planner.pipeline.time_budget import ROUND_MARGIN, refill_round_estimate, seat_greedy_estimate

    three = Size(people=700, passengers=600, flights=3)
    assert refill_round_estimate(BIG, 3, 2.0, 0.0) == pytest.approx(seat_greedy_estimate(three))
    assert refill_round_estimate(BIG, 3, 0.01, 0.0) == pytest.approx(ROUND_MARGIN * 0.03)
    assert refill_round_estimate(BIG, 3, 0.01, 1.2) == pytest.approx(ROUND_MARGIN * 0.03 + 1.2)
    assert refill_round_estimate(BIG, 0, 2.0, 0.5) == pytest.approx(0.5)


def test_transfer_rounds_are_kept_back_only_when_the_scenario_lists_vehicles() -> None:
    """Transfer rounds run before seating (docs/transfers.md): two are kept back from allocation when vehicles
    are listed, none otherwise, and none in a deterministic solve (it runs them whatever the time)."""
    from dataclasses import replace

    from planner.pipeline.time_budget import TRANSFER_ROUNDS_KEPT, transfer_round_estimate

    riding = replace(BIG, transfers=True)
    assert transfer_round_estimate(BIG) == 0.0 < transfer_round_estimate(riding)
    assert reserve_after_allocation(riding, True, 2) - reserve_after_allocation(BIG, True, 2) == pytest.approx(
        TRANSFER_ROUNDS_KEPT * transfer_round_estimate(riding))
    assert reserve_after_allocation(riding, True, 2, refill=False) == reserve_after_allocation(BIG, True, 2,
                                                                                              refill=False)
