"""End-to-end solves on small scenarios: valid plans, priorities, capacities, determinism."""

import re
from collections import Counter
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import flight, person, scenario, site
from planner import SolveOptions, load_scenario, solve, validate
from planner.allocation.cpsat import cp_base_model
from planner.allocation.model import build_model
from planner.allocation.problem import build_problem
from planner.model.scenario import Escort

TEACHING = Path(__file__).parent.parent / "scenarios" / "teaching-two-flights"
FAST = SolveOptions(time_limit=2, seating_time_limit=1, seating_processes=1)


def _solve(s, **kw):
    plan = solve(s, options=SolveOptions(time_limit=2, seating_time_limit=1, seating_processes=1, **kw))
    assert validate(s, plan) == [], validate(s, plan)
    return plan


def _flown(plan) -> dict[str, str]:
    return {pa.person_id: fp.flight_id for fp in plan.flights for pa in fp.passengers}


def test_teaching_scenario_solves_validly():
    s = load_scenario(TEACHING)
    plan = _solve(s)
    assert plan.kpis.moved == 19
    assert plan.objective.gap == 0.0 and plan.status == "optimal"
    reasons = {u.person_id: u.reasons[0].code for u in plan.unassigned}
    assert reasons == {"C0008": "gate.document", "C0009": "gate.consent", "C0010": "household.held_back",
                       "C0011": "household.held_back", "C0018": "gate.isolation"}
    assert plan.flights[1].provisional == ["C0019"]


def test_deterministic_mode_is_byte_identical():
    s = load_scenario(TEACHING)
    a = solve(s, options=SolveOptions(time_limit=2, deterministic=True, seating_processes=1)).to_json()
    b = solve(s, options=SolveOptions(time_limit=2, deterministic=True, seating_processes=1)).to_json()
    assert a == b and '"timings"' in a and '"timings": null' in a


def test_dumped_allocation_model_names_what_each_variable_counts_and_each_row_states():
    """docs/architecture.md#allocation: x[household class,flight], escort[id,flight], flow[window,slot class]."""
    problem = build_problem(load_scenario(TEACHING.parent / "teaching-lab-bottleneck"))
    m = build_model(problem)
    proto = cp_base_model(m).proto
    kinds = Counter(v.name.split("[")[0] for v in proto.variables)
    assert kinds == {"x": len(m.x), "escort": len(m.escort), "flow": len(m.flow)} and min(kinds.values()) > 0
    assert all(re.fullmatch(r"(x|escort|flow)\[[^,]+,[^,]+\]", v.name) for v in proto.variables)
    for (c, fid), v in m.x.items():  # a class by its first household and how many more share its options
        first, more = m.classes[c][0].household.id, len(m.classes[c]) - 1
        assert proto.variables[v].name == (f"x[{first},{fid}]" if not more else f"x[{first}+{more},{fid}]")
    (eid, fid), v = next(iter(m.escort.items()))
    assert proto.variables[v].name == f"escort[{eid},{fid}]"
    rows = Counter(c.name.split("[")[0] for c in proto.constraints)
    assert {"one flight", "cabin", "escorts needed", "no spare escorts", "slot class", "tests", "lab day",
            "turnaround"} <= set(rows)
    assert all(re.fullmatch(r"[a-z0-9 ]+\[.+\]", c.name) for c in proto.constraints)


def test_most_vulnerable_fly_when_seats_are_short():
    # 5 usable rows of 6 seats (one rear isolation row) minus 1 operational escort = 29 seats
    singles = [person(f"S{i:02d}", f"HS{i:02d}") for i in range(29)]
    vulnerable = person("V01", "HV", vulnerabilities=["torture"])
    s = scenario([*singles, vulnerable])
    plan = _solve(s)
    flown = _flown(plan)
    assert "V01" in flown and len(flown) == 29
    left = [u for u in plan.unassigned]
    assert len(left) == 1 and left[0].reasons[0].code == "capacity.seats"


def test_vulnerable_fly_first():
    people = [person("A", "HA"), person("V", "HV", vulnerabilities=["medical"])]
    tiny = site(capacity_per_slot=1, daily_capacity=1)
    s = scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)], sites=[tiny],
                 escorts=[Escort(id="O1", role="operational", vaccinated=True),
                          Escort(id="O2", role="operational", vaccinated=True)])
    flown = _flown(_solve(s))
    assert flown == {"V": "F1", "A": "F2"}


