"""Re-planning after each event type changes as little as possible (docs/rules.md#re-plan-stability)."""

from datetime import date, timedelta

import pytest

from builders import flight, person, scenario, site
from planner import SolveOptions, solve, validate
from planner.io.loading import ScenarioInputError
from planner.model.scenario import Escort
from planner.whatif.events import EventsFile, apply_events
from planner.whatif.replan import diff_plans

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


def _replan(s, plan, events, **options):
    updated = apply_events(s, EventsFile.model_validate({"events": events}))
    new = solve(updated, previous=plan, options=SolveOptions(**OPTS, **options))
    assert validate(updated, new, plan) == [], validate(updated, new, plan)
    return updated, new, diff_plans(plan, new)


def _flight_of(plan):
    return {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}


def _kinds(changes):
    """The whole difference as a set of (person, kind): a test comparing it with `==` shows that nobody else
    was dropped, added, moved to another flight, moved seat or re-tested."""
    return {(c.person_id, c.kind) for c in changes}


def _seats(plan):
    return {pa.person_id: (fp.flight_id, pa.seat, pa.lap_of) for fp in plan.flights for pa in fp.passengers}


def _tested(plan, flight_id):
    on = {p for p, f in _flight_of(plan).items() if f == flight_id}
    return {b.person_id for b in plan.tests if b.person_id in on}


def _waiting(plan):
    return {u.person_id for u in plan.unassigned}


def test_base_fills_both_flights(base):
    _s, plan = base
    # 2 × (36 seats − 6 isolation) − 2 escorts = 58 seats for 59 people
    assert len(_flight_of(plan)) == 58


def test_positive_test_changes_only_that_household_and_its_replacements(base):
    s, plan = base
    assert _waiting(plan) == {"W1"}
    _, new, changes = _replan(s, plan, [{"type": "positive_test", "case_id": "A1", "date": "2021-11-28"}])
    # the household leaves; the only person waiting takes one of its seats; nobody else changes at all
    assert _kinds(changes) == {("A0", "dropped"), ("A1", "dropped"), ("A2", "dropped"), ("A3", "dropped"),
                               ("W1", "added")}
    before, after = _seats(plan), _seats(new)
    assert all(after[p] == before[p] for p in before if not p.startswith("A"))
    assert {u.person_id: u.reasons[0].code for u in new.unassigned}["A1"] == "gate.isolation"


def test_consent_withdrawn_and_no_show(base):
    s, plan = base
    single = next(p for p, f in _flight_of(plan).items() if p.startswith("S"))
    for kind in ("consent_withdrawn", "no_show"):
        _, new, changes = _replan(s, plan, [{"type": kind, "case_id": single}])
        assert _kinds(changes) == {(single, "dropped"), ("W1", "added")}  # the waiting single takes the seat
        assert _flight_of(new)["W1"] == _flight_of(plan)[single]
        assert new.unassigned[[u.person_id for u in new.unassigned].index(single)].reasons[0].code == "gate.consent"


def test_document_expired(base):
    s, plan = base
    single = next(p for p, f in _flight_of(plan).items() if f == "F2" and p.startswith("S"))
    _, new, changes = _replan(s, plan, [{"type": "document_expired", "case_id": single, "expiry": "2021-12-01"}])
    assert _kinds(changes) == {(single, "dropped"), ("W1", "added")}
    # valid for F1 on 1 Dec (full), expired for F2 on 2 Dec
    reasons = {u.person_id: u.reasons for u in new.unassigned}[single]
    assert {(r.code, r.flight_id) for r in reasons} == {("capacity.seats", "F1"), ("gate.document", "F2")}


def test_new_registration_waits_when_flights_are_full(base):
    s, plan = base
    newcomer = person("N1", "HN", vulnerabilities=["torture"]).model_dump(mode="json")
    _, new, changes = _replan(s, plan, [{"type": "new_registrations", "people": [newcomer]}])
    # flights are full: nobody already placed is moved out for the newcomer, and nothing else changes
    assert _kinds(changes) == set()
    assert "N1" not in _flight_of(new) and _seats(new) == _seats(plan)


