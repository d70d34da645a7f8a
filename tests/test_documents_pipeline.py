"""The travel-document pipeline (docs/documents-pipeline.md): requested documents with an authority's lead time
make a person plannable on the flights after the document is in hand, provisional on document."""

from datetime import date

import pytest
from pydantic import ValidationError

from builders import flight, person, scenario
from planner import SolveOptions, solve, validate
from planner.cli import main
from planner.io.scenario_checks import check_scenario
from planner.io.writing import write_scenario
from planner.model.caseload import households
from planner.model.documents import DocumentAuthority
from planner.report.document_requests import document_requests, requests_csv
from planner.rules.gates import document_pending, first_failure

EMBASSY = {"id": "IRQ-MSQ", "name": "Embassy of Iraq in Minsk", "typical_working_days": 3,
           "slow_working_days": 5, "handover_days": 1, "closed_days": ["2021-12-01"]}
REQUESTED = {"document_type": "etd", "document_number": "", "document_expiry": None, "document_status": "requested",
             "document_authority": "IRQ-MSQ", "document_requested_on": date(2021, 11, 26)}


def _scenario(people, **kw):
    return scenario(people, flights=[flight("F1", day=1), flight("F2", day=10)],
                    document_authorities=[EMBASSY], **kw)


def test_working_days_skip_weekends_and_closed_days():
    a = DocumentAuthority.model_validate(EMBASSY)
    assert a.add_working_days(date(2021, 11, 26), 1) == date(2021, 11, 29)  # Friday -> Monday
    assert a.add_working_days(date(2021, 11, 29), 3) == date(2021, 12, 3)  # 1 December is closed
    assert a.add_working_days(date(2021, 11, 29), 0) == date(2021, 11, 29)


def test_a_request_needs_its_date_and_authority():
    with pytest.raises(ValidationError, match="document_requested_on"):
        person("P1", document_status="requested", document_authority="IRQ-MSQ")
    with pytest.raises(ValidationError, match="document_authority"):
        person("P1", document_status="requested", document_requested_on=date(2021, 11, 26))
    with pytest.raises(ValidationError, match="slow_working_days"):
        DocumentAuthority.model_validate({**EMBASSY, "slow_working_days": 1})


def test_requested_document_is_pending_until_in_hand_then_plannable():
    p = person("P1", **REQUESTED)
    s = _scenario([p])
    hh = households(s)[0]
    early = first_failure(p, hh, s.flights[0], s)
    # slow lead time: 5 working days from Fri 26 Nov, skipping the weekend and closed 1 Dec -> issued Mon 6 Dec,
    # in hand on Tue 7 Dec after one hand-over day
    assert early is not None and early.code == "gate.document_pending"
    assert "2021-12-07" in early.message and "2021-12-01" in early.message
    assert first_failure(p, hh, s.flights[1], s) is None
    assert document_pending(p, date(2021, 12, 10), s) and not document_pending(p, date(2021, 12, 1), s)


def test_typical_lead_time_when_the_protocol_counts_on_it():
    p = person("P1", **{**REQUESTED, "document_requested_on": date(2021, 11, 22)})
    slow, typical = _scenario([p]), _scenario([p], document_lead_time="typical")
    # typical: 3 working days from Mon 22 Nov -> Thu 25, in hand Fri 26; slow: 5 -> Mon 29, in hand Tue 30
    assert first_failure(p, households(typical)[0], typical.flights[0], typical) is None
    assert first_failure(p, households(slow)[0], slow.flights[0], slow) is None
    late = person("P1", **{**REQUESTED, "document_requested_on": date(2021, 11, 25)})
    typical = _scenario([late], document_lead_time="typical")  # Thu 25 + 3 -> Tue 30, in hand Wed 1: on time
    slow = _scenario([late])  # + 5 -> Fri 3 (1 Dec closed), in hand Sat 4: too late for F1
    assert first_failure(late, households(typical)[0], typical.flights[0], typical) is None
    assert first_failure(late, households(slow)[0], slow.flights[0], slow).code == "gate.document_pending"


