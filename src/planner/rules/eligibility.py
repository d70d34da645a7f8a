"""Who passes the personal gates on a date, for a whole caseload at once (docs/rules.md#gates).

The service's "eligible" filter of the people list asks this: every gate of `planner.rules.gates.GATES`
(consent, travel document, exit clearance, fitness, unaccompanied child, isolation after a positive test) on
the date of `as_of`, as `gates.first_failure` checks a person with no flight. Household unity is not applied:
a member who passes is eligible even when another member is not (the list shows people, not households).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import groupby

from planner.model.caseload import Household
from planner.model.scenario import Person, Protocol, Scenario
from planner.rules.gates import GATES, GateContext

#: The Person fields the gates read (`gates.GATES` and `gates.isolation_end`): a caller that builds people from
#: stored rows may load only these (tests/test_eligibility.py checks that they suffice).
GATE_FIELDS = ("case_id", "household_id", "consent", "consent_note", "document_type", "document_expiry",
               "document_status", "document_authority", "document_requested_on", "document_issued_on",
               "exit_cleared", "fitness", "unaccompanied_minor", "best_interests_approved", "reception_contact",
               "last_positive_test", "last_test_sample", "last_test_result", "symptom_onset", "symptom_free_since")


def first_failing_gate(person: Person, ctx: GateContext) -> str | None:
    """The code of the first gate (registry order) the person fails in `ctx`, or None."""
    for gate in GATES:
        if gate.check(person, ctx) is not None:
            return gate.code
    return None


def gate_failures(people: Iterable[Person], protocol: Protocol, as_of: datetime) -> dict[str, str]:
    """case_id -> code of the first gate each person fails on the local date of `as_of`; people who pass every
    gate are absent. A household is the people sharing a `household_id` (isolation may hold all of them)."""
    scenario = Scenario.model_construct(name="", timezone="UTC", as_of=as_of, protocol=protocol, testing_sites=[],
                                        escorts=[], aircraft=[], flights=[], people=[])
    on = as_of.date()
    out: dict[str, str] = {}
    ordered = sorted(people, key=lambda p: (p.household_id, p.case_id))
    for household_id, members in groupby(ordered, key=lambda p: p.household_id):
        household = Household(household_id, tuple(members))
        ctx = GateContext(scenario, household, on)
        for person in household.members:
            code = first_failing_gate(person, ctx)
            if code is not None:
                out[person.case_id] = code
    return out


def eligible_case_ids(people: Iterable[Person], protocol: Protocol, as_of: datetime) -> set[str]:
    """The case_ids of the people who pass every personal gate on the local date of `as_of`."""
    listed = list(people)
    failing = gate_failures(listed, protocol, as_of)
    return {p.case_id for p in listed if p.case_id not in failing}