def test_new_registration_fills_a_freed_seat_before_the_waiting_list(base):
    s, plan = base
    single = next(p for p, f in _flight_of(plan).items() if p.startswith("S"))
    newcomer = person("N1", "HN", vulnerabilities=["torture"]).model_dump(mode="json")
    _, new, changes = _replan(s, plan, [{"type": "consent_withdrawn", "case_id": single},
                                        {"type": "new_registrations", "people": [newcomer]}])
    # the newcomer outweighs the late registrant W1, who keeps waiting
    assert _kinds(changes) == {(single, "dropped"), ("N1", "added")}
    assert _flight_of(new)["N1"] == _flight_of(plan)[single] and "W1" in _waiting(new)


def test_flight_delay_forces_retests_not_moves(base):
    s, plan = base
    _, new, changes = _replan(s, plan, [{"type": "flight_delayed", "flight_id": "F1", "hours": 30}])
    # samples taken for the old time are too early for the new one: exactly F1's tested passengers are
    # re-tested, and nobody is dropped, added, moved or reseated
    retested = _tested(plan, "F1")
    assert retested
    assert _kinds(changes) == {(p, "retest") for p in retested}
    assert _seats(new) == _seats(plan)


def test_flight_delay_past_the_last_lab_day_defers_its_households_with_the_reason():
    """The lab samples until 1 Dec: delayed by 48 h, F2 needs samples from 2 Dec, and no slot is left."""
    people = [person(f"S{i:02d}", f"HS{i:02d}") for i in range(40)]  # F1 takes 29
    s = scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)],
                 sites=[site(capacity_per_slot=40, days={"from": "2021-11-29", "to": "2021-12-01"})],
                 escorts=[Escort(id=f"O{i}", role="operational", vaccinated=True) for i in range(2)])
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan) == [] and not _waiting(plan)
    on_f2 = {p for p, f in _flight_of(plan).items() if f == "F2"}
    assert on_f2 and _tested(plan, "F2") == on_f2
    _, new, changes = _replan(s, plan, [{"type": "flight_delayed", "flight_id": "F2", "hours": 48}])
    assert _kinds(changes) == {(p, "dropped") for p in on_f2}  # F1 keeps everyone, seats and samples
    reasons = {u.person_id: u.reasons for u in new.unassigned}
    for p in on_f2:
        assert ("test.no_valid_slot", "F2") in {(r.code, r.flight_id) for r in reasons[p]}, reasons[p]
    assert all(c.reason.split(":")[0] in {r.code for r in reasons[c.person_id]} for c in changes)


def test_flight_cancelled_moves_people_only_where_room_exists(base):
    s, plan = base
    _, new, changes = _replan(s, plan, [{"type": "flight_cancelled", "flight_id": "F2"}])
    assert all(c.kind == "dropped" and c.before == "F2" for c in changes)
    assert "F2" not in {fp.flight_id for fp in new.flights}


def test_aircraft_change_to_a_smaller_cabin():
    from planner.model.scenario import AircraftType

    s, plan = _base()
    s.aircraft.append(AircraftType.model_validate({"type": "TINY", "rows": {"first": 1, "last": 4},
                                                   "layout": "ABC DEF"}))
    _, new, changes = _replan(s, plan, [{"type": "aircraft_changed", "flight_id": "F2", "aircraft": "TINY"}])
    on_f2 = [p for p, f in _flight_of(new).items() if f == "F2"]
    assert len(on_f2) <= 24 - 6 - 1  # 4 rows of 6, rear row isolated, one escort
    was_f2 = {p for p, f in _flight_of(plan).items() if f == "F2"}
    # only F2's passengers change: dropped for lack of seats, or reseated in the new cabin; F1 is untouched
    assert {p for p, _kind in _kinds(changes)} <= was_f2
    assert {k for _p, k in _kinds(changes)} <= {"dropped", "moved_seat"}
    assert len(was_f2) - len(on_f2) == len([c for c in changes if c.kind == "dropped"])
    before, after = _seats(plan), _seats(new)
    assert all(after[p] == before[p] for p in before if p not in was_f2)


