"""Pins hold a household on a flight (and a seat) in the next solve; a pin that breaks a rule is reported."""

from builders import flight, person, scenario, site
from planner import SolveOptions, solve, validate
from planner.model.scenario import Escort
from planner.whatif.pins import parse_pins


def _scenario():
    people = [person("V", "HV", vulnerabilities=["torture"]), person("A", "HA"), person("B", "HB"),
              person("X", "HX", document_type="none")]
    return scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)], sites=[site(capacity_per_slot=10)],
                    escorts=[Escort(id="O1", role="operational", vaccinated=True),
                             Escort(id="O2", role="operational", vaccinated=True)])


def _solve(s, pins):
    plan = solve(s, options=SolveOptions(time_limit=2, seating_processes=1, deterministic=True,
                                         pins=parse_pins(pins)))
    assert validate(s, plan) == []
    return plan


def test_pinned_household_flies_on_its_flight_and_seat():
    s = _scenario()
    plan = _solve(s, [{"case_id": "A", "flight_id": "F2", "seat": "4A"}])
    where = {pa.person_id: (fp.flight_id, pa.seat) for fp in plan.flights for pa in fp.passengers}
    assert where["A"] == ("F2", "4A")
    assert where["V"][0] == "F1"


def test_pin_breaking_a_rule_is_a_conflict():
    s = _scenario()
    plan = _solve(s, [{"case_id": "X", "flight_id": "F1"}])
    reasons = {u.person_id: u.reasons for u in plan.unassigned}
    assert reasons["X"][0].code == "pin.conflict" and "gate.document" in reasons["X"][0].message


def test_pin_to_unknown_flight_is_a_conflict():
    plan = _solve(_scenario(), [{"case_id": "A", "flight_id": "NOPE"}])
    first = {u.person_id: u.reasons[0] for u in plan.unassigned}
    assert first["A"].code == "pin.conflict" and first["A"].flight_id is None and "NOPE" in first["A"].message


def test_a_seat_pin_moves_a_kept_passenger_on_purpose_and_the_replan_stays_valid():
    """A re-plan keeps kept passengers in their seats, unless an officer pins one to another seat: the check of
    kept seats then runs against the previous plan with the pinned seats laid over it."""
    from planner.whatif.pins import pinned_start

    s = _scenario()
    first = _solve(s, [])
    flight_of = {pa.person_id: (fp.flight_id, pa.seat) for fp in first.flights for pa in fp.passengers}
    fid = flight_of["A"][0]
    taken = {st for f, st in flight_of.values() if f == fid}
    new_seat = next(f"{row}{letter}" for row in range(3, 20) for letter in "ABCDEF" if f"{row}{letter}" not in taken)
    pins = [{"case_id": "A", "flight_id": fid, "seat": new_seat}]
    again = solve(s, previous=first, options=SolveOptions(time_limit=1, seating_processes=1, deterministic=True,
                                                         pins=parse_pins(pins)))
    seats = {pa.person_id: pa.seat for fp in again.flights for pa in fp.passengers}
    assert seats["A"] == new_seat
    assert [v.rule for v in validate(s, again, first)] == ["seats_kept"]  # unaware of the pin, it is a move
    assert validate(s, again, pinned_start(first, pins)) == []
