"""The departure day (docs/departure-day.md): check-in marks, freed seats, standby households, the final
manifest and the events a re-plan takes from the marks."""

from datetime import datetime

import pytest

from builders import person, scenario
from planner import SolveOptions, solve, validate
from planner.departure.checkin import (
    CheckInMark,
    day_of,
    departure_day,
    final_manifest,
    flight_basis,
    offered,
    reading_time,
    replan_events,
    standby_households,
)

NOW = datetime.fromisoformat("2021-12-01T06:00:00+03:00")  # F1 leaves at 10:00


@pytest.fixture(scope="module")
def planned():
    # 30 households of two for a small aircraft: some wait; the vaccinated need no test for Erbil
    people = [person(f"P{h:02d}{m}", household=f"H{h:02d}", vaccinated=h % 2 == 0) for h in range(30)
              for m in range(2)]
    people.append(person("X1", household="HX", vaccinated=True, consent="none"))
    s = scenario(people)
    plan = solve(s, options=SolveOptions(time_limit=3, seating_time_limit=1, seating_processes=1))
    assert validate(s, plan) == []
    return s, plan


def _aboard(plan):
    return [pa.person_id for pa in plan.flights[0].passengers]


def test_marks_count_and_free_seats(planned):
    s, plan = planned
    aboard = _aboard(plan)
    marks = {aboard[0]: CheckInMark(aboard[0], "no_show"), aboard[1]: CheckInMark(aboard[1], "offloaded", "unwell"),
             aboard[2]: CheckInMark(aboard[2], "boarded"), aboard[3]: CheckInMark(aboard[3], "checked_in")}
    day = departure_day(s, plan, "F1", marks, NOW)
    assert day.counts["no_show"] == 1 and day.counts["offloaded"] == 1 and day.counts["boarded"] == 1
    assert day.counts["expected"] == len(aboard) - 4 and day.freed_seats == 2
    assert ("offloaded", "unwell") in {(r[2], r[3]) for r in day.passengers}


def test_standby_is_by_priority_and_needs_a_valid_test_and_the_gates(planned):
    s, plan = planned
    waiting = {u.person_id[:3] for u in plan.unassigned}
    aboard = _aboard(plan)
    marks = {c: CheckInMark(c, "no_show") for c in aboard[:4]}
    day = departure_day(s, plan, "F1", marks, NOW)
    offered = {sb.household_id for sb in day.standby}
    assert offered, "vaccinated households waiting for seats need no test and may take freed seats"
    for sb in day.standby:
        members = [p for p in s.people if p.household_id == sb.household_id]
        assert all(p.vaccinated for p in members) and "P" + sb.household_id[1:] in waiting
        assert len(members) <= day.freed_seats
    assert "HX" not in offered  # no consent: fails a gate
    unvaccinated_waiting = {f"H{p[1:3]}" for p in waiting if p.startswith("P") and int(p[1:3]) % 2}
    assert not offered & unvaccinated_waiting  # no sample booked: cannot fly today
    weights = [sb.weight for sb in day.standby]
    assert weights == sorted(weights, reverse=True)
    assert departure_day(s, plan, "F1", {}, NOW).standby == []  # no seat freed, nobody offered


def test_final_manifest_from_what_boarded_and_the_events_for_the_replan(planned):
    _s, plan = planned
    aboard = _aboard(plan)
    marks = {c: CheckInMark(c, "boarded") for c in aboard[2:]}
    marks[aboard[0]] = CheckInMark(aboard[0], "no_show")
    standby = next(u.person_id for u in plan.unassigned if u.person_id.startswith("P"))
    marks[standby] = CheckInMark(standby, "boarded")  # a standby passenger
    final = final_manifest(plan, "F1", marks)
    assert aboard[0] in {r[0] for r in final.removed} and aboard[1] in {r[0] for r in final.removed}
    assert final.added == [standby]
    assert set(final.boarded) == set(aboard[2:]) | {standby}
    events = replan_events("F1", marks)
    assert [(e.type, e.case_id, e.flight_id) for e in events] == [("no_show", aboard[0], "F1")]


def test_unknown_flight_is_a_key_error(planned):
    s, plan = planned
    with pytest.raises(KeyError):
        departure_day(s, plan, "NOPE", {}, NOW)


