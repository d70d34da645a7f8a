"""A stop request yields a complete, valid plan even when seating cannot place every household.

Under diagonal distancing the allocation's linear capacity model is slightly optimistic for some household
mixes, so the seating stage (greedy only after a stop) drops a household or two. Those must be listed as
unassigned (`seating.no_fit`), never left out of the plan; no refill round starts after the stop (docs/cli.md,
"Stopping"), and everyone unassigned still has a true reason. What a stop leaves to seat is seated greedily in
worker processes, with the same result as in one process.
"""

from __future__ import annotations

import random
import threading
from datetime import date
from typing import Any

import pytest

from planner import SolveOptions, solve, validate
from planner.model.options import Progress
from planner.model.scenario import Escort, Scenario, TestingSite
from planner.seating.synth import mix_within_distancing_limit


def _distanced_load(seed: int) -> Scenario:
    """About 95 adults on one A320 with diagonal distancing, close to what the capacity model admits."""
    sc = mix_within_distancing_limit(random.Random(seed), ["diagonal"])
    site = TestingSite.model_validate({"id": "LAB", "serves": ["BRUZGI"],
                                       "days": {"from": "2021-11-28", "to": "2021-12-01"}, "open": "08:00",
                                       "close": "20:00", "slot_minutes": 60, "capacity_per_slot": 50})
    return sc.model_copy(update={
        "people": [p.model_copy(update={"document_expiry": date(2030, 1, 1)}) for p in sc.people],
        "testing_sites": [site],
        "escorts": [Escort(id=f"O{i}", role="operational", vaccinated=True) for i in range(3)]})


class _StopAt:
    """Set when the solve reports `stage` (a DELETE arriving while that stage runs)."""

    def __init__(self, stage: str | None):
        self.stage, self.event = stage, threading.Event()
        if stage is None:
            self.event.set()

    def __call__(self, progress: Progress) -> None:
        if progress.stage == self.stage:
            self.event.set()


@pytest.mark.parametrize("seed", [1, 5])
@pytest.mark.parametrize("stage", [None, "greedy", "tests"], ids=["before", "allocation", "before-seating"])
def test_stopped_solve_lists_households_seating_dropped(seed: int, stage: str | None) -> None:
    sc = _distanced_load(seed)
    stop = _StopAt(stage)
    plan = solve(sc, options=SolveOptions(time_limit=2, seating_time_limit=0.5, seating_processes=1,
                                          deterministic=True, stop=stop.event, on_progress=stop))
    assert stop.event.is_set()
    assert validate(sc, plan) == []
    flown = [pa.person_id for fp in plan.flights for pa in fp.passengers]
    listed = flown + [u.person_id for u in plan.unassigned]
    assert sorted(listed) == sorted(p.case_id for p in sc.people)  # everyone exactly once
    no_fit = {u.person_id for u in plan.unassigned if any(r.code == "seating.no_fit" for r in u.reasons)}
    assert no_fit  # the scenario does exercise seating dropping households after the stop
    assert all(u.reasons for u in plan.unassigned)


def test_no_refill_round_starts_after_a_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.pipeline.seating_stage as stage

    calls: list[int] = []
    real = stage.seat

    def counted(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr("planner.pipeline.solve.seat", counted)
    sc = _distanced_load(1)
    stop = _StopAt("tests")
    plan = solve(sc, options=SolveOptions(time_limit=2, seating_time_limit=0.5, seating_processes=1,
                                          deterministic=True, stop=stop.event, on_progress=stop))
    assert any(r.code == "seating.no_fit" for u in plan.unassigned for r in u.reasons)  # a cut happened
    assert calls == [1] and plan.status == "stopped"


def test_greedy_seating_in_workers_equals_one_process() -> None:
    """The stop path's parallel greedy seating gives the plan one process gives (merged by flight id)."""
    from pathlib import Path

    from planner import load_scenario
    from planner.pipeline.seating_stage import seat_greedily
    from planner.seating.seat_plan import seat_plan

    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "teaching-vulnerable-first")
    plan = solve(sc, options=SolveOptions(time_limit=2, seat=False, deterministic=True))
    one = seat_plan(sc, plan, time_limit=0.0, processes=1, deterministic=True, cpsat=False)
    seen: list[tuple[int, int]] = []
    many, values = seat_greedily(sc, plan, processes=2, deterministic=True, prior=None, deadline_at=float("inf"),
                                 stop=None, on_flight=lambda done, total: seen.append((done, total)))
    assert many.plan.model_dump() == one.plan.model_dump() and many.unplaced == one.unplaced
    assert len(values) == 2 and seen[-1] == (2, 2)  # two flights: two workers


