"""The validator catches each hard rule when a valid plan is broken on purpose."""

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from builders import flight, person, scenario
from planner import SolveOptions, load_scenario, solve, validate
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan, Reason, TestBooking, Unassigned

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"


@pytest.fixture(scope="module")
def base():
    s = load_scenario(TEACHING)
    plan = solve(s, options=SolveOptions(time_limit=2, seat=False, deterministic=True))
    assert validate(s, plan) == []
    return s, plan


def _rules(s, plan: Plan) -> set[str]:
    return {v.rule for v in validate(s, plan)}


def _hits(s, plan: Plan, rule: str, text: str, previous: Plan | None = None) -> list[str]:
    """Messages of `rule` containing `text`: each break-test asserts the specific check that caught it."""
    return [v.message for v in validate(s, plan, previous) if v.rule == rule and text in v.message]


def _booking(plan: Plan, pid: str) -> TestBooking:
    return next(t for t in plan.tests if t.person_id == pid)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _empty(plan: Plan) -> Plan:
    """A previous plan with nothing to carry over (what a first plan starts from)."""
    return Plan(scenario=plan.scenario)


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
    assert _hits(s, p, "lap.carrier", "may not hold them")


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
    # a bookable BRUZGI slot, but before C0001's Erbil window opens (48 h before arrival: 11-29 14:10)
    p = _copy(plan)
    t = _booking(p, "C0001")
    t.start, t.end = _at("2021-11-29T08:00:00+03:00"), _at("2021-11-29T09:00:00+03:00")
    slot = [v.message for v in validate(s, p) if v.rule == "test_slot"]
    assert slot == ["sample 2021-11-29 08:00 is before the window opens 2021-11-29 14:10"]


def test_sample_too_late_for_the_lab_turnaround(base):
    s, plan = base
    p = _copy(plan)
    # departure 12-01 10:00 − 180 min check-in − 24 h lab turnaround = 11-30 07:00; 08:00 is bookable
    t = _booking(p, "C0001")
    t.start, t.end = _at("2021-11-30T08:00:00+03:00"), _at("2021-11-30T09:00:00+03:00")
    slot = [v.message for v in validate(s, p) if v.rule == "test_slot"]
    assert slot == ["sample ends 2021-11-30 09:00, after the latest end 2021-11-30 07:00 "
                    "(departure − check-in − lab turnaround)"]


def test_site_not_serving_the_location(base):
    s, plan = base
    p = _copy(plan)
    # a MINSK-LAB slot on its own grid, inside C0001's window, with room: only the site is wrong
    t = _booking(p, "C0001")
    t.site_id = "MINSK-LAB"
    t.start, t.end = _at("2021-11-29T15:00:00+03:00"), _at("2021-11-29T17:00:00+03:00")
    assert [v.message for v in validate(s, p)] == ["site MINSK-LAB is not one this person may be tested at"]


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
    assert _hits(s, p, "reasons", "unassigned without a reason")


