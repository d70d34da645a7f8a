"""Arrival lists for reception partners (docs/reception.md): each partner gets only its people and columns."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from builders import person, scenario
from planner import SolveOptions, solve, validate
from planner.cli import main
from planner.io.writing import write_scenario
from planner.model.scenario import Escort
from planner.report.arrival_list import COLUMNS, arrival_csv, arrival_lists, arrival_xlsx


def _planned():
    people = [
        person("A1", household="H1", return_governorate="Duhok", return_district="Zakho", onward_transport="bus",
               referral="reintegration", referral_partner="Reintegration partner", document_number="SECRET-1",
               vulnerabilities=["torture"]),
        person("A2", household="H1", date_of_birth=date(2015, 5, 1), return_governorate="Duhok",
               return_district="Zakho"),
        person("U1", household="H2", date_of_birth=date(2006, 1, 1), unaccompanied_minor=True,
               best_interests_approved=True, reception_contact="Aunt, Erbil (phone on file)",
               return_governorate="Erbil"),
        person("M1", household="H3", mobility="WCHC", fitness="fit_with_escort",
               receiving_facility="Erbil Teaching Hospital", onward_transport="ambulance"),
    ]
    s = scenario(people, escorts=[Escort(id="OPS-1", role="operational"), Escort(id="UASC-1", role="uasc"),
                                  Escort(id="MED-1", role="medical")])
    plan = solve(s, options=SolveOptions(time_limit=2, seating_time_limit=1, seating_processes=1))
    assert validate(s, plan) == []
    return s, plan


@pytest.fixture(scope="module")
def planned():
    return _planned()


def _ids(lst):
    return [r["case_id"] for r in lst.rows]


def test_each_partner_gets_its_people_only(planned):
    s, plan = planned
    flown = {pa.person_id for fp in plan.flights for pa in fp.passengers}
    assert flown == {"A1", "A2", "U1", "M1"}
    reception = arrival_lists(s, plan, "F1", "reception")[0]
    assert sorted(_ids(reception)) == sorted(flown)
    assert _ids(arrival_lists(s, plan, "F1", "child_protection")[0]) == ["U1"]
    assert _ids(arrival_lists(s, plan, "F1", "referrals")[0]) == ["A1"]
    medical = arrival_lists(s, plan, "F1", "medical")[0]
    assert _ids(medical) == ["M1"] and medical.rows[0]["receiving_facility"] == "Erbil Teaching Hospital"
    assert "wheelchair to the seat" in medical.rows[0]["needs"]


def test_columns_are_minimal_and_never_name_documents_or_vulnerabilities(planned):
    s, plan = planned
    for partner in COLUMNS:
        for lst in arrival_lists(s, plan, "F1", partner):
            assert all(set(r) == set(COLUMNS[partner]) for r in lst.rows)
            text = arrival_csv([lst])
            assert "SECRET-1" not in text and "torture" not in text
    child = arrival_lists(s, plan, "F1", "child_protection")[0]
    assert child.rows[0]["guardian"] == "Aunt, Erbil (phone on file)" and "onward_transport" not in child.rows[0]
    assert "guardian" not in COLUMNS["reception"] and "needs" not in COLUMNS["reception"]


def test_reception_counts_by_governorate_and_ages_on_arrival(planned):
    s, plan = planned
    reception = arrival_lists(s, plan, "F1", "reception")[0]
    counts = dict(reception.by_governorate)
    assert counts["Duhok"] == 2 and counts["Erbil"] == 1
    a2 = next(r for r in reception.rows if r["case_id"] == "A2")
    assert a2["age"] == "6" and a2["return_district"] == "Zakho"
    assert reception.arrival.startswith("2021-12-01")


def test_xlsx_has_headings_in_words_and_text_cells(planned):
    s, plan = planned
    book = load_workbook(io.BytesIO(arrival_xlsx(arrival_lists(s, plan, "F1", "referrals"))))
    rows = list(book.active.values)
    assert rows[1][:3] == ("Case", "Household", "Family name")
    assert rows[2][0] == "A1" and "Reintegration partner" in rows[2]


def test_a_referral_names_its_partner():
    with pytest.raises(ValidationError, match="referral_partner"):
        person("P1", referral="protection")


def test_cli_arrival_list(tmp_path, capsys, planned):
    s, _ = planned
    write_scenario(s, tmp_path / "sc")
    assert main(["solve", str(tmp_path / "sc"), "--time-limit", "5", "--out", str(tmp_path / "p.json"),
                 "--quiet"]) == 0
    capsys.readouterr()
    assert main(["arrival-list", str(tmp_path / "sc"), str(tmp_path / "p.json"), "--flight", "F1",
                 "--partner", "child_protection"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Child protection agency: flight F1 arriving EBL") and out[2].startswith("U1,")
    assert main(["arrival-list", str(tmp_path / "sc"), str(tmp_path / "p.json"), "--flight", "F1",
                 "--partner", "reception", "--out", str(tmp_path / "a.xlsx")]) == 0
    assert (tmp_path / "a.xlsx").read_bytes()[:2] == b"PK"
    assert main(["arrival-list", str(tmp_path / "sc"), str(tmp_path / "p.json"), "--flight", "NOPE",
                 "--partner", "reception"]) == 2