def test_lab_slots_cancelled_keeps_valid_samples(base):
    s, plan = base
    booked = {b.start for b in plan.tests if b.flight_id == "F2"}
    first = min(booked)
    _, new, changes = _replan(s, plan, [{"type": "lab_slots_cancelled", "site_id": "LAB", "start": first.isoformat(),
                                        "end": (first.replace(minute=59)).isoformat()}])
    # exactly the people whose slot was cancelled are re-tested; nobody else changes
    retested = {b.person_id for b in plan.tests if b.start == first and b.person_id}
    assert retested and _kinds(changes) == {(p, "retest") for p in retested}
    assert _seats(new) == _seats(plan)


def test_locked_flights_take_nobody_new(base):
    from planner.whatif.replan import lock_flights

    s, plan = base
    published = lock_flights(plan)
    assert all(fp.locked for fp in published.flights) and not any(fp.locked for fp in plan.flights)
    single = next(p for p, f in _flight_of(plan).items() if p.startswith("S"))
    _, new, changes = _replan(s, published, [{"type": "consent_withdrawn", "case_id": single}])
    # the seat stays empty; everyone else keeps flight and seat; the flights stay locked
    assert _kinds(changes) == {(single, "dropped")}
    assert all(fp.locked for fp in new.flights)
    assert "W1" in _waiting(new)
    reasons = {u.person_id: u.reasons for u in new.unassigned}["W1"]
    assert {r.code for r in reasons} == {"capacity.seats"} and all("locked" in r.message for r in reasons)
    seats = _seats(new)
    assert all(seats[p] == v for p, v in _seats(plan).items() if p != single)
    # unlocking the flight that lost the passenger (or all flights) lets the waiting list fill it
    freed = _flight_of(plan)[single]
    other = ({"F1", "F2"} - {freed}).pop()
    for unlock in ({freed}, "all"):
        _, new, changes = _replan(s, published, [{"type": "consent_withdrawn", "case_id": single}], unlock=unlock)
        assert _kinds(changes) == {(single, "dropped"), ("W1", "added")}
        assert _flight_of(new)["W1"] == freed
        assert {fp.flight_id: fp.locked for fp in new.flights} == {freed: False, other: unlock != "all"}
    # unlocking only the other flight changes nothing: the freed seat stays empty
    _, new, changes = _replan(s, published, [{"type": "consent_withdrawn", "case_id": single}], unlock={other})
    assert _kinds(changes) == {(single, "dropped")}


def test_full_reoptimisation_keeps_only_the_departed_flights(base):
    from planner.whatif.replan import departed_only

    s, plan = base
    assert departed_only(s, plan) is None  # nothing has departed: a solve from scratch
    s2 = s.model_copy(deep=True)
    s2.as_of = s.flights[0].departure.replace(hour=12)  # F1 has left
    kept = departed_only(s2, plan)
    assert [fp.flight_id for fp in kept.flights] == ["F1"]
    new = solve(s2, previous=kept, options=SolveOptions(**OPTS, unlock="all"))
    assert validate(s2, new) == []
    assert [(fp.flight_id, fp.locked) for fp in new.flights] == [("F1", True), ("F2", False)]
    f1 = next(fp for fp in plan.flights if fp.flight_id == "F1")
    assert next(fp for fp in new.flights if fp.flight_id == "F1").passengers == f1.passengers


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


def _kept_seats_unchanged(plan, new, touched=frozenset()):
    """Everyone on the same flight in both plans, other than `touched`, has the same seat."""
    before, after = _seats(plan), _seats(new)
    return {p: (before[p], after[p]) for p in before
            if p in after and p not in touched and before[p][0] == after[p][0] and before[p] != after[p]}


