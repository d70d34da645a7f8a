"""The validator catches each hard rule when a valid plan is broken on purpose."""

from datetime import timedelta
from pathlib import Path

import pytest

from planner import SolveOptions, load_scenario, solve, validate
from planner.plan import EscortOnBoard, Passenger, Plan, Reason, TestBooking, Unassigned

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"


@pytest.fixture(scope="module")
def base():
    s = load_scenario(TEACHING)
    plan = solve(s, options=SolveOptions(time_limit=2, seat=False, deterministic=True))
    assert validate(s, plan) == []
    return s, plan


def _rules(s, plan: Plan) -> set[str]:
    return {v.rule for v in validate(s, plan)}


def _copy(plan: Plan) -> Plan:
    return plan.model_copy(deep=True)


def _flight(plan: Plan, fid: str):
    return next(f for f in plan.flights if f.flight_id == fid)


def test_person_missing_or_twice(base):
    s, plan = base
    p = _copy(plan)
    p.unassigned.pop(0)
    assert "person_once" in _rules(s, p)
    p = _copy(plan)
    p.unassigned.append(Unassigned(person_id="C0012", reasons=[Reason(code="gate.consent", message="x")]))
    assert "person_once" in _rules(s, p)


def test_unknown_flight(base):
    s, plan = base
    p = _copy(plan)
    p.flights[0].flight_id = "NOPE"
    assert "known_flight" in _rules(s, p)


def test_gate_failure_on_board(base):
    s, plan = base
    p = _copy(plan)
    p.unassigned = [u for u in p.unassigned if u.person_id != "C0008"]
    _flight(p, "MSQ-EBL-1").passengers.append(Passenger(person_id="C0008"))
    assert "gates" in _rules(s, p)


def test_destination_not_served(base):
    s, plan = base
    p = _copy(plan)
    ebl, bgw = _flight(p, "MSQ-EBL-1"), _flight(p, "MSQ-BGW-1")
    moving = [pa for pa in ebl.passengers if pa.person_id in ("C0006", "C0007")]
    ebl.passengers = [pa for pa in ebl.passengers if pa not in moving]
    bgw.passengers += moving
    assert "destination_served" in _rules(s, p)


def test_household_split(base):
    s, plan = base
    p = _copy(plan)
    bgw = _flight(p, "MSQ-BGW-1")
    bgw.passengers = [pa for pa in bgw.passengers if pa.person_id != "C0015"]
    p.unassigned.append(Unassigned(person_id="C0015", reasons=[Reason(code="capacity.seats", message="x")]))
    assert "household_unity" in _rules(s, p)


def test_lap_infant_on_a_stranger(base):
    s, plan = base
    p = _copy(plan)
    bgw = _flight(p, "MSQ-BGW-1")
    infant = next(pa for pa in bgw.passengers if pa.lap_of)
    infant.lap_of = "C0014"  # an adult of another household
    assert "lap_infants" in _rules(s, p)


def test_seat_capacity(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.flights[1].blocked_seats = [f"{r}{c}" for r in range(1, 6) for c in "ABCDEF"][:28]
    assert "seat_capacity" in _rules(s2, plan)


def test_missing_escort(base):
    s, plan = base
    p = _copy(plan)
    bgw = _flight(p, "MSQ-BGW-1")
    bgw.escorts = [e for e in bgw.escorts if e.escort_id != "MED-01"]
    p.tests = [t for t in p.tests if t.escort_id != "MED-01"]
    assert "escorts" in _rules(s, p)


def test_escort_turnaround_and_availability(base):
    s, plan = base
    p = _copy(plan)
    ebl, bgw = _flight(p, "MSQ-EBL-1"), _flight(p, "MSQ-BGW-1")
    ops_on_ebl = ebl.escorts[0].escort_id
    bgw.escorts.append(EscortOnBoard(escort_id=ops_on_ebl))
    s2 = s.model_copy(deep=True)
    s2.protocol.escorts.turnaround_hours = 48
    rules = {v.message for v in validate(s2, p) if v.rule == "escorts"}
    assert any("turnaround" in m for m in rules)


def test_missing_or_invalid_test(base):
    s, plan = base
    p = _copy(plan)
    dropped = next(t for t in p.tests if t.person_id)
    p.tests.remove(dropped)
    assert "test_required" in _rules(s, p)
    p = _copy(plan)
    t = next(t for t in p.tests if t.person_id)
    t.start -= timedelta(days=3)
    t.end -= timedelta(days=3)
    assert "test_slot" in _rules(s, p)


def test_site_not_serving_the_location(base):
    s, plan = base
    p = _copy(plan)
    t = next(t for t in p.tests if t.person_id == "C0001")
    t.site_id = "MINSK-LAB"
    assert "test_slot" in _rules(s, p)


def test_slot_over_capacity(base):
    s, plan = base
    p = _copy(plan)
    t = next(t for t in p.tests if t.site_id == "BRUZGI-LAB")
    for i in range(5):
        p.tests.append(TestBooking(person_id=f"X{i}", site_id=t.site_id, start=t.start, end=t.end))
    assert "test_capacity" in _rules(s, p)


def test_unassigned_without_reason(base):
    s, plan = base
    p = _copy(plan)
    p.unassigned[0].reasons = []
    assert "reasons" in _rules(s, p)


def test_cabin_limits_before_seating(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.protocol.seating.infants_per_mask_block = 0
    assert "cabin_limits" in _rules(s2, plan)


def test_special_categories(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    for p in s2.people:
        if p.household_id in ("H05", "H06", "H08"):
            p.mobility = "WCHR"
    assert "special_categories" in _rules(s2, plan)
