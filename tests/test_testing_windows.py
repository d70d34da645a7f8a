"""Test windows, exemptions, slot generation and slot classes (docs/rules.md#test-windows)."""

from datetime import date, datetime, timedelta

from builders import flight, person, scenario, site
from planner.model.caseload import households
from planner.rules.testing_windows import escort_window, is_exempt, person_window, site_slots, slot_classes


def _window(p, f=None, **proto):
    s = scenario([p], flights=[f or flight()], **proto)
    return person_window(p, households(s)[0], s.flights[0], s), s


def test_erbil_window_is_anchored_on_arrival():
    w, _ = _window(person("P1"))
    assert w.earliest_start == datetime.fromisoformat("2021-11-29T14:10:00+03:00")  # 48 h before arrival
    # departure 10:00 − 180 min check-in − 24 h lab turnaround
    assert w.latest_end == datetime.fromisoformat("2021-11-30T07:00:00+03:00")
    assert w.robust_start == w.earliest_start + timedelta(hours=6)


def test_baghdad_window_is_anchored_on_departure():
    w, _ = _window(person("P1", destination="BGW"), flight(dest="BGW"))
    assert w.earliest_start == datetime.fromisoformat("2021-11-28T10:00:00+03:00")  # 72 h before departure


def test_exemptions_by_age_and_vaccination():
    child = person("C", date_of_birth=date(2011, 1, 1))  # 10 at departure
    s = scenario([child])
    assert is_exempt(child, s.flights[0], s)  # EBL exempts under 12
    bgw_child = person("C", destination="BGW", date_of_birth=date(2011, 1, 1))
    s = scenario([bgw_child], flights=[flight(dest="BGW")])
    assert not is_exempt(bgw_child, s.flights[0], s)  # BGW exempts under 10 only
    vacc = person("V", vaccinated=True)
    s = scenario([vacc])
    assert is_exempt(vacc, s.flights[0], s)
    vacc_bgw = person("V", vaccinated=True, destination="BGW")
    s = scenario([vacc_bgw], flights=[flight(dest="BGW")])
    assert not is_exempt(vacc_bgw, s.flights[0], s)


def test_age_exemption_is_taken_at_departure():
    turns_12 = person("C", date_of_birth=date(2009, 12, 2))
    s = scenario([turns_12], flights=[flight("F1", day=1), flight("F2", day=3)])
    assert is_exempt(turns_12, s.flights[0], s)
    assert not is_exempt(turns_12, s.flights[1], s)


def test_isolation_moves_the_earliest_sample():
    p = person("P1", destination="BGW", last_positive_test=date(2021, 11, 18))  # may sample from 11-28
    w, _ = _window(p, flight(dest="BGW", day=1))
    assert w.earliest_start == datetime.fromisoformat("2021-11-28T10:00:00+03:00")
    p = person("P1", destination="BGW", last_positive_test=date(2021, 11, 19))  # from 11-29 00:00
    w, _ = _window(p, flight(dest="BGW", day=1))
    assert w.earliest_start == datetime.fromisoformat("2021-11-29T00:00:00+03:00")


def test_slots_follow_site_hours_and_skip_the_past():
    s = scenario([person("P1")], sites=[site(days={"from": "2021-11-28", "to": "2021-11-29"},
                                             open="16:00", close="20:00", slot_minutes=90)])
    slots = site_slots(s.testing_sites[0], s)
    # 11-28 16:00 and 17:30 are before as_of 18:00; 19:00 would end after close
    starts = [x.start.strftime("%m-%d %H:%M") for x in slots]
    assert starts == ["11-29 16:00", "11-29 17:30"]


def test_slot_classes_group_equal_validity():
    p = person("P1")
    w, s = _window(p)
    classes = slot_classes({w}, site_slots(s.testing_sites[0], s))
    assert all(w in c.valid for c in classes)
    covered = [slot for c in classes for slot in c.slots]
    # 11-29 15:00..19:00 starts are valid (from 14:10, ending by 11-30 07:00)
    assert [x.start.hour for x in covered] == [15, 16, 17, 18, 19]
    robust = [c for c in classes if w in c.robust]
    # robust from 14:10 + 6 h = 20:10: no slot that day is robust
    assert robust == []


def test_escort_window_satisfies_every_stop():
    from planner.model.scenario import Escort

    f = flight(stops=[{"airport": "EBL", "arrival": "2021-12-01T14:10:00+03:00"},
                      {"airport": "BGW", "arrival": "2021-12-01T16:00:00+03:00"}])
    s = scenario([person("P1")], flights=[f])
    w = escort_window(Escort(id="E", role="operational"), s.flights[0], s)
    # EBL: from 11-29 14:10; BGW: from 11-28 10:00 -> the later one binds
    assert w.earliest_start == datetime.fromisoformat("2021-11-29T14:10:00+03:00")
    assert escort_window(Escort(id="E", role="operational", vaccinated=True), s.flights[0], s).earliest_start == \
        datetime.fromisoformat("2021-11-28T10:00:00+03:00")


def _solved(people, **site_kw):
    from planner import SolveOptions, solve, validate
    from planner.model.scenario import Escort

    s = scenario(people, flights=[flight(day=2)], sites=[site(**site_kw)],
                 escorts=[Escort(id="OPS-1", role="operational", vaccinated=True)])
    plan = solve(s, options=SolveOptions(time_limit=1, seat=False, deterministic=True))
    assert validate(s, plan) == []
    return s, plan


def test_robust_slots_are_preferred_when_capacity_allows():
    # Erbil flight of 12-02: valid from 11-30 14:10 to 12-01 07:00, robust from 11-30 20:10; one sample a slot,
    # so the three robust slots (11-30 21:00, 22:00 and 12-01 06:00) are exactly enough for three singles
    people = [person(f"P{i}", f"H{i}") for i in range(3)]
    s, plan = _solved(people, open="06:00", close="23:00", capacity_per_slot=1)
    hh = {h.id: h for h in households(s)}
    robust = []
    for b in plan.tests:
        p = next(x for x in people if x.case_id == b.person_id)
        w = person_window(p, hh[p.household_id], s.flights[0], s)
        assert w.earliest_start < w.robust_start  # non-robust slots were on offer too
        robust.append(b.start >= w.robust_start)
    assert len(robust) == 3 and all(robust)


def test_household_members_share_a_slot_when_capacity_allows():
    family = [person(c, "HF") for c in "ABC"]
    singles = [person(f"S{i}", f"HS{i}") for i in range(4)]
    _, plan = _solved(family + singles, capacity_per_slot=3)
    starts = {b.start for b in plan.tests if b.person_id in {"A", "B", "C"}}
    assert len(starts) == 1
