"""The CLI's validation in two processes (planner.cli.validate_two) says exactly what `validate` says, in its
order, whichever part finds the violations, and still does when the child process fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner import SolveOptions, load_scenario, solve, validate
from planner.cli import validate_two
from planner.model.plan import Plan, Reason, Unassigned
from planner.model.scenario import Scenario
from planner.oracle.validate import validate_part

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"


@pytest.fixture(scope="module")
def broken() -> tuple[Scenario, Plan]:
    """A seated plan broken in both parts: a person listed twice (first part), a seat taken twice and a
    person without a seat (seat-by-seat checks, second part)."""
    s = load_scenario(TEACHING)
    plan = solve(s, options=SolveOptions(time_limit=2, deterministic=True, seating_processes=1))
    assert validate(s, plan) == []
    p = plan.model_copy(deep=True)
    p.unassigned.append(Unassigned(person_id=p.flights[0].passengers[0].person_id,
                                   reasons=[Reason(code="gate.consent", message="x")]))
    seated = [pa for pa in p.flights[0].passengers if pa.seat and not pa.lap_of]
    seated[1].seat = seated[0].seat
    seated[2].seat = None
    return s, p


def test_the_parts_are_the_whole(broken: tuple[Scenario, Plan]) -> None:
    s, plan = broken
    whole = validate(s, plan, Plan(scenario=plan.scenario))
    first = validate_part(s, plan, Plan(scenario=plan.scenario), 0, 2)
    second = validate_part(s, plan, Plan(scenario=plan.scenario), 1, 2)
    assert first and second  # both parts find something here
    assert first + second == whole
    assert {v.rule for v in first} & {"person_once"} and {v.rule for v in second} & {"seat.unique", "seat.missing"}
    with pytest.raises(ValueError):
        validate_part(s, plan, None, 2, 2)


def test_two_processes_say_what_one_says(broken: tuple[Scenario, Plan], monkeypatch: pytest.MonkeyPatch) -> None:
    s, plan = broken
    whole = validate(s, plan, Plan(scenario=plan.scenario))
    monkeypatch.setattr(validate_two, "_cores", lambda: 2)
    assert validate_two.validate_in_two(s, plan, Plan(scenario=plan.scenario)) == whole
    valid = solve(s, options=SolveOptions(time_limit=2, deterministic=True, seating_processes=1))
    assert validate_two.validate_in_two(s, valid, Plan(scenario=valid.scenario)) == []


def test_a_failed_child_leaves_its_part_to_the_parent(broken: tuple[Scenario, Plan],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    s, plan = broken
    whole = validate(s, plan, Plan(scenario=plan.scenario))

    def fail(*_: object, **__: object) -> bytes:
        raise RuntimeError("the child cannot send its part")

    monkeypatch.setattr(validate_two, "_cores", lambda: 2)
    monkeypatch.setattr(validate_two.pickle, "dumps", fail)  # only the child pickles
    assert validate_two.validate_in_two(s, plan, Plan(scenario=plan.scenario)) == whole


def test_a_stuck_child_is_killed_and_its_part_done_by_the_parent(broken: tuple[Scenario, Plan],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that never answers (a lock held by another thread at the fork) does not hang the command."""
    import time

    s, plan = broken
    whole = validate(s, plan, Plan(scenario=plan.scenario))

    def stuck(*_: object, **__: object) -> bytes:
        time.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(validate_two, "_cores", lambda: 2)
    monkeypatch.setattr(validate_two, "CHILD_PATIENCE_S", 0.5)
    monkeypatch.setattr(validate_two.pickle, "dumps", stuck)  # only the child pickles
    started = time.monotonic()
    assert validate_two.validate_in_two(s, plan, Plan(scenario=plan.scenario)) == whole
    assert time.monotonic() - started < 30
