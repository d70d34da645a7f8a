"""One test per planning gate (docs/rules.md#gates), plus household unity."""

from datetime import date

import pytest

from builders import flight, person, scenario
from planner.model.caseload import households
from planner.rules.gates import GATES, first_failure
from planner.rules.household import household_failure


def _fail(p, **proto):
    s = scenario([p], **proto)
    return first_failure(p, households(s)[0], s.flights[0], s)


@pytest.mark.parametrize(("kw", "code"), [
    ({"consent": "none"}, "gate.consent"),
    ({"consent": "proxy", "consent_note": ""}, "gate.consent"),
    ({"document_type": "none"}, "gate.document"),
    ({"document_expiry": date(2021, 11, 30)}, "gate.document"),
    ({"exit_cleared": False}, "gate.exit_clearance"),
    ({"fitness": "unfit"}, "gate.fitness"),
    ({"unaccompanied_minor": True, "date_of_birth": date(2008, 1, 1), "best_interests_approved": False,
      "reception_contact": "uncle"}, "gate.uasc"),
    ({"unaccompanied_minor": True, "date_of_birth": date(2008, 1, 1), "best_interests_approved": True}, "gate.uasc"),
    ({"last_positive_test": date(2021, 11, 25)}, "gate.isolation"),
])
def test_each_gate_fails_with_its_code(kw, code):
    failure = _fail(person("P1", **kw))
    assert failure is not None and failure.code == code
    assert failure.flight_id == "F1" and failure.message


def test_a_person_who_meets_every_gate_passes():
    assert _fail(person("P1", consent="proxy", consent_note="signed by spouse, person hospitalised")) is None


def test_document_valid_on_departure_day_passes():
    assert _fail(person("P1", document_expiry=date(2021, 12, 1))) is None


def test_exit_clearance_only_when_required():
    assert _fail(person("P1", exit_cleared=False), require_exit_clearance=False) is None


def test_pending_fitness_may_be_planned():
    assert _fail(person("P1", fitness="pending")) is None


def test_isolation_ends_after_the_configured_days():
    p = person("P1", last_positive_test=date(2021, 11, 21))  # + 10 days = 12-01, the departure day
    assert _fail(p) is None
    assert _fail(p, positive_isolation_days=11).code == "gate.isolation"


def test_positive_sample_result_also_isolates():
    p = person("P1", last_test_result="positive", last_test_sample="2021-11-27T09:00:00+03:00")
    assert _fail(p).code == "gate.isolation"


def test_isolation_holds_the_household_by_default():
    a, b = person("A", last_positive_test=date(2021, 11, 26)), person("B")
    s = scenario([a, b])
    failures = household_failure(households(s)[0], s.flights[0], s)
    assert failures["A"].code == "gate.isolation" and failures["B"].code == "gate.isolation"
    s2 = scenario([a, b], isolate_household=False)
    failures = household_failure(households(s2)[0], s2.flights[0], s2)
    assert failures["A"].code == "gate.isolation"
    assert failures["B"].code == "household.held_back" and "A" in failures["B"].message


def test_consent_beats_every_other_gate():
    p = person("P1", consent="none", document_type="none", fitness="unfit")
    assert _fail(p).code == "gate.consent"


def test_household_members_are_held_back_naming_the_member():
    s = scenario([person("A"), person("B", document_type="none"), person("C")])
    failures = household_failure(households(s)[0], s.flights[0], s)
    assert failures["B"].code == "gate.document"
    assert {failures["A"].code, failures["C"].code} == {"household.held_back"}
    assert "B" in failures["A"].message


def test_gates_follow_registry_order():
    from planner.model.reasons import ORDER

    assert [g.code for g in GATES] == sorted((g.code for g in GATES), key=ORDER.__getitem__)


def test_document_is_checked_per_flight_date():
    p = person("P1", document_expiry=date(2021, 12, 3))
    s = scenario([p], flights=[flight("F1", day=2), flight("F2", day=5)])
    hh = households(s)[0]
    assert first_failure(p, hh, s.flights[0], s) is None
    assert first_failure(p, hh, s.flights[1], s).code == "gate.document"