def test_overdue_request_is_expected_the_next_working_day():
    p = person("P1", **{**REQUESTED, "document_requested_on": date(2021, 11, 1)})
    s = _scenario([p])  # as_of Sun 28 Nov: overdue, expected Mon 29 Nov, in hand Tue 30 Nov
    assert first_failure(p, households(s)[0], s.flights[0], s) is None


@pytest.mark.parametrize(("kw", "words"), [
    ({"document_status": "refused"}, "refused"),
    ({"document_status": "none", "document_type": "none"}, "none requested"),
    ({**REQUESTED, "document_authority": "NOWHERE"}, "unknown issuing authority"),
    ({"document_status": "issued", "document_issued_on": date(2021, 11, 20), "document_expiry": date(2021, 11, 30)},
     "expires 2021-11-30"),
])
def test_documents_that_never_come_are_gate_document(kw, words):
    p = person("P1", **kw)
    s = _scenario([p])
    failure = first_failure(p, households(s)[0], s.flights[1], s)
    assert failure is not None and failure.code == "gate.document" and words in failure.message


def test_issued_document_counts_after_the_handover():
    p = person("P1", document_status="issued", document_issued_on=date(2021, 12, 1), document_authority="IRQ-MSQ")
    s = _scenario([p])
    assert first_failure(p, households(s)[0], s.flights[0], s).code == "gate.document_pending"  # in hand 2 Dec
    assert first_failure(p, households(s)[0], s.flights[1], s) is None


def test_solve_plans_the_later_flight_lists_the_request_and_the_validator_refuses_the_early_one():
    people = [person("P1", household="H1", **REQUESTED), person("P2", household="H2")]
    s = _scenario(people)
    plan = solve(s, options=SolveOptions(time_limit=2, seating_time_limit=1, seating_processes=1))
    assert validate(s, plan) == []
    flown = {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}
    assert flown["P1"] == "F2"
    rows = document_requests(s, plan)
    assert [(r.authority, r.case_id, r.flight_id, r.issue_by, r.expected_in_hand) for r in rows] == [
        ("IRQ-MSQ", "P1", "F2", date(2021, 12, 9), date(2021, 12, 7))]
    assert requests_csv(rows).splitlines()[0].startswith("Issuing authority,Authority name,Case")
    # a broken plan: P1 moved to the flight before the document is in hand
    for fp in plan.flights:
        moved = [pa for pa in fp.passengers if pa.person_id == "P1"]
        fp.passengers = [pa for pa in fp.passengers if pa.person_id != "P1"]
        if fp.flight_id == "F2":
            plan.flights[0].passengers += [pa.model_copy(update={"seat": None}) for pa in moved]
    found = [v for v in validate(s, plan) if v.rule == "gates"]
    assert found and found[0].person_id == "P1" and "gate.document_pending" in found[0].message


def test_unknown_authority_and_future_request_are_input_errors_naming_the_field():
    p = person("P1", **{**REQUESTED, "document_authority": "NOWHERE", "document_requested_on": date(2021, 12, 1)})
    issues = check_scenario(_scenario([p]))
    fields = {i.field for i in issues}
    assert {"document_authority", "document_requested_on"} <= fields


def test_cli_document_requests(tmp_path, capsys):
    s = _scenario([person("P1", household="H1", **REQUESTED), person("P2", household="H2")])
    write_scenario(s, tmp_path / "sc")
    assert main(["solve", str(tmp_path / "sc"), "--time-limit", "5", "--out", str(tmp_path / "plan.json"),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["document-requests", str(tmp_path / "sc"), str(tmp_path / "plan.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("IRQ-MSQ,Embassy of Iraq in Minsk,P1,H1,")
    assert main(["document-requests", str(tmp_path / "sc"), str(tmp_path / "plan.json"), "--authority", "X"]) == 2
    assert "not one of the protocol's document_authorities" in capsys.readouterr().err
