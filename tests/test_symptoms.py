"""Symptomatic cases (planner.rules.symptoms, docs/health-checks.md#symptomatic-cases): released only after N days
from onset *and* M days without symptoms; the isolation gate, its validator check and sampling follow it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import ValidationError

from builders import flight, person
from planner import SolveOptions, solve, validate
from planner.model.caseload import households
from planner.model.plan import Plan
from planner.rules.gates import first_failure
from planner.rules.symptoms import STILL_SYMPTOMATIC, symptomatic_release
from planner.rules.testing_windows import person_window
from rules.kit import board, found, world


def _case(onset: date | None = date(2021, 11, 20), free: date | None = date(2021, 11, 29), **kw: object):
    return person("S", "H1", symptom_onset=onset, symptom_free_since=free, **kw)


def test_release_needs_both_the_days_after_onset_and_the_symptom_free_days() -> None:
    s = world([_case()])
    assert symptomatic_release(s.people[0], s) == date(2021, 12, 2)  # free 11-29 + 3 > onset 11-20 + 10
    s = world([_case(onset=date(2021, 11, 15), free=date(2021, 11, 17))])
    assert symptomatic_release(s.people[0], s) == date(2021, 11, 25)  # onset + 10 > free + 3
    s = world([_case(free=None)])
    assert symptomatic_release(s.people[0], s) == STILL_SYMPTOMATIC
    s = world([_case(onset=None, free=None)])
    assert symptomatic_release(s.people[0], s) is None
    s = world([_case()], symptomatic_release_days=14, symptom_free_days=1)
    assert symptomatic_release(s.people[0], s) == date(2021, 12, 4)


@pytest.mark.parametrize(("onset", "free", "words"), [
    (None, date(2021, 11, 29), "needs symptom_onset"),
    (date(2021, 11, 29), date(2021, 11, 29), "after symptom_onset"),
])
def test_inconsistent_symptom_dates_are_input_errors(onset: date | None, free: date, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        _case(onset=onset, free=free)


def test_the_isolation_gate_holds_a_symptomatic_case_until_release_and_says_why() -> None:
    s = world([_case()], flights=[flight("F1", day=1), flight("F2", day=3)])
    hh = households(s)[0]
    failure = first_failure(s.people[0], hh, s.flights[0], s)
    assert failure is not None and failure.code == "gate.isolation"
    assert "2021-12-02 (symptomatic: 10 days after onset 2021-11-20 and 3 days without symptoms)" in failure.message
    assert first_failure(s.people[0], hh, s.flights[1], s) is None
    still = world([_case(free=None)], flights=[flight("F2", day=3)])
    failure = first_failure(still.people[0], households(still)[0], still.flights[0], still)
    assert failure is not None and "symptoms not yet ended" in failure.message


def test_a_symptomatic_case_on_a_flight_before_release_breaks_gates() -> None:
    s = world([_case()], flights=[flight("F1", day=1), flight("F2", day=3)])
    assert found(s, board(s, ["S"], fid="F1")) == {"gates"}
    assert validate(s, board(s, ["S"], fid="F2")) == []


def test_a_new_sample_is_taken_from_the_release_on() -> None:
    s = world([_case()], flights=[flight("F2", dest="BGW", day=4)], vaccinated=False)
    s.people[0].destination = "BGW"
    window = person_window(s.people[0], households(s)[0], s.flights[0], s)
    assert window is not None
    assert window.earliest_start == datetime.fromisoformat("2021-12-02T00:00:00+03:00")


def test_solve_flies_a_symptomatic_case_after_release_and_leaves_a_still_symptomatic_one_out() -> None:
    s = world([_case(), person("T", "H2", symptom_onset=date(2021, 11, 25))],
              flights=[flight("F1", day=1), flight("F2", day=3)])
    plan = solve(s, options=SolveOptions(time_limit=5, seat=False))
    assert validate(s, plan, previous=Plan(scenario=plan.scenario)) == []
    on = {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}
    assert on == {"S": "F2"}
    [left] = plan.unassigned
    assert left.person_id == "T" and {r.code for r in left.reasons} == {"gate.isolation"}
