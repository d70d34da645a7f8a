"""The people list's eligibility is the gates' answer at as_of (docs/rules.md#gates), person by person."""

from datetime import date, datetime

from builders import person, scenario
from planner.model.caseload import households
from planner.model.scenario import Person
from planner.rules.eligibility import GATE_FIELDS, eligible_case_ids, gate_failures
from planner.rules.gates import first_failure


def _caseload() -> list[Person]:
    """One person failing each gate, people who pass, and a household held in isolation by one member."""
    return [
        person("OK1", "H1"),
        person("OK2", "H2", consent="proxy", consent_note="signed by spouse, person hospitalised"),
        person("C1", "H3", consent="none"),
        person("C2", "H4", consent="proxy", consent_note="   "),
        person("D1", "H5", document_type="none"),
        person("D2", "H6", document_expiry=None),
        person("D3", "H7", document_expiry=date(2021, 11, 1)),
        person("X1", "H8", exit_cleared=False),
        person("F1", "H9", fitness="unfit"),
        person("U1", "H10", unaccompanied_minor=True, date_of_birth=date(2008, 1, 1), best_interests_approved=True,
               reception_contact=" "),
        person("I1", "H11", last_positive_test=date(2021, 11, 25)),
        person("I2", "H11"),  # isolated with I1: the protocol isolates households by default
        person("I3", "H12", last_test_result="positive", last_test_sample=datetime.fromisoformat(
            "2021-11-26T09:00:00+03:00")),
    ]


def test_the_same_answer_as_first_failure_without_a_flight() -> None:
    s = scenario(_caseload())
    expected = {p.case_id: r.code for h in households(s) for p in h.members
                if (r := first_failure(p, h, None, s)) is not None}
    assert gate_failures(s.people, s.protocol, s.as_of) == expected
    assert eligible_case_ids(s.people, s.protocol, s.as_of) == {"OK1", "OK2"}
    assert expected["C2"] == "gate.consent" and expected["D2"] == "gate.document"
    assert expected["I2"] == "gate.isolation" and expected["U1"] == "gate.uasc"


def test_the_gate_fields_are_all_the_gates_read() -> None:
    """People with only GATE_FIELDS set (the rest left at its defaults) fail exactly as the whole people do."""
    s = scenario(_caseload())
    blank = Person.model_construct(vulnerabilities=[])
    thin = [blank.model_copy(update={f: getattr(p, f) for f in GATE_FIELDS}) for p in s.people]
    assert gate_failures(thin, s.protocol, s.as_of) == gate_failures(s.people, s.protocol, s.as_of)


def test_exit_clearance_and_household_isolation_follow_the_protocol() -> None:
    s = scenario(_caseload(), require_exit_clearance=False, isolate_household=False)
    failing = gate_failures(s.people, s.protocol, s.as_of)
    assert "X1" not in failing and "I2" not in failing and failing["I1"] == "gate.isolation"


def test_the_date_is_the_local_date_of_as_of() -> None:
    """A document expiring on the as_of day is valid that day and not the day after."""
    s = scenario([person("P1", document_expiry=date(2021, 11, 28))])
    assert s.as_of.date() == date(2021, 11, 28)
    assert eligible_case_ids(s.people, s.protocol, s.as_of) == {"P1"}
    later = s.as_of.replace(day=29)
    assert gate_failures(s.people, s.protocol, later) == {"P1": "gate.document"}