def test_cabin_limits_before_seating(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.protocol.seating.infants_per_mask_block = 0
    assert _hits(s2, plan, "lap.mask_block", "mask blocks: 1 lap infants")


def test_special_categories(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    for p in s2.people:
        if p.household_id in ("H05", "H06", "H08"):
            p.mobility = "WCHR"
    assert "special_categories" in _rules(s2, plan)


def test_daily_lab_capacity(base):
    s, plan = base
    p = _copy(plan)
    # 17 samples on 12-04 at BRUZGI-LAB (daily capacity 16), no slot above its capacity of 4
    day = [_at(f"2021-12-04T{h:02d}:00:00+03:00") for h in (8, 9, 10, 11, 12)]
    for i in range(17):
        start = day[i // 4]
        end = start + timedelta(hours=1)
        p.tests.append(TestBooking(person_id=f"X{i}", site_id="BRUZGI-LAB", start=start, end=end))
    capacity = [v.message for v in validate(s, p) if v.rule == "test_capacity"]
    assert capacity == ["site BRUZGI-LAB processes 17 samples on 2021-12-04, daily capacity 16"]


def test_booking_for_an_exempt_passenger(base):
    s, plan = base
    p = _copy(plan)
    # C0003 is 9 at departure: Erbil exempts under-12s
    p.tests.append(_booking(p, "C0001").model_copy(update={"person_id": "C0003"}))
    assert _hits(s, p, "test_required", "exempt on their flight") == [
        "test booked for a passenger who is exempt on their flight"]


def _isolated_base():
    """One passenger isolating until 11-30 on a Baghdad flight of 12-02, and an escort: a valid hand-made plan."""
    s = scenario([person("P1", destination="BGW", last_positive_test=date(2021, 11, 20))],
                 flights=[flight("F1", dest="BGW", day=2)])
    plan = Plan(scenario={"name": s.name, "sha256": "x"},
                flights=[FlightPlan(flight_id="F1", passengers=[Passenger(person_id="P1")],
                                    escorts=[EscortOnBoard(escort_id="OPS-1")])],
                tests=[TestBooking(person_id="P1", flight_id="F1", site_id="LAB",
                                   start=_at("2021-11-30T08:00:00+03:00"), end=_at("2021-11-30T09:00:00+03:00")),
                       TestBooking(escort_id="OPS-1", flight_id="F1", site_id="LAB",
                                   start=_at("2021-11-30T08:00:00+03:00"), end=_at("2021-11-30T09:00:00+03:00"))])
    assert validate(s, plan) == []
    return s, plan


def test_sample_before_isolation_ends():
    s, plan = _isolated_base()
    p = _copy(plan)
    # inside the Baghdad window (from 11-29 10:00) and on the grid, but before the isolation end 11-30
    p.tests[0].start, p.tests[0].end = _at("2021-11-29T10:00:00+03:00"), _at("2021-11-29T11:00:00+03:00")
    assert [str(v) for v in validate(s, p)] == ["test_slot: [F1] P1 sample before the isolation end 2021-11-30"]


def test_uasc_escort_ratio(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    child = next(x for x in s2.people if x.case_id == "C0022")  # 13, on MSQ-BGW-1
    child.unaccompanied_minor, child.best_interests_approved, child.reception_contact = True, True, "uncle, Duhok"
    assert _hits(s2, plan, "escorts", "uasc") == ["0 uasc escort(s) on board, 1 required"]


def test_lap_infant_too_old_and_carrier_too_young(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    next(x for x in s2.people if x.case_id == "C0024").date_of_birth = date(2019, 5, 1)  # 31 months
    assert _hits(s2, plan, "lap.carrier", "months") == ["not under 24 months at departure"]
    s2 = s.model_copy(deep=True)
    next(x for x in s2.people if x.case_id == "C0020").date_of_birth = date(2004, 6, 1)  # 17 at departure
    assert _hits(s2, plan, "lap.carrier", "18 or over") == [
        "carrier C0020 may not hold them (an adult of the infant's household, 18 or over, without reduced mobility)"]


def test_escort_not_available(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    ops = next(e for e in s2.escorts if e.id == "OPS-01")  # flies MSQ-BGW-1 on 12-02
    ops.available.to = date(2021, 12, 1)
    assert _hits(s2, plan, "escorts", "available") == ["escort OPS-01 is not available on 2021-12-02"]


def test_unknown_reason_code(base):
    s, plan = base
    p = _copy(plan)
    p.unassigned[0].reasons[0].code = "capacity.vibes"
    assert _hits(s, p, "reasons", "unknown") == ["unknown reason code capacity.vibes"]


def test_duplicate_flight_entry(base):
    s, plan = base
    p = _copy(plan)
    p.flights.append(p.flights[0].model_copy(deep=True))
    assert _hits(s, p, "known_flight", "") == ["flight listed more than once"]


def test_departed_flight_must_be_locked_and_take_nobody_new(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.as_of = _at("2021-12-01T12:00:00+03:00")  # MSQ-EBL-1 left at 10:00
    assert _hits(s2, plan, "departed_flight", "not locked") == [
        "departed 2021-12-01 10:00 (before as_of 2021-12-01 12:00) but not locked"]
    p = _copy(plan)
    _flight(p, "MSQ-EBL-1").locked = True
    assert not _hits(s2, p, "departed_flight", "")
    # against the plan it was carried from, a departed flight may hold nobody new
    assert not _hits(s2, p, "departed_flight", "", previous=plan)
    newly = _hits(s2, p, "departed_flight", "newly planned", previous=_empty(plan))
    assert len(newly) == 7 + 1  # seven passengers and the escort


def test_past_bookings_must_be_carried_over(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.as_of = _at("2021-11-30T16:00:00+03:00")  # after every sample slot, before both flights
    assert validate(s2, plan, previous=plan) == []  # a re-plan that kept every sample
    past = _hits(s2, plan, "test_in_past", "was not booked in the previous plan", previous=_empty(plan))
    assert len(past) == len(plan.tests)
    p = _copy(plan)
    moved = _booking(p, "C0014")
    moved.start, moved.end = _at("2021-11-29T15:00:00+03:00"), _at("2021-11-29T16:00:00+03:00")
    assert _hits(s2, p, "test_in_past", "", previous=plan) == [
        "sample slot 2021-11-29 15:00 is before as_of 2021-11-30 16:00 and was not booked in the previous plan"]


def test_provisional_is_exactly_the_pending(base):
    s, plan = base
    p = _copy(plan)
    _flight(p, "MSQ-BGW-1").provisional = ["C0020"]  # C0019 is pending, C0020 fit
    assert sorted(_hits(s, p, "provisional", "")) == [
        "fitness pending but not listed as provisional", "listed as provisional but not a passenger with "
        "fitness pending"]


def test_booking_for_another_flight(base):
    s, plan = base
    p = _copy(plan)
    _booking(p, "C0014").flight_id = "MSQ-EBL-1"
    assert _hits(s, p, "test_flight", "") == ["booking is for flight MSQ-EBL-1, the person is on MSQ-BGW-1"]


def _reasons_of(plan: Plan, pid: str) -> list[Reason]:
    return next(u for u in plan.unassigned if u.person_id == pid).reasons


def test_a_reason_per_serving_flight(base):
    s, plan = base
    p = _copy(plan)
    _reasons_of(p, "C0009")[0].flights = None  # still true (no consent), but MSQ-EBL-1 is not explained
    assert [str(v) for v in validate(s, p)] == [
        "reason_per_flight: [MSQ-EBL-1] C0009 no reason given for flight MSQ-EBL-1, which serves EBL"]


def test_gate_reason_must_be_true(base):
    s, plan = base
    p = _copy(plan)
    _reasons_of(p, "C0008")[0].code = "gate.consent"  # C0008 consented; their document is missing
    assert _hits(s, p, "reason_true", "") == ["gate.consent given, but the person passes that gate on 2021-12-01"]


def test_no_destination_only_when_no_flight_serves(base):
    s, plan = base
    p = _copy(plan)
    _reasons_of(p, "C0018").append(Reason(code="flight.no_destination", message="no flight serves destination BGW"))
    assert _hits(s, p, "reason_true", "") == ["flight.no_destination, but MSQ-BGW-1 serves BGW"]
    s2 = scenario([person("A", destination="DAM")])
    p2 = Plan(scenario={"name": s2.name, "sha256": "x"},
              unassigned=[Unassigned(person_id="A", reasons=[Reason(code="capacity.seats", message="x")])])
    assert _hits(s2, p2, "reason_per_flight", "") == [
        "no flight serves DAM, but neither flight.no_destination nor a gate is given"]


def test_held_back_names_a_member_who_fails(base):
    s, plan = base
    p = _copy(plan)
    r = _reasons_of(p, "C0010")[0]
    r.message = "household held back: member C0008 cannot travel (gate.document)"  # C0008 is of H03
    assert _hits(s, p, "held_back", "") == ["names C0008, who is not another member of household H04"]
    r.message = "household held back: member C0011 cannot travel (gate.consent)"  # C0011 consented
    assert _hits(s, p, "held_back", "") == ["names C0011 for gate.consent, but they pass that gate on 2021-12-01"]
    r.message = "held back"
    assert _hits(s, p, "held_back", "") == ["held back without naming a member and their reason"]


def test_cabin_limits_from_the_seat_map(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    next(x for x in s2.people if x.case_id == "C0014").mobility = "STCR"  # SMALL-6x6 has no stretcher zone
    assert _hits(s2, plan, "stretcher.zone", "") == ["stretcher zones: 1 stretcher cases, 0 usable zone"]
    s2 = s.model_copy(deep=True)
    s2.aircraft[0].movable_armrests = []
    next(x for x in s2.people if x.case_id == "C0014").mobility = "WCHC"
    assert _hits(s2, plan, "mobility.aisle", "wheelchair") == [
        "wheelchair seats: 1 WCHC/WCHP passengers, 0 non-exit aisle seats with a movable armrest"]
    s2 = s.model_copy(deep=True)
    s2.aircraft[0].exit_rows = list(range(1, 8))  # every seat an exit seat
    assert _hits(s2, plan, "exit.barred", "exit rows")


def test_seats_after_seating_ran(base):
    s, plan = base
    p = _copy(plan)
    p.stages.seating = {"MSQ-EBL-1": "optimal", "MSQ-BGW-1": "optimal"}
    missing = _hits(s, p, "seat.missing", "has no seat on a flight that has been seated")
    assert len(missing) == 6 + 2 + 10 + 2  # seated passengers and escorts of both flights (lap infants sit on laps)
    ebl = _flight(p, "MSQ-EBL-1")
    ebl.passengers[0].seat = ebl.passengers[1].seat = "1A"
    assert _hits(s, p, "seat.double", "seat 1A is given to 2 people")