def _with_drive(s, minutes):
    """The scenario with a bus and `minutes` of driving from the camp to the airport."""
    return type(s).model_validate(s.model_dump(by_alias=True) | {
        "vehicles": [{"id": "BUS-1", "seats": 6, "base": "CAMP", "duty_from": "04:00", "duty_hours": 18}],
        "travel_minutes": [{"between": "CAMP", "and": "MSQ", "minutes": minutes}]})


def test_standby_must_reach_the_airport_and_a_past_flight_is_read_at_its_check_in_opening(planned):
    """F1 leaves at 10:00, check-in opens at 07:00 and closes at 09:00; the camp is two hours away."""
    s, plan = planned
    driven = _with_drive(s, 120)
    marks = {c: CheckInMark(c, "no_show") for c in _aboard(plan)[:4]}
    early = departure_day(driven, plan, "F1", marks, NOW)  # 06:00 + 2 h = 08:00: in time
    assert early.standby and early.standby == departure_day(s, plan, "F1", marks, NOW).standby
    late = datetime.fromisoformat("2021-12-01T08:00:00+03:00")  # 10:00 is after check-in closes
    assert departure_day(driven, plan, "F1", marks, late).standby == []
    past = datetime.fromisoformat("2021-12-02T12:00:00+03:00")  # the flight has left: read as at 07:00
    assert reading_time(driven.flights[0], past) == datetime.fromisoformat("2021-12-01T07:00:00+03:00")
    assert reading_time(driven.flights[0], late) == late
    assert departure_day(driven, plan, "F1", marks, past).standby == early.standby
    assert departure_day(_with_drive(s, 150), plan, "F1", marks, past).standby == []  # 07:00 + 2.5 h is too late


def test_a_kept_basis_gives_the_same_day_for_any_marks(planned):
    """What a service keeps per plan and caseload (`flight_basis`) with fresh marks reads as the whole view."""
    s, plan = planned
    basis = flight_basis(s, plan, "F1")
    aboard = _aboard(plan)
    for n in (0, 2, 4, 6):
        marks = {c: CheckInMark(c, "no_show") for c in aboard[:n]}
        assert day_of(basis, marks, NOW) == departure_day(s, plan, "F1", marks, NOW)
        assert offered(basis, n, NOW) == standby_households(s, plan, "F1", n, NOW)


def test_standby_needs_every_health_check_not_only_a_covid_test():
    """Under a fit-to-travel protocol (docs/health-checks.md) the vaccinated need no COVID-19 test, but a
    standby household still needs its examination booked inside the window before it may take a freed seat."""
    from datetime import timedelta

    from builders import site
    from planner.model.plan import TestBooking

    fit = {"id": "FIT", "kind": "fit_to_travel", "window_hours": 72, "closes_hours": 24, "turnaround_hours": 2,
           "providers": ["CLINIC"]}
    people = [person(f"P{h:02d}{m}", household=f"H{h:02d}", vaccinated=True) for h in range(30) for m in range(2)]
    s = scenario(people, sites=[site("LAB"), site("CLINIC")], checks=[fit])
    plan = solve(s, options=SolveOptions(time_limit=3, seating_time_limit=1, seating_processes=1))
    assert validate(s, plan) == []
    marks = {c: CheckInMark(c, "no_show") for c in _aboard(plan)[:4]}
    assert departure_day(s, plan, "F1", marks, NOW).standby == []  # nobody waiting was examined
    waiting = sorted({u.person_id for u in plan.unassigned})
    household = waiting[0][:3]
    examined = plan.model_copy(deep=True)
    start = datetime.fromisoformat("2021-11-29T10:00:00+03:00")  # 48 h before F1: inside 24-72 h
    examined.tests += [TestBooking(person_id=pid, site_id="CLINIC", start=start, end=start + timedelta(hours=1))
                       for pid in waiting if pid.startswith(household)]
    assert [sb.household_id for sb in departure_day(s, examined, "F1", marks, NOW).standby] == ["H" + household[1:]]
    late = start + timedelta(hours=30)  # 18 h before departure: outside the window
    examined.tests = [b.model_copy(update={"start": late, "end": late + timedelta(hours=1)})
                      if b.site_id == "CLINIC" and b.person_id in waiting else b for b in examined.tests]
    assert departure_day(s, examined, "F1", marks, NOW).standby == []
