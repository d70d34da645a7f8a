"""Regenerate the bundled scenarios (except the hand-made teaching-two-flights) byte for byte.

    python scenarios/make_bundled.py            # rewrite all of them
    python scenarios/make_bundled.py --check    # exit 1 if a file on disk differs from what this makes

The large scenarios come from `planner.synth.generate` with fixed seeds; the two teaching scenarios are written
out person by person here so that their story stays readable. README.md notes in each folder are written by
hand and are not touched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from planner.io.writing import people_to_csv, scenario_to_yaml
from planner.model.baggage import CabinZone
from planner.model.scenario import (
    AircraftType,
    DateRange,
    DestinationRule,
    Escort,
    EscortRules,
    Flight,
    Person,
    Protocol,
    RowRange,
    Scenario,
    SeatingRules,
    Stop,
    TestingSite,
)
from planner.synth.generate import generate_scenario
from planner.synth.languages import notice_language
from planner.synth.names import KU_FAMILY, KU_FEMALE, KU_MALE
from planner.synth.operation_2021 import RULES_2021

HERE = Path(__file__).resolve().parent
MSK = timezone(timedelta(hours=3))
AS_OF_2021 = datetime(2021, 11, 28, 18, 0, tzinfo=MSK)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=MSK)


# ---------------------------------------------------------------- the large scenarios

def belarus_2021_iraq() -> Scenario:
    """About 7,000 people, 30 charters over 14 days, 3 testing sites: the benchmark-sized operation."""
    return generate_scenario(7000, 2021, flights=30, days=14, name="Belarus to Iraq, winter 2021")


def first_charter_2022() -> Scenario:
    """IOM's first charter, 22 March 2022, Minsk to Erbil, 98 returnees moved from Hrodna to Minsk [S8]."""
    as_of = datetime(2022, 3, 18, 12, 0, tzinfo=MSK)
    s = generate_scenario(98, 2022, flights=1, days=4, as_of=as_of, sites=1, profile="avrr",
                          destinations={"EBL": 1.0}, locations={"MINSK-HOTEL-1": 1.0}, foreign_share=0.0,
                          name="First IOM charter from Belarus, March 2022")
    departure = _at(date(2022, 3, 22), 10, 0)
    s.flights = [Flight(id="IOM-MSQ-EBL-1", aircraft="A320-180Y", origin="MSQ", departure=departure,
                        check_in_minutes=180,
                        stops=[Stop(airport="EBL", arrival=departure + timedelta(minutes=250))])]
    # Iraq from 13 Jan 2022: PCR at most 72 h before the flight for all arrivals [S59]; IOM's pre-embarkation
    # check gave every returnee a PCR test [S8], so nobody is exempt here.
    s.protocol.destinations = {"EBL": DestinationRule(test="PCR", window_hours=72, anchor="departure",
                                                      exempt_under_years=0, vaccinated_exempt=False)}
    s.testing_sites = [TestingSite(id="MINSK-PEC", serves=["MINSK-HOTEL-1"],
                                   days=DateRange(**{"from": date(2022, 3, 19), "to": date(2022, 3, 21)}),
                                   open=time(9, 0), close=time(17, 0), slot_minutes=60, capacity_per_slot=12,
                                   daily_capacity=60)]
    window = DateRange(**{"from": date(2022, 3, 19), "to": date(2022, 3, 23)})
    s.escorts = [Escort(id=f"OPS-0{k}", role="operational", available=window, location="MINSK-HOTEL-1",
                        vaccinated=True) for k in (1, 2, 3)]
    s.escorts.append(Escort(id="MED-01", role="medical", available=window, location="MINSK-HOTEL-1",
                            vaccinated=True))
    s.notes = ("The first IOM charter from Belarus: 98 returnees, Minsk to Erbil on 22 March 2022, moved from "
               "the Hrodna facility to Minsk for medical checks and pre-departure assistance (IOM Belarus, "
               "22 Mar 2022). The people, the aircraft, the departure time and the clinic capacity are "
               "synthetic. See README.md.")
    return s


# ---------------------------------------------------------------- teaching scenarios, person by person

