"""Small programmatic scenarios for unit tests of the planning core."""

from __future__ import annotations

from datetime import date
from typing import Any

from planner.model.scenario import (
    AircraftType,
    DestinationRule,
    Escort,
    Flight,
    Person,
    Protocol,
    Scenario,
    TestingSite,
)

AS_OF = "2021-11-28T18:00:00+03:00"


def person(case_id: str, household: str = "H1", **kw: Any) -> Person:
    data: dict[str, Any] = {
        "case_id": case_id, "household_id": household, "given_name": "Test", "family_name": case_id,
        "sex": "M", "date_of_birth": date(1990, 1, 1), "nationality": "IRQ", "destination": "EBL",
        "location": "CAMP", "consent": "explicit", "document_type": "passport", "document_number": "X1",
        "document_expiry": date(2030, 1, 1), "exit_cleared": True, "fitness": "fit",
    }
    data.update(kw)
    return Person.model_validate(data)


def flight(fid: str = "F1", dest: str = "EBL", day: int = 1, aircraft: str = "SMALL", **kw: Any) -> Flight:
    data: dict[str, Any] = {
        "id": fid, "aircraft": aircraft, "origin": "MSQ", "departure": f"2021-12-{day:02d}T10:00:00+03:00",
        "check_in_minutes": 180, "stops": [{"airport": dest, "arrival": f"2021-12-{day:02d}T14:10:00+03:00"}],
    }
    data.update(kw)
    return Flight.model_validate(data)


def site(sid: str = "LAB", serves: tuple[str, ...] = ("CAMP",), **kw: Any) -> TestingSite:
    data: dict[str, Any] = {"id": sid, "serves": list(serves), "days": {"from": "2021-11-29", "to": "2021-12-10"},
                            "open": "08:00", "close": "20:00", "slot_minutes": 60, "capacity_per_slot": 10}
    data.update(kw)
    return TestingSite.model_validate(data)


SMALL = AircraftType.model_validate({"type": "SMALL", "rows": {"first": 1, "last": 6}, "layout": "ABC DEF",
                                     "exit_rows": [3]})


def scenario(people: list[Person], flights: list[Flight] | None = None, sites: list[TestingSite] | None = None,
             escorts: list[Escort] | None = None, **protocol: Any) -> Scenario:
    proto = Protocol.model_validate({
        "destinations": {
            "EBL": DestinationRule(window_hours=48, anchor="arrival", exempt_under_years=12, vaccinated_exempt=True),
            "BGW": DestinationRule(window_hours=72, anchor="departure", exempt_under_years=10),
        },
        **protocol,
    })
    return Scenario(name="test", timezone="Europe/Minsk", as_of=AS_OF, protocol=proto,
                    testing_sites=sites if sites is not None else [site()],
                    escorts=escorts if escorts is not None else [Escort(id="OPS-1", role="operational")],
                    aircraft=[SMALL], flights=flights if flights is not None else [flight()], people=people)
