"""Arrival lists for the destination's reception partners: one list per flight and partner, each with only the
columns that partner needs (docs/reception.md).

Data minimisation is the point of the split: the airport reception team needs names, households, the place of
return and onward transport, not travel documents or medical details; a child protection agency needs the
unaccompanied children and their receiving guardian; a receiving hospital needs its patients and their needs;
a reintegration or protection partner needs the people referred to them. Nobody's list names a vulnerability
such as torture or trafficking.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from planner.model.caseload import age_years, departure_date, households
from planner.model.plan import Plan
from planner.model.scenario import Flight, Person, Scenario, local_date
from planner.report.needs import care_needs
from planner.rules.escorts import is_medical_case

Partner = Literal["reception", "child_protection", "medical", "referrals"]
PARTNERS: tuple[Partner, ...] = ("reception", "child_protection", "medical", "referrals")
PARTNER_WORDS: dict[Partner, str] = {
    "reception": "Airport reception", "child_protection": "Child protection agency",
    "medical": "Receiving medical facility", "referrals": "Protection and reintegration partners"}

#: column key -> heading in words; each partner's columns are a subset, in this order.
HEADINGS = {
    "case_id": "Case", "household_id": "Household", "family_name": "Family name", "given_name": "Given name",
    "name_native": "Name in own script", "sex": "Sex", "age": "Age", "date_of_birth": "Date of birth",
    "return_governorate": "Governorate of return", "return_district": "District",
    "guardian": "Receiving guardian or agency", "needs": "Needs on arrival",
    "receiving_facility": "Receiving facility", "referral": "Referral", "referral_partner": "Referred to",
    "onward_transport": "Onward transport",
}
COLUMNS: dict[Partner, tuple[str, ...]] = {
    "reception": ("case_id", "household_id", "family_name", "given_name", "name_native", "sex", "age",
                  "return_governorate", "return_district", "onward_transport"),
    "child_protection": ("case_id", "family_name", "given_name", "name_native", "sex", "date_of_birth",
                         "return_governorate", "return_district", "guardian"),
    "medical": ("case_id", "household_id", "family_name", "given_name", "name_native", "sex", "age", "needs",
                "receiving_facility", "onward_transport"),
    "referrals": ("case_id", "household_id", "family_name", "given_name", "name_native", "return_governorate",
                  "return_district", "referral", "referral_partner"),
}
TRANSPORT_WORDS = {"own": "own arrangements", "family_pickup": "family picks up", "bus": "bus",
                   "accessible_vehicle": "accessible vehicle", "ambulance": "ambulance"}
REFERRAL_WORDS = {"protection": "protection", "reintegration": "reintegration",
                  "both": "protection and reintegration"}


@dataclass(frozen=True)
class ArrivalList:
    """One partner's list for one flight's arrival at one destination."""

    partner: Partner
    flight_id: str
    destination: str
    arrival: str  # local date and time at the destination, as printed
    columns: tuple[str, ...]
    rows: list[dict[str, str]]
    by_governorate: list[tuple[str, int]]

    @property
    def title(self) -> str:
        count = f"{len(self.rows)} {'person' if len(self.rows) == 1 else 'people'}"
        return f"{PARTNER_WORDS[self.partner]}: flight {self.flight_id} arriving {self.destination} {self.arrival} " \
               f"({count})"

    @property
    def headings(self) -> list[str]:
        return [HEADINGS[c] for c in self.columns]


def _includes(partner: Partner, p: Person, medical: bool) -> bool:
    if partner == "child_protection":
        return p.unaccompanied_minor
    if partner == "medical":
        return medical or bool(p.receiving_facility)
    if partner == "referrals":
        return p.referral is not None
    return True


def _row(p: Person, on: date, medical: bool) -> dict[str, str]:
    needs = [n.words for n in care_needs(p.mobility, p.fitness, p.unaccompanied_minor, p.pregnant)]
    if medical and not needs:
        needs.append("medical case")
    return {
        "case_id": p.case_id, "household_id": p.household_id, "family_name": p.family_name,
        "given_name": p.given_name, "name_native": p.name_native, "sex": p.sex,
        "age": str(age_years(p.date_of_birth, on)), "date_of_birth": p.date_of_birth.isoformat(),
        "return_governorate": p.return_governorate, "return_district": p.return_district,
        "guardian": p.reception_contact, "needs": "; ".join(needs), "receiving_facility": p.receiving_facility,
        "referral": REFERRAL_WORDS.get(p.referral or "", ""), "referral_partner": p.referral_partner,
        "onward_transport": TRANSPORT_WORDS.get(p.onward_transport or "", ""),
    }


def _arrival(flight: Flight, destination: str, scenario: Scenario) -> tuple[str, date]:
    from planner.io.airports import airport

    stop = next(s for s in flight.stops if s.airport == destination)
    place = airport(destination)
    tz = place.timezone if place else scenario.timezone
    return f"{local_date(stop.arrival, tz)} {stop.arrival.strftime('%H:%M')}", local_date(stop.arrival, tz)


def arrival_lists(scenario: Scenario, plan: Plan, flight_id: str, partner: Partner) -> list[ArrivalList]:
    """The partner's list for each destination the flight's passengers arrive at, rows in household order."""
    flight = next((f for f in scenario.flights if f.id == flight_id), None)
    fp = next((f for f in plan.flights if f.flight_id == flight_id), None)
    if flight is None or fp is None:
        raise KeyError(flight_id)
    people = {p.case_id: p for p in scenario.people}
    household_of = {p.case_id: h for h in households(scenario) for p in h.members}
    on = departure_date(flight, scenario)
    aboard = sorted((people[pa.person_id] for pa in fp.passengers if pa.person_id in people),
                    key=lambda p: (p.destination, p.household_id, p.case_id))
    out = []
    for destination in sorted({p.destination for p in aboard}):
        arrival, day = _arrival(flight, destination, scenario)
        rows = []
        for p in aboard:
            medical = is_medical_case(p, household_of[p.case_id], on)
            if p.destination == destination and _includes(partner, p, medical):
                full = _row(p, day, medical)
                rows.append({c: full[c] for c in COLUMNS[partner]})
        counts = Counter(r.get("return_governorate") or "not recorded" for r in rows)
        out.append(ArrivalList(partner, flight_id, destination, arrival, COLUMNS[partner], rows,
                               sorted(counts.items())))
    return out


def arrival_csv(lists: list[ArrivalList]) -> str:
    """The lists as CSV, a title line per destination, headings in words, a count per governorate."""
    from planner.io.cell_rules import neutralise_text

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for i, lst in enumerate(lists):
        if i:
            writer.writerow([])
        writer.writerow([lst.title])
        writer.writerow(lst.headings)
        for row in lst.rows:
            writer.writerow([neutralise_text(row[c]) for c in lst.columns])
        if "return_governorate" in lst.columns:
            writer.writerow([])
            writer.writerow(["Governorate of return", "People"])
            for name, count in lst.by_governorate:
                writer.writerow([neutralise_text(name), count])
    return buf.getvalue()


def arrival_xlsx(lists: list[ArrivalList]) -> bytes:
    """The lists as a workbook, one sheet per destination, every cell text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from planner.io.cell_rules import neutralise_text

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for lst in lists:
        sheet = book.create_sheet(title=f"{lst.flight_id} {lst.destination}"[:31])
        sheet.append([lst.title])
        header = []
        for heading in lst.headings:
            cell = WriteOnlyCell(sheet, value=heading)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in lst.rows:
            cells = []
            for c in lst.columns:
                cell = WriteOnlyCell(sheet, value=neutralise_text(row[c]))
                cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
        sheet.print_title_rows = "2:2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = "9"  # A4
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