def test_lab_capacity_binds_and_is_explained():
    people = [person(f"P{i}", f"H{i}") for i in range(8)]
    s = scenario(people, sites=[site(capacity_per_slot=2, daily_capacity=3)], escorts=[])
    plan = _solve(s)
    # one day of valid slots (11-29), 3 samples a day: the escort needs none (no escorts) -> 0 flights w/o escort
    assert plan.kpis.moved == 0
    assert all(u.reasons[0].code == "capacity.escorts" for u in plan.unassigned)
    s = scenario(people, sites=[site(capacity_per_slot=2, daily_capacity=3)],
                 escorts=[Escort(id="O1", role="operational", vaccinated=True)])
    plan = _solve(s)
    assert plan.kpis.moved == 3
    assert {u.reasons[0].code for u in plan.unassigned} == {"capacity.lab"}


def test_household_unity_and_held_back():
    fam = [person("A", "H"), person("B", "H", document_type="none"), person("C", "H")]
    plan = _solve(scenario(fam))
    assert _flown(plan) == {}
    codes = {u.person_id: u.reasons[0].code for u in plan.unassigned}
    assert codes == {"A": "household.held_back", "B": "gate.document", "C": "household.held_back"}


def test_no_flight_to_destination():
    plan = _solve(scenario([person("A", destination="DAM")]))
    assert plan.unassigned[0].reasons[0].code == "flight.no_destination"


def test_medical_case_needs_a_medical_escort():
    people = [person("M", "H", fitness="fit_with_escort")]
    plan = _solve(scenario(people))
    assert plan.unassigned[0].reasons[0].code == "capacity.escorts"
    plan = _solve(scenario(people, escorts=[Escort(id="O", role="operational"), Escort(id="D", role="medical")]))
    assert _flown(plan) == {"M": "F1"}
    assert {e.escort_id: e.serves for e in plan.flights[0].escorts} == {"D": ["M"], "O": []}


def test_escort_turnaround_limits_back_to_back_flights():
    people = [person("A", "HA"), person("B", "HB", destination="BGW")]
    flights = [flight("F1", day=1), flight("F2", day=1, departure="2021-12-01T20:00:00+03:00",
                                              stops=[{"airport": "BGW", "arrival": "2021-12-02T00:10:00+03:00"}])]
    s = scenario(people, flights=flights, sites=[site(capacity_per_slot=1)])
    plan = _solve(s)
    assert len(_flown(plan)) == 1  # one escort cannot fly both within 24 h
    assert "capacity.escorts" in {r.code for u in plan.unassigned for r in u.reasons}


def test_lap_infant_rides_on_a_household_adult():
    fam = [person("M", "H", sex="F"), person("I", "H", date_of_birth=date(2021, 3, 1))]
    plan = _solve(scenario(fam))
    lap = {pa.person_id: pa.lap_of for pa in plan.flights[0].passengers}
    assert lap == {"M": None, "I": "M"}


def test_exempt_passengers_get_no_test_and_others_one():
    fam = [person("A", "H"), person("K", "H", date_of_birth=date(2015, 1, 1)), person("V", "H", vaccinated=True)]
    plan = _solve(scenario(fam))
    assert sorted(b.person_id or b.escort_id for b in plan.tests) == ["A", "OPS-1"]


def test_household_shares_a_slot_when_capacity_allows():
    fam = [person(c, "H") for c in "ABCD"]
    plan = _solve(scenario(fam))
    starts = {b.start for b in plan.tests if b.person_id}
    assert len(starts) == 1


def test_stop_request_still_returns_a_complete_valid_plan():
    import threading

    s = load_scenario(TEACHING)
    stop = threading.Event()
    stop.set()
    plan = solve(s, options=SolveOptions(time_limit=5, stop=stop, seating_processes=1))
    assert validate(s, plan) == []
    assert plan.kpis.moved > 0


people_strategy = st.lists(
    st.fixed_dictionaries({
        "household": st.integers(0, 5),
        "age": st.integers(0, 80),
        "dest": st.sampled_from(["EBL", "BGW"]),
        "vaccinated": st.booleans(),
        "fitness": st.sampled_from(["fit", "fit", "pending", "fit_with_escort", "unfit"]),
        "document": st.sampled_from(["passport", "passport", "etd", "none"]),
        "mobility": st.sampled_from(["none", "none", "none", "WCHR", "WCHC"]),
        "location": st.sampled_from(["CAMP", "HOTEL"]),
    }),
    min_size=1, max_size=14,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=people_strategy, lab=st.integers(1, 6))