class _People:
    """Builds readable teaching caseloads: Kurdish names from the generator's tables, sane defaults."""

    def __init__(self, location: str, registered: date):
        self.location = location
        self.registered = registered
        self.people: list[Person] = []

    def add(self, household: str, given: str, family: str, sex: str, born: str, **fields: object) -> None:
        names = KU_MALE if sex == "M" else KU_FEMALE
        n = len(self.people) + 1
        values: dict[str, object] = {
            "case_id": f"C{n:04d}", "household_id": household, "given_name": given, "family_name": family,
            "name_native": f"{names[given]} {KU_FAMILY[family]}", "sex": sex,
            "date_of_birth": date.fromisoformat(born), "nationality": "IRQ", "destination": "EBL",
            "location": self.location, "consent": "explicit", "consent_date": self.registered + timedelta(days=2),
            "document_type": "passport", "document_number": f"A{31000000 + n * 7919}",
            "document_expiry": date(2027, 6, 30), "document_issuing_state": "IRQ", "country_of_birth": "IRQ",
            "exit_cleared": True, "fitness": "fit",
            "vaccinated": False, "registered_on": self.registered,
        }
        values.update(fields)
        values.setdefault("language", notice_language("ku", family))  # Sorani, or Kurmanji for Badinan names
        self.people.append(Person.model_validate(values))


def _protocol(**seating: object) -> Protocol:
    return Protocol(lab_turnaround_hours=24, delay_margin_hours=6, positive_isolation_days=10,
                    require_exit_clearance=True, destinations={"EBL": RULES_2021["EBL"], "BGW": RULES_2021["BGW"]},
                    seating=SeatingRules(**seating),
                    escorts=EscortRules(operational_per_passengers=50, medical_per_cases=2, uasc_per_escort=2,
                                        turnaround_hours=24))


def _teaching_load(rows: int) -> dict[str, Any]:
    """A teaching cabin's payload limit (room for every seat at the allowance, 104 kg each, plus a quarter) and
    two cabin zones, front and back, with an illustrative balance index per passenger (docs/load.md)."""
    half = (rows + 1) // 2
    zones = [CabinZone(id="FWD", first_row=1, last_row=half, index_per_passenger=-0.4),
             CabinZone(id="AFT", first_row=half + 1, last_row=rows, index_per_passenger=0.4)]
    return {"payload_limit_kg": rows * 6 * 130, "zones": zones}


def teaching_lab_bottleneck() -> Scenario:
    """Seats to spare, but the lab processes 10 samples a day: 24 travellers need a test, 20 can have one."""
    loc = "BRUZGI-LOGISTICS-CENTRE"
    b = _People(loc, date(2021, 11, 15))
    b.add("H01", "Karwan", "Rashid", "M", "1984-04-12")
    b.add("H01", "Shilan", "Rashid", "F", "1988-09-03")
    b.add("H01", "Aram", "Rashid", "M", "2013-02-20")
    b.add("H01", "Lana", "Rashid", "F", "2016-07-01")
    b.add("H02", "Rebin", "Qadir", "M", "1996-01-17")
    b.add("H03", "Shwan", "Amin", "M", "1999-11-30", registered_on=date(2021, 11, 25))
    b.add("H04", "Hemin", "Zebari", "M", "1979-05-05")
    b.add("H04", "Nazdar", "Zebari", "F", "1982-03-14")
    b.add("H04", "Diyar", "Zebari", "M", "2007-06-09")
    b.add("H04", "Avin", "Zebari", "F", "2011-10-21")
    b.add("H04", "Botan", "Zebari", "M", "2018-12-02")
    b.add("H05", "Saman", "Othman", "M", "1993-08-08")
    b.add("H05", "Goran", "Othman", "M", "1995-02-27")
    b.add("H05", "Hiwa", "Othman", "M", "2000-12-12")
    b.add("H06", "Sherko", "Hamid", "M", "1987-01-01", vaccinated=True)
    b.add("H06", "Bahar", "Hamid", "F", "1990-04-16")
    b.add("H07", "Parwin", "Faraj", "F", "1986-06-25")
    b.add("H07", "Rojin", "Faraj", "F", "2012-09-09")
    b.add("H07", "Alan", "Faraj", "M", "2015-03-03")
    b.add("H08", "Azad", "Jaf", "M", "1977-10-10", vulnerabilities=["border_exposure"])
    b.add("H08", "Kazhal", "Jaf", "F", "1980-12-01")
    b.add("H08", "Zana", "Jaf", "M", "2004-05-19")
    b.add("H08", "Hero", "Jaf", "F", "2006-08-30")
    b.add("H08", "Dana", "Jaf", "M", "2010-01-15")
    b.add("H08", "Chra", "Jaf", "F", "2020-11-11")
    b.add("H09", "Sirwan", "Surchi", "M", "1998-07-07")
    b.add("H09", "Rezan", "Surchi", "M", "2001-09-23")
    b.add("H10", "Mohammed", "Barwari", "M", "1953-02-02", vulnerabilities=["medical"])
    b.add("H10", "Amina", "Barwari", "F", "1957-11-19")
    b.add("H11", "Kawa", "Doski", "M", "1994-04-04", registered_on=date(2021, 11, 26))
    b.add("H12", "Dilshad", "Hawrami", "M", "1985-12-24")
    b.add("H12", "Sozan", "Hawrami", "F", "1989-02-11")
    b.add("H12", "Baran", "Hawrami", "M", "2008-10-10")
    aircraft = AircraftType(type="TEACH-8x6", description="Teaching cabin: 8 rows of 3-3 = 48 seats, exit row 4",
                            rows=RowRange(first=1, last=8), layout="ABC DEF", exit_rows=[4], **_teaching_load(8))
    window = DateRange(**{"from": date(2021, 11, 29), "to": date(2021, 12, 5)})
    flights = []
    for k, day in ((1, date(2021, 12, 1)), (2, date(2021, 12, 2))):
        departure = _at(day, 16, 0)
        flights.append(Flight(id=f"MSQ-EBL-{k}", aircraft=aircraft.type, origin="MSQ", departure=departure,
                              check_in_minutes=180,
                              stops=[Stop(airport="EBL", arrival=departure + timedelta(minutes=250))]))
    return Scenario(
        name="Teaching: the lab decides who flies", timezone="Europe/Minsk", as_of=AS_OF_2021,
        notes=("Teaching scenario, all synthetic. 33 people in 12 households, everyone eligible, all flying to "
               "Erbil. Two 48-seat charters (16:00 on 1 and 2 December) have seats to spare, but Erbil's "
               "48-hours-before-arrival rule leaves one sampling morning per flight and the Bruzgi lab "
               "processes 10 samples a day: 24 travellers need a test and only 20 can have one."),
        protocol=_protocol(distancing=[], isolation_rows_rear=1),
        testing_sites=[TestingSite(id="BRUZGI-LAB", serves=[loc], days=window, open=time(8, 0),
                                   close=time(12, 0), slot_minutes=60, capacity_per_slot=4, daily_capacity=10)],
        escorts=[Escort(id=f"OPS-0{k}", role="operational", available=window, location=loc, vaccinated=True)
                 for k in (1, 2)],
        aircraft=[aircraft], flights=flights, people=b.people)


