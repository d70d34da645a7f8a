"""Payload family (planner.rules.payload): `payload`, the masses behind them, and a solve
whose payload limit binds (reason `capacity.payload`)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from builders import SMALL, flight, scenario
from planner.model.baggage import StandardMasses
from planner.model.options import SolveOptions
from planner.model.scenario import Person, Scenario
from planner.pipeline.solve import solve
from planner.rules.capacity import flight_limits, household_usage
from planner.rules.payload import category, person_load
from rules.kit import board, found, person, world

ON = date(2021, 12, 1)


def _with_aircraft(s: Scenario, **load: object) -> Scenario:
    aircraft = SMALL.model_copy(update=load)
    return s.model_copy(update={"aircraft": [aircraft]})


def test_blank_columns_take_the_protocol_allowance():
    s = world([person("A")])
    load = person_load(s.people[0], ON, False, StandardMasses(), s.protocol)
    # EASA all adult 84 kg (hand baggage included) + one 20 kg bag; the 6 kg cabin bag is listed, not added
    assert (load.category, load.body_kg, load.checked_bags, load.checked_kg, load.cabin_kg) == ("adult", 84, 1, 20, 6)
    assert load.total_kg == 104


def test_stated_baggage_mobility_aid_and_categories():
    p = person("A", checked_bags=2, checked_bag_kg=31.5, cabin_bag_kg=4, mobility_aid="wheelchair_lithium_ion",
               mobility_aid_kg=25, sex="F")
    masses = StandardMasses(male=88, female=70, include_cabin_baggage=False)
    load = person_load(p, ON, False, masses, world([p]).protocol)
    assert (load.category, load.body_kg, load.total_kg) == ("female", 74, 70 + 4 + 31.5 + 25)
    child = person("C", date_of_birth=date(2015, 1, 1))
    assert category(child, ON, False, masses) == "child"
    assert category(child, ON, True, masses) == "infant"
    aid = person_load(person("W", mobility_aid="wheelchair_manual"), ON, False, StandardMasses(), world([]).protocol)
    assert aid.aid_kg == 15  # the protocol's default mass for a manual wheelchair


def test_bad_baggage_columns_name_the_field():
    with pytest.raises(ValidationError, match="checked_bag_kg\n  Value error, is 12 but checked_bags is 0"):
        person("A", checked_bags=0, checked_bag_kg=12)
    with pytest.raises(ValidationError, match="mobility_aid_kg"):
        person("A", mobility_aid_kg=40)
    with pytest.raises(ValidationError, match="checked_bag_kg"):
        Person.model_validate({**person("A").model_dump(), "checked_bag_kg": -1})
    with pytest.raises(ValidationError, match="row 3 is in zone FWD and in zone AFT"):
        SMALL.model_copy().model_validate({**SMALL.model_dump(), "zones": [
            {"id": "FWD", "first_row": 1, "last_row": 3}, {"id": "AFT", "first_row": 3, "last_row": 6}]})


def test_a_plan_within_the_payload_limit_keeps_the_rule():
    s = _with_aircraft(world([person("A", household="H1"), person("B", household="H2")]), payload_limit_kg=312)
    assert found(s, board(s, ["A", "B"])) == set()  # 2 × 104 + the escort's 104 = 312


def test_a_plan_over_the_payload_limit_breaks_payload():
    s = _with_aircraft(world([person("A", household="H1"), person("B", household="H2", checked_bag_kg=23)]),
                       payload_limit_kg=312)
    assert found(s, board(s, ["A", "B"])) == {"payload"}


def test_the_capacity_limit_charges_households_and_escorts():
    s = _with_aircraft(world([person("A"), person("I", date_of_birth=date(2021, 1, 1))]), payload_limit_kg=500)
    f = s.flights[0]
    limits = flight_limits(s, f)
    assert (limits[-1].name, limits[-1].rhs, limits[-1].escort_usage) == ("payload", 500, 104)
    from planner.model.caseload import households

    # the adult 104 kg; the lap infant adds no body mass (EASA) but has its 20 kg bag
    assert household_usage(s, f, households(s)[0])[-1] == 124


def test_solve_keeps_the_payload_limit_and_explains_who_is_left():
    people = [person(f"P{i}", household=f"H{i}") for i in range(6)]
    s = scenario(people, flights=[flight()])
    s = _with_aircraft(s, payload_limit_kg=4 * 104 + 50)  # room for the escort and three passengers
    plan = solve(s, options=SolveOptions(time_limit=3, seating_time_limit=1, seating_processes=1))
    flown = [pa.person_id for fp in plan.flights for pa in fp.passengers]
    assert len(flown) == 3
    codes = {r.code for u in plan.unassigned for r in u.reasons}
    assert codes == {"capacity.payload"}
    assert found(s, plan) == set()


def test_people_file_errors_name_row_and_field():
    import csv
    import io

    from planner.io.people_file import parse_people
    from planner.io.writing import people_to_csv

    rows = list(csv.DictReader(io.StringIO(people_to_csv([person("A"), person("B")]))))
    header = list(rows[0])
    rows[0].update(checked_bags="0", checked_bag_kg="12")
    rows[1].update(mobility_aid_kg="40", cabin_bag_kg="heavy", mobility_aid="scooter")
    for number, row in enumerate(rows, start=2):
        row["__row__"] = str(number)
    _, issues = parse_people(header, rows, "people.csv")
    found_at = {(i.row, i.field) for i in issues}
    assert found_at == {(2, "checked_bag_kg"), (3, "cabin_bag_kg"), (3, "mobility_aid")}