def test_any_small_caseload_gives_a_valid_complete_plan(rows, lab):
    people = []
    dest_of: dict[int, str] = {}
    for i, r in enumerate(rows):
        dest = dest_of.setdefault(r["household"], r["dest"])
        people.append(person(f"P{i:02d}", f"H{r['household']}", destination=dest, vaccinated=r["vaccinated"],
                             date_of_birth=date(2021 - r["age"], 6, 1), fitness=r["fitness"],
                             document_type=r["document"], mobility=r["mobility"], location=r["location"]))
    s = scenario(people, flights=[flight("F1", day=1), flight("F2", "BGW", day=2), flight("F3", day=3)],
                 sites=[site(capacity_per_slot=lab), site("HOTEL-LAB", ("HOTEL",), capacity_per_slot=lab,
                                                          daily_capacity=lab * 2)],
                 escorts=[Escort(id="O1", role="operational"), Escort(id="O2", role="operational"),
                          Escort(id="M1", role="medical")])
    plan = _solve(s, seat=False)
    ids = [pa.person_id for fp in plan.flights for pa in fp.passengers] + [u.person_id for u in plan.unassigned]
    assert sorted(ids) == sorted(p.case_id for p in people)
    assert all(u.reasons for u in plan.unassigned)


def test_household_seating_cannot_place_is_cut_and_its_seats_refilled(monkeypatch):
    import planner.seating.seat_plan as seating

    real = seating.seat_plan
    calls = []

    def refusing(scenario, plan, **kw):
        """Seating that cannot place household HA on F1 (as if the cabin's rules forbade it)."""
        out = real(scenario, plan, **kw)
        calls.append(1)
        for fp in out.plan.flights:
            if fp.flight_id == "F1" and any(p.person_id == "A" for p in fp.passengers):
                fp.passengers = [p for p in fp.passengers if p.person_id != "A"]
                out.plan.stages.seating[fp.flight_id] = "feasible"
                out.unplaced.setdefault("F1", []).append("HA")
        return out

    monkeypatch.setattr(seating, "seat_plan", refusing)
    # HA is a couple: the seats it leaves go to households needing less of them (singles), never to one needing
    # as much (planner.pipeline.refill)
    people = [person("A", "HA", vulnerabilities=["torture"]), person("A2", "HA")] + \
        [person(f"S{i:02d}", f"H{i:02d}") for i in range(60)]
    s = scenario(people, flights=[flight("F1", day=1), flight("F2", day=2)], sites=[site(capacity_per_slot=40)],
                 escorts=[Escort(id="O1", role="operational", vaccinated=True),
                          Escort(id="O2", role="operational", vaccinated=True)])
    plan = _solve(s, deterministic=True)  # a time budget that no machine load can cut short of a second round
    flown = _flown(plan)
    assert "A" not in flown and len(calls) >= 2
    codes = {(r.code, r.flight_id) for u in plan.unassigned if u.person_id == "A" for r in u.reasons}
    assert ("seating.no_fit", "F1") in codes
    assert sum(1 for f in flown.values() if f == "F1") == 29  # the freed seats went to people waiting


def test_no_medical_escort_serves_two_lap_infant_carriers_while_it_can_be_avoided():
    # a medical escort sits beside each case it serves, in one mask block, and a block takes one lap infant: two
    # carriers for one escort cannot be seated. Ordered by household, the carriers would come first and share
    carriers = [p for h in ("H1", "H2") for p in (
        person(f"{h}M", h, sex="F", fitness="fit_with_escort"), person(f"{h}I", h, date_of_birth=date(2021, 3, 1)))]
    others = [person(f"{h}M", h, fitness="fit_with_escort") for h in ("H3", "H4")]
    adults = [person(f"{h}A{k}", h) for h in ("H1", "H2", "H3", "H4") for k in range(2)]
    escorts = [Escort(id="O", role="operational"), Escort(id="D1", role="medical"), Escort(id="D2", role="medical")]
    plan = _solve(scenario(carriers + others + adults, escorts=escorts))
    assert set(_flown(plan)) == {p.case_id for p in carriers + others + adults}
    serves = {e.escort_id: set(e.serves) for e in plan.flights[0].escorts}
    assert serves == {"O": set(), "D1": {"H1M", "H3M"}, "D2": {"H2M", "H4M"}}