def teaching_vulnerable_first() -> Scenario:
    """More people than seats on two small charters: priority weights decide who flies, and who flies first."""
    loc = "MINSK-HOTEL-1"
    b = _People(loc, date(2021, 11, 20))
    b.add("H01", "Mohammed", "Rasul", "M", "1948-03-03", fitness="fit_with_escort", vulnerabilities=["medical"])
    b.add("H01", "Fatima", "Rasul", "F", "1952-07-07")
    b.add("H02", "Hawre", "Karim", "M", "1992-01-21")
    b.add("H02", "Jwan", "Karim", "F", "1995-05-05", pregnant=True)
    b.add("H02", "Shno", "Karim", "F", "2020-12-30")
    b.add("H03", "Soran", "Khidir", "M", "2005-09-14", unaccompanied_minor=True, best_interests_approved=True,
          consent="proxy", consent_note="Declaration signed by the appointed guardian after the best-interests "
                                        "procedure", reception_contact="Paternal uncle, Duhok (phone on file)",
          registered_on=date(2021, 10, 5))
    b.add("H04", "Dilan", "Mahmoud", "F", "1987-02-02", checked_bags=2, checked_bag_kg=38.0)  # the family's bags
    b.add("H04", "Rozhan", "Mahmoud", "F", "2010-10-10")
    b.add("H04", "Aram", "Mahmoud", "M", "2013-03-13")
    b.add("H04", "Srwa", "Mahmoud", "F", "2016-06-16")
    b.add("H05", "Bakhtiyar", "Sharif", "M", "1983-08-18", vulnerabilities=["torture"])
    b.add("H06", "Gulala", "Aziz", "F", "1997-12-12", vulnerabilities=["trafficking"])
    b.add("H07", "Nawzad", "Herki", "M", "1971-04-24", mobility="WCHR", vulnerabilities=["disability"],
          mobility_aid="wheelchair_manual", mobility_aid_kg=14.0)  # his own wheelchair goes in the hold
    b.add("H07", "Nask", "Herki", "F", "1975-01-30")
    for k, (given, family, born, registered) in enumerate((
            ("Hogir", "Ali", "1990-02-02", "2021-10-10"), ("Rebin", "Omar", "1994-03-03", "2021-10-20"),
            ("Karwan", "Hassan", "1996-04-04", "2021-11-01"), ("Shwan", "Salih", "1998-05-05", "2021-11-10"),
            ("Alan", "Ibrahim", "1999-06-06", "2021-11-18"), ("Zana", "Ahmed", "2000-07-07", "2021-11-24"),
            ("Hemin", "Mustafa", "1991-08-08", "2021-11-25"), ("Kawa", "Abdullah", "1993-09-09", "2021-11-26"),
    ), start=8):
        b.add(f"H{k:02d}", given, family, "M", born, registered_on=date.fromisoformat(registered))
    couples = (("Goran", "Avin", "Rahman"), ("Sherko", "Bafrin", "Faraj"), ("Azad", "Hana", "Qadir"),
               ("Sirwan", "Lana", "Mohammed"), ("Diyar", "Sara", "Rashid"), ("Baran", "Maryam", "Othman"),
               ("Dana", "Zainab", "Hamid"), ("Saman", "Kazhal", "Amin"), ("Hiwa", "Shirin", "Doski"),
               ("Rezan", "Nazdar", "Surchi"), ("Botan", "Chra", "Zebari"), ("Kawa", "Hero", "Jaf"),
               ("Alan", "Parwin", "Hawrami"), ("Goran", "Sozan", "Barwari"))
    for k, (husband, wife, family) in enumerate(couples, start=16):
        b.add(f"H{k:02d}", husband, family, "M", f"19{80 + k % 15}-01-1{k % 9}")
        b.add(f"H{k:02d}", wife, family, "F", f"19{83 + k % 14}-06-2{k % 9}")
    aircraft = AircraftType(type="TEACH-5x6", description="Teaching cabin: 5 rows of 3-3 = 30 seats, exit row 3",
                            rows=RowRange(first=1, last=5), layout="ABC DEF", exit_rows=[3], **_teaching_load(5))
    window = DateRange(**{"from": date(2021, 11, 29), "to": date(2021, 12, 6)})
    flights = []
    for k, day in ((1, date(2021, 12, 1)), (2, date(2021, 12, 4))):
        departure = _at(day, 19, 0)
        flights.append(Flight(id=f"MSQ-EBL-{k}", aircraft=aircraft.type, origin="MSQ", departure=departure,
                              check_in_minutes=180,
                              stops=[Stop(airport="EBL", arrival=departure + timedelta(minutes=250))]))
    escorts = [Escort(id=f"OPS-0{k}", role="operational", available=window, location=loc, vaccinated=True)
               for k in (1, 2)]
    escorts += [Escort(id="MED-01", role="medical", available=window, location=loc, vaccinated=True),
                Escort(id="UASC-01", role="uasc", available=window, location=loc, vaccinated=True)]
    return Scenario(
        name="Teaching: the most vulnerable fly first", timezone="Europe/Minsk", as_of=AS_OF_2021,
        notes=("Teaching scenario, all synthetic. 50 people in 29 households for two 30-seat charters to Erbil "
               "(1 and 4 December; the rear row stays empty under the COVID-19 protocol and escorts take "
               "seats). Not everyone fits: the priority weights (vulnerability points plus a point per week "
               "of waiting) decide who flies, and the heaviest households should take the first flight."),
        protocol=_protocol(distancing=[], isolation_rows_rear=1),
        testing_sites=[TestingSite(id="MINSK-LAB", serves=[loc], days=window, open=time(8, 0), close=time(18, 0),
                                   slot_minutes=60, capacity_per_slot=20, daily_capacity=60)],
        escorts=escorts, aircraft=[aircraft], flights=flights, people=b.people)


BUNDLED: dict[str, Callable[[], Scenario]] = {
    "belarus-2021-iraq": belarus_2021_iraq,
    "first-charter-2022": first_charter_2022,
    "teaching-lab-bottleneck": teaching_lab_bottleneck,
    "teaching-vulnerable-first": teaching_vulnerable_first,
}


def files_for(name: str) -> dict[str, bytes]:
    """The exact bytes of scenario.yaml and people.csv for one bundled scenario."""
    scenario = BUNDLED[name]()
    return {"scenario.yaml": scenario_to_yaml(scenario).encode("utf-8"),
            "people.csv": people_to_csv(scenario.people).encode("utf-8")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    parser.add_argument("names", nargs="*", default=list(BUNDLED), help="scenarios to make (default: all)")
    args = parser.parse_args(argv)
    stale = []
    for name in args.names:
        folder = HERE / name
        for filename, data in files_for(name).items():
            path = folder / filename
            if args.check:
                if not path.exists() or path.read_bytes() != data:
                    stale.append(str(path))
            else:
                folder.mkdir(exist_ok=True)
                path.write_bytes(data)
                print(f"wrote {path.relative_to(HERE.parent)}")
    for path in stale:
        print(f"differs: {path}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
