"""The allocation problem shares work between flights and households (per gate span, per ages, per cabin as cabin
usage reads it, per test profile): what it shares must equal what the rules give for each household and flight."""

from __future__ import annotations

import pytest

from planner.allocation.problem import active_flights, build_problem
from planner.model.scenario import Scenario
from planner.rules.capacity import household_usage
from planner.rules.gates import serves
from planner.rules.household import household_failure
from planner.synth.generate import generate_scenario


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """A synthetic caseload with a few stretcher cases (whose usage reads the cabin's layout)."""
    base = generate_scenario(people=900, seed=5)
    people = [p.model_copy(update={"mobility": "STCR"}) if i % 97 == 0 else p for i, p in enumerate(base.people)]
    return base.model_copy(update={"people": people})


def test_shared_options_equal_the_rules(scenario: Scenario) -> None:
    """Every household on every flight serving it: gate reasons as `household_failure` gives them, cabin usage as
    `household_usage` gives it (flights of other aircraft share a household's usage only when it reads nothing
    else of them)."""
    problem = build_problem(scenario)
    flights = active_flights(scenario)
    aircraft = {f.aircraft for f in flights}
    assert len(aircraft) > 1  # otherwise sharing across cabins is not exercised
    options = blocked = 0
    for info in problem.households:
        for f in flights:
            if not serves(f, info.household.destination):
                continue
            failed = household_failure(info.household, f, scenario)
            if failed:
                blocked += 1
                assert {p: (r.code, r.message, r.flights) for p, r in info.blocked[f.id].on(f.id).items()} == \
                    {p: (r.code, r.message, r.flights) for p, r in failed.items()}
            elif f.id in info.options:
                options += 1
                assert info.options[f.id].usage == household_usage(scenario, f, info.household)
    assert options > 500 and blocked > 10
    assert any(p.mobility == "STCR" for info in problem.households for p in info.household.members
               if len(info.options) > 1)