def test_delay_retests_some_households_and_keeps_everyone_s_seat():
    """A delay that invalidates only the earlier samples: those households are re-tested, the others keep their
    samples, a household that tested positive leaves and the waiting one takes its seats; no kept passenger
    moves seat."""
    # F1 on 3 Dec: samples from 1 Dec 14:10 (48 h before arrival), results back by 2 Dec 07:00, so the five
    # afternoon slots of 1 Dec; 29 seats for 30 people, the last household waits
    people = [person(f"P{i:02d}", f"HP{i // 2:02d}") for i in range(28)]
    people += [person(f"W{i}", "HW", registered_on=date(2021, 11, 27)) for i in range(2)]
    s = scenario(people, flights=[flight("F1", day=3)], sites=[site(capacity_per_slot=10)],
                 escorts=[Escort(id="O1", role="operational", vaccinated=True)])
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan, type(plan)(scenario=plan.scenario)) == []
    on = {p for p, f in _flight_of(plan).items() if f == "F1"}
    assert {"W0", "W1"}.isdisjoint(on) and len(on) == 28
    sample = {b.person_id: b.start for b in plan.tests if b.person_id}
    gone = next(p for p in sorted(on) if p.startswith("P"))
    household = {p.case_id for p in s.people if p.household_id == next(
        q.household_id for q in s.people if q.case_id == gone)}
    updated, new, changes = _replan(s, plan, [{"type": "flight_delayed", "flight_id": "F1", "hours": 3},
                                              {"type": "positive_test", "case_id": gone, "date": "2021-11-28"}])
    opens = next(f for f in updated.flights if f.id == "F1").stops[0].arrival - timedelta(hours=48)
    too_early = {p for p in on - household if sample[p] < opens}
    still_valid = on - household - too_early
    assert too_early and still_valid  # the scenario exercises both kinds of kept household
    assert _kinds(changes) == ({(p, "dropped") for p in household} | {("W0", "added"), ("W1", "added")}
                               | {(p, "retest") for p in too_early})
    new_sample = {b.person_id: b.start for b in new.tests if b.person_id}
    assert all(new_sample[p] == sample[p] for p in still_valid)
    assert _kept_seats_unchanged(plan, new) == {}


def _medical_flight(cases, others):
    """One flight with medical cases (fit with escort, one household each), other single travellers, an
    operational escort and two medics."""
    people = [person(c, f"H{c}", fitness="fit_with_escort") for c in cases]
    people += [person(f"P{i}", f"HP{i}") for i in range(others)]
    return scenario(people, flights=[flight("F1", day=1)], sites=[site(capacity_per_slot=40)],
                    escorts=[Escort(id="O1", role="operational", vaccinated=True),
                             Escort(id="M1", role="medical", vaccinated=True),
                             Escort(id="M2", role="medical", vaccinated=True)])


def test_escorts_keep_serving_whom_they_served_so_kept_seats_hold():
    """A newcomer medical case whose id sorts first used to take the first medical escort, pushing a kept case
    to another escort seated elsewhere and reseating the flight; now each escort keeps whom it served and the
    newcomer goes to the escort with room."""
    s = _medical_flight(("K2", "K3", "K5"), others=8)
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan) == [] and not _waiting(plan)
    served = {e.escort_id: set(e.serves) for fp in plan.flights for e in fp.escorts}
    newcomer = person("K1", "HK1", fitness="fit_with_escort").model_dump(mode="json")
    _, new, changes = _replan(s, plan, [{"type": "consent_withdrawn", "case_id": "K5"},
                                       {"type": "new_registrations", "people": [newcomer]}])
    assert _kinds(changes) == {("K5", "dropped"), ("K1", "added")}
    assert _kept_seats_unchanged(plan, new) == {}
    after = {e.escort_id: set(e.serves) for fp in new.flights for e in fp.escorts}
    for eid, cases in served.items():
        assert cases - {"K5"} <= after[eid]
    assert "K1" in set().union(*after.values())


def test_validator_reports_a_kept_passenger_moved_seat(base):
    """`seats_kept`: in a re-plan a kept household keeps its seats unless its flight was unlocked."""
    s, plan = base
    moved = plan.model_copy(deep=True)
    fp = next(f for f in moved.flights if f.flight_id == "F1")
    a, b = [pa for pa in fp.passengers if pa.person_id.startswith("S") and pa.seat][:2]
    a.seat, b.seat = b.seat, a.seat  # two singles swap: every other rule still holds
    assert validate(s, moved) == []  # without the previous plan there is nothing to compare
    found = validate(s, moved, plan)
    assert {(v.rule, v.person_id) for v in found} == {("seats_kept", a.person_id), ("seats_kept", b.person_id)}
    # an officer unlocking a published flight releases its seats
    from planner.whatif.replan import lock_flights

    assert validate(s, moved, lock_flights(plan)) == []
    # a household whose members left or joined is not "kept"; here the previous plan had a left out
    fewer = plan.model_copy(deep=True)
    f1 = next(f for f in fewer.flights if f.flight_id == "F1")
    f1.passengers = [pa for pa in f1.passengers if pa.person_id != a.person_id]
    assert not [v for v in validate(s, moved, fewer) if v.person_id == a.person_id]


