"""Re-planning after each event type changes as little as possible (DESIGN §5.4)."""

from datetime import date

import pytest

from builders import flight, person, scenario, site
from planner import SolveOptions, solve, validate
from planner.events import EventsFile, apply_events
from planner.loading import ScenarioInputError
from planner.replan import diff_plans
from planner.scenario import Escort

OPTS = dict(time_limit=2, seating_time_limit=0.5, seating_processes=1, deterministic=True)


def _base():
    """Two 30-seat flights to Erbil; 9 households, the lowest-priority single waits for a seat."""
    people = [person(f"A{i}", "HA", vulnerabilities=["medical"] if i == 0 else []) for i in range(4)]
    people += [person(f"S{i:02d}", f"HS{i:02d}") for i in range(54)]
    people += [person("W1", "HW", registered_on=date(2021, 11, 27))]
    s = scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)], sites=[site(capacity_per_slot=40)],
                 escorts=[Escort(id=f"O{i}", role="operational", vaccinated=True) for i in range(3)])
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan) == []
    return s, plan


@pytest.fixture(scope="module")
def base():
    return _base()


def _replan(s, plan, events, **extra):
    updated = apply_events(s, EventsFile.model_validate({"events": events}))
    new = solve(updated, previous=plan, options=SolveOptions(**OPTS, extra=extra))
    assert validate(updated, new) == [], validate(updated, new)
    return updated, new, diff_plans(plan, new)


def _flight_of(plan):
    return {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}


def test_base_fills_both_flights(base):
    _s, plan = base
    # 2 × (36 seats − 6 isolation) − 2 escorts = 58 seats for 59 people
    assert len(_flight_of(plan)) == 58


def test_positive_test_changes_only_that_household_and_its_replacements(base):
    s, plan = base
    _, new, changes = _replan(s, plan, [{"type": "positive_test", "case_id": "A1", "date": "2021-11-28"}])
    dropped = {c.person_id for c in changes if c.kind == "dropped"}
    added = {c.person_id for c in changes if c.kind == "added"}
    assert dropped == {"A0", "A1", "A2", "A3"}
    assert added and len(added) <= 4
    assert not [c for c in changes if c.kind == "moved_flight"]
    before, after = _flight_of(plan), _flight_of(new)
    untouched = set(before) - dropped
    assert all(after[p] == before[p] for p in untouched)


def test_consent_withdrawn_and_no_show(base):
    s, plan = base
    single = next(p for p, f in _flight_of(plan).items() if p.startswith("S"))
    for kind in ("consent_withdrawn", "no_show"):
        _, new, changes = _replan(s, plan, [{"type": kind, "case_id": single}])
        assert {c.person_id for c in changes if c.kind == "dropped"} == {single}
        assert len([c for c in changes if c.kind == "added"]) == 1  # the waiting single takes the seat
        assert new.unassigned[[u.person_id for u in new.unassigned].index(single)].reasons[0].code == "gate.consent"


def test_document_expired(base):
    s, plan = base
    single = next(p for p, f in _flight_of(plan).items() if f == "F2" and p.startswith("S"))
    _, _, changes = _replan(s, plan, [{"type": "document_expired", "case_id": single, "expiry": "2021-12-01"}])
    assert {c.person_id for c in changes if c.kind == "dropped"} == {single}


def test_new_registration_waits_or_fills(base):
    s, plan = base
    newcomer = person("N1", "HN", vulnerabilities=["torture"]).model_dump(mode="json")
    _, new, changes = _replan(s, plan, [{"type": "new_registrations", "people": [newcomer]}])
    # flights are full: nobody already placed is moved out for the newcomer
    assert [c for c in changes if c.kind in ("dropped", "moved_flight")] == []
    assert "N1" not in _flight_of(new)


def test_flight_delay_forces_retests_not_moves(base):
    s, plan = base
    _, _new, changes = _replan(s, plan, [{"type": "flight_delayed", "flight_id": "F1", "hours": 30}])
    kinds = {c.kind for c in changes}
    assert "moved_flight" not in kinds and "dropped" not in kinds
    assert "retest" in kinds  # samples taken for the old time are too early for the new one


def test_flight_cancelled_moves_people_only_where_room_exists(base):
    s, plan = base
    _, new, changes = _replan(s, plan, [{"type": "flight_cancelled", "flight_id": "F2"}])
    assert all(c.kind == "dropped" and c.before == "F2" for c in changes)
    assert "F2" not in {fp.flight_id for fp in new.flights}


def test_aircraft_change_to_a_smaller_cabin():
    from planner.scenario import AircraftType

    s, plan = _base()
    s.aircraft.append(AircraftType.model_validate({"type": "TINY", "rows": {"first": 1, "last": 4},
                                                   "layout": "ABC DEF"}))
    _, new, changes = _replan(s, plan, [{"type": "aircraft_changed", "flight_id": "F2", "aircraft": "TINY"}])
    on_f2 = [p for p, f in _flight_of(new).items() if f == "F2"]
    assert len(on_f2) <= 24 - 6 - 1  # 4 rows of 6, rear row isolated, one escort
    assert all(c.before == "F2" for c in changes if c.kind == "dropped")


def test_lab_slots_cancelled_keeps_valid_samples(base):
    s, plan = base
    booked = {b.start for b in plan.tests if b.flight_id == "F2"}
    first = min(booked)
    _, _new, changes = _replan(s, plan, [{"type": "lab_slots_cancelled", "site_id": "LAB", "start": first.isoformat(),
                                         "end": (first.replace(minute=59)).isoformat()}])
    assert [c for c in changes if c.kind in ("dropped", "moved_flight")] == []
    retested = {c.person_id for c in changes if c.kind == "retest"}
    assert retested == {b.person_id for b in plan.tests if b.start == first and b.person_id}


def test_locked_flights_take_nobody_new(base):
    s, plan = base
    published = plan.model_copy(deep=True)
    for fp in published.flights:
        fp.locked = True
    single = next(p for p, f in _flight_of(plan).items() if p.startswith("S"))
    _, new, changes = _replan(s, published, [{"type": "consent_withdrawn", "case_id": single}])
    assert [c.kind for c in changes] == ["dropped"]
    assert all(fp.locked for fp in new.flights)
    _, new, changes = _replan(s, published, [{"type": "consent_withdrawn", "case_id": single}], unlock="all")
    assert sorted(c.kind for c in changes) == ["added", "dropped"]


def test_departed_flights_stay_as_they_were(base):
    s, plan = base
    s2 = s.model_copy(deep=True)
    s2.as_of = s.flights[0].departure.replace(hour=12)  # F1 has left
    new = solve(s2, previous=plan, options=SolveOptions(**OPTS))
    assert validate(s2, new) == []
    before = {pa.person_id for fp in plan.flights if fp.flight_id == "F1" for pa in fp.passengers}
    after = {pa.person_id for fp in new.flights if fp.flight_id == "F1" for pa in fp.passengers}
    assert before == after


def test_unknown_ids_in_events_are_reported():
    s, _ = _base()
    with pytest.raises(ScenarioInputError) as exc:
        apply_events(s, EventsFile.model_validate({"events": [
            {"type": "positive_test", "case_id": "NOPE", "date": "2021-11-28"},
            {"type": "flight_delayed", "flight_id": "F9", "hours": 2}]}))
    assert [i.field for i in exc.value.issues] == ["events[0]", "events[1]"]