class _Set:
    """A stop request that is already set."""

    def is_set(self) -> bool:
        return True


@pytest.fixture(scope="module")
def busy() -> Scenario:
    """600 synthetic people on a few flights: enough parties for seating to be worth speeding up."""
    from planner.synth.generate import generate_scenario

    return generate_scenario(people=600, seed=3)


def test_lp_after_a_stop_gives_the_trivial_bound_at_once(busy: Scenario) -> None:
    """A stop request ends the LP relaxation (docs/cli.md, "Stopping"): its bound is then the trivial one."""
    from planner.allocation.linear import lp_relaxation, trivial_bound
    from planner.allocation.model import build_model
    from planner.allocation.problem import build_problem

    m = build_model(build_problem(busy, frozenset()))
    _, solved = lp_relaxation(m)
    values, bound = lp_relaxation(m, stop=_Set())
    assert solved < trivial_bound(m)  # the LP does bound it more tightly when it runs
    assert bound == trivial_bound(m) and not any(values)


def test_no_cpsat_model_is_built_after_a_stop_during_the_lp(busy: Scenario, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """A stop that lands while the LP runs: the CP-SAT model is not built and searched, the greedy incumbent is
    the allocation, and the plan is complete, valid and `stopped`."""
    import planner.allocation.cpsat as cpsat
    import planner.allocation.linear as linear

    stop = threading.Event()
    real_lp = linear.lp_relaxation

    def lp_then_stop(*args: Any, **kw: Any) -> Any:
        stop.set()  # as if Ctrl-C came while the LP ran
        return real_lp(*args, **kw)

    def never(*args: Any, **kw: Any) -> Any:
        raise AssertionError("CP-SAT ran after the stop")

    from planner.allocation.model import build_model
    from planner.allocation.problem import build_problem

    monkeypatch.setattr(cpsat, "lp_relaxation", lp_then_stop)
    monkeypatch.setattr(cpsat, "run_cp", never)
    plan = solve(busy, options=SolveOptions(time_limit=20, seating_processes=1, stop=stop))
    assert plan.status == "stopped"
    assert validate(busy, plan) == []
    # the LP was cut short: the plan reports the trivial bound, not the LP's
    assert plan.objective.level1_bound == linear.trivial_bound(build_model(build_problem(busy, frozenset())))


def test_fast_greedy_seats_as_validly_as_the_greedy(busy: Scenario) -> None:
    """The seating a stop leaves to do (the fast greedy) keeps every rule and leaves out no more households."""
    from planner.rules.occupants import case_index, flight_facts
    from planner.seating.cabin import Cabin
    from planner.seating.fast_greedy import FastGreedy
    from planner.seating.greedy import Greedy
    from planner.seating.problem import SeatingProblem, check
    from planner.seating.seat_plan import flight_job

    plan = solve(busy, options=SolveOptions(time_limit=3, seat=False, deterministic=True))
    index = case_index(busy)
    seated = 0
    for fp in plan.flights:
        if not fp.passengers:
            continue
        job = flight_job(busy, flight_facts(busy, fp, index), time_limit=0.0, deterministic=True, cpsat=False)
        problem = SeatingProblem(job, Cabin(job))
        full, fast = Greedy(problem).run(), FastGreedy(problem).run()
        assert check(problem, fast) == []
        assert len(fast) >= len(full) - 2  # a household or so more left out at most, never a flight's worth
        seated += len(fast)
    assert seated > 150  # enough parties for the two searches to differ


def test_seating_shortcuts_change_nothing(busy: Scenario) -> None:
    """What makes the seating after a stop cheaper is exact: the free seats a party may take are those of the
    plain filter over the whole snake order, and occupants alike share one computed list of allowed seats."""
    from planner.rules.occupants import case_index, flight_facts
    from planner.seating.cabin import Cabin
    from planner.seating.fast_greedy import FastGreedy
    from planner.seating.greedy import Greedy
    from planner.seating.problem import SeatingProblem
    from planner.seating.seat_plan import flight_job

    calls = [0]

    def checked(cls: type[Greedy]) -> type[Greedy]:
        class Checked(cls):  # type: ignore[valid-type,misc]
            def _free(self, order: list[str], pid: int, only: set[str] | None) -> list[str]:
                got = super()._free(order, pid, only)
                plain = [s for s in order if self.available(s, pid)
                         and (s not in self.cab.zone or not self.cab.carries_stretcher) and (only is None or s in only)]
                scoring = getattr(self, "scoring", None)
                assert got == (plain if scoring is None else plain[:scoring])
                calls[0] += 1
                return got
        return Checked

    plan = solve(busy, options=SolveOptions(time_limit=3, seat=False, deterministic=True))
    index = case_index(busy)
    for fp in plan.flights:
        if not fp.passengers:
            continue
        job = flight_job(busy, flight_facts(busy, fp, index), time_limit=0.0, deterministic=True, cpsat=False)
        problem = SeatingProblem(job, Cabin(job))
        assert problem.allowed == {u: problem._allowed(o) for u, o in problem.units.items()}
        for cls in (Greedy, FastGreedy):
            assert checked(cls)(problem).run() == cls(problem).run()
    assert calls[0] > 100


def test_first_signal_pauses_the_garbage_collector() -> None:
    """After a stop the collector no longer walks the solve's objects (docs/cli.md, "Stopping"); it is back on
    once the command's block ends."""
    import gc
    import os
    import signal
    import time

    from planner.pipeline.interrupt import stop_on_signals

    assert gc.isenabled()
    with stop_on_signals(lambda _: None) as stop:
        assert gc.isenabled()
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(200):
            if stop.is_set():
                break
            time.sleep(0.01)
        assert stop.is_set() and stop.exit_code == 143
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_stop_before_the_first_plan_cuts_that_block_short() -> None:
    """A signal inside `before_plan` (loading, the problem build: no plan yet) ends the block at once with
    StoppedBeforePlan; outside it, and after it, the signal only sets the stop (docs/cli.md, "Stopping")."""
    import os
    import signal
    import time

    from planner.pipeline.interrupt import StoppedBeforePlan, stop_on_signals

    with stop_on_signals(lambda _: None) as stop:
        started = time.monotonic()
        with pytest.raises(StoppedBeforePlan), stop.before_plan():
            os.kill(os.getpid(), signal.SIGINT)
            while time.monotonic() - started < 5:  # pure Python work, as the problem build is
                sum(range(1000))
        assert time.monotonic() - started < 1
        assert stop.is_set() and stop.exit_code == 130 and stop.before_plan_stop
        with pytest.raises(StoppedBeforePlan), stop.before_plan():  # already stopped: at once
            pytest.fail("a block entered after the stop ran")
    with stop_on_signals(lambda _: None) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(200):  # outside a block: the stop is only set
            if stop.is_set():
                break
            time.sleep(0.01)
        assert stop.is_set() and not stop.before_plan_stop


def test_validation_started_at_checkable_says_what_validate_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI starts validating when `solve` calls `checkable` (reasons final, KPIs not yet counted), both
    parts in forked children; their violations are `validate`'s, for a valid plan and a broken one."""
    from pathlib import Path

    from planner import load_scenario
    from planner.cli import validate_two
    from planner.model.plan import Plan, Reason, Unassigned

    monkeypatch.setattr(validate_two, "_cores", lambda: 2)
    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "teaching-two-flights")
    started: list[tuple[validate_two.Validation, int, int]] = []

    def check(p: Plan) -> None:
        started.append((validate_two.start_validation(sc, p, Plan(scenario=p.scenario)), len(p.unassigned),
                        p.kpis.people))

    plan = solve(sc, options=SolveOptions(time_limit=2, deterministic=True, seating_processes=1), checkable=check)
    (pending, unassigned, people), = started
    assert pending.children is not None and set(pending.children) == {0, 1}
    assert unassigned == len(plan.unassigned) and people == 0 < plan.kpis.people  # before the KPIs
    assert pending.result() == validate(sc, plan, Plan(scenario=plan.scenario)) == []
    broken = plan.model_copy(deep=True)
    broken.unassigned.append(Unassigned(person_id=broken.flights[0].passengers[0].person_id,
                                        reasons=[Reason(code="gate.consent", message="x")]))
    seated = [pa for pa in broken.flights[0].passengers if pa.seat and not pa.lap_of]
    seated[1].seat = seated[0].seat
    whole = validate(sc, broken, Plan(scenario=broken.scenario))
    assert {v.rule for v in whole} >= {"person_once", "seat.double"}  # one in each part
    assert validate_two.start_validation(sc, broken, Plan(scenario=broken.scenario)).result() == whole