def test_fewer_cases_keep_the_escort_of_the_remaining_case():
    """Two medical cases, one medic each; when one case leaves, one medic is enough, and the one kept is the
    medic of the case that stays (not simply the lowest id), so that case keeps its seat beside its medic."""
    s = _medical_flight(("K1", "K2"), others=6)
    rules = s.protocol.escorts.model_copy(update={"medical_per_cases": 1})
    s = s.model_copy(update={"protocol": s.protocol.model_copy(update={"escorts": rules})})
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan) == [] and not _waiting(plan)
    served = {e.escort_id: e.serves for fp in plan.flights for e in fp.escorts}
    medic = next(e for e, cases in served.items() if cases == ["K2"])
    updated = apply_events(s, EventsFile.model_validate({"events": [{"type": "consent_withdrawn", "case_id": "K1"}]}))
    new = solve(updated, previous=plan, options=SolveOptions(**{**OPTS, "time_limit": 0}))  # keep and fill
    assert validate(updated, new, plan) == []
    assert _kinds(diff_plans(plan, new)) == {("K1", "dropped")}
    escorts = {e.escort_id: (e.serves, e.seat) for fp in new.flights for e in fp.escorts}
    old_seat = next(e.seat for fp in plan.flights for e in fp.escorts if e.escort_id == medic)
    assert escorts[medic] == (["K2"], old_seat) and len(escorts) == 2
    assert _kept_seats_unchanged(plan, new) == {}


def test_an_escort_still_serving_a_kept_household_stays_beyond_the_ratio():
    """Three medical cases, two per medic: M1 serves K1 and K2, M2 serves K3. K1 leaves, and one medic would
    do, but either remaining case would then change medic and seat; kept seats are hard, so both medics stay."""
    s = _medical_flight(("K1", "K2", "K3"), others=6)
    plan = solve(s, options=SolveOptions(**OPTS))
    assert validate(s, plan) == [] and not _waiting(plan)
    served = {e.escort_id: (e.serves, e.seat) for fp in plan.flights for e in fp.escorts}
    assert served["M1"][0] == ["K1", "K2"] and served["M2"][0] == ["K3"]
    updated = apply_events(s, EventsFile.model_validate({"events": [{"type": "consent_withdrawn", "case_id": "K1"}]}))
    new = solve(updated, previous=plan, options=SolveOptions(**{**OPTS, "time_limit": 0}))
    assert validate(updated, new, plan) == []
    assert _kinds(diff_plans(plan, new)) == {("K1", "dropped")}
    after = {e.escort_id: (e.serves, e.seat) for fp in new.flights for e in fp.escorts}
    assert after == {"O1": served["O1"], "M1": (["K2"], served["M1"][1]), "M2": served["M2"]}


def test_kept_seats_hold_when_cp_sat_finds_no_seats_for_newcomers_in_time(base, monkeypatch):
    """Seating newcomers around kept passengers is CP-SAT's job when it has the time; on a busy machine or near
    the deadline it may find nothing in its fraction of a second. The kept passengers must still keep their
    seats (the greedy then places the newcomers around them), never be re-seated with the whole flight."""
    import planner.seating.seat_plan as seat_plan

    calls = []

    def nothing_in_time(*args, **kw):
        calls.append(1)
        return None, False

    monkeypatch.setattr(seat_plan, "submodel", nothing_in_time)
    s, plan = base
    _, new, changes = _replan(s, plan, [{"type": "positive_test", "case_id": "A1", "date": "2021-11-28"}])
    assert calls  # the newcomer was seated around kept passengers, and CP-SAT found nothing
    assert ("W1", "added") in _kinds(changes)  # the newcomer still gets a seat
    before, after = _seats(plan), _seats(new)
    assert all(after[p] == before[p] for p in before if not p.startswith("A"))
