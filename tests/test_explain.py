"""Reasons for people left out (docs/rules.md#explanations): true, complete, never invented."""

from builders import person, scenario, site
from planner import SolveOptions, solve, validate
from planner.allocation.feasibility import PlanState
from planner.allocation.greedy import Allocation
from planner.allocation.problem import AllocationProblem, build_problem
from planner.model.plan import Reason, group_reasons
from planner.model.reasons import reason
from planner.report.explain import _reason_on, explain
from planner.synth.generate import generate_scenario

FAST = SolveOptions(time_limit=1, seat=False, deterministic=True)


def _codes(plan, pid):
    return [(r.code, r.flights) for u in plan.unassigned if u.person_id == pid for r in u.reasons]


def test_gate_failures_are_kept_when_no_flight_serves_the_destination():
    s = scenario([person("A", "H", destination="DAM", consent="none"), person("B", "H", destination="DAM")])
    plan = solve(s, options=FAST)
    assert validate(s, plan) == []
    assert _codes(plan, "A") == [("flight.no_destination", None), ("gate.consent", None)]
    assert _codes(plan, "B") == [("flight.no_destination", None), ("household.held_back", None)]
    held = next(u for u in plan.unassigned if u.person_id == "B").reasons[1]
    assert "member A" in held.message


def test_no_reason_is_invented_when_a_household_would_fit():
    s = scenario([person("A")])
    problem = build_problem(s)
    # an allocation that leaves out a household that fits: there is no true reason to give
    out = explain(problem, Allocation(flight_of={}, escorts_on={}))
    assert [(u.person_id, u.reasons) for u in out] == [("A", [])]
    plan = solve(s, options=FAST).model_copy(update={"flights": [], "tests": [], "unassigned": out})
    assert [str(v) for v in validate(s, plan)] == ["reasons: A unassigned without a reason"]


def test_seating_removal_is_explained_with_the_flight():
    s = scenario([person("A")])
    out = explain(build_problem(s), Allocation(flight_of={}, escorts_on={}),
                  cut={"H1": {"F1": reason("seating.no_fit", "F1")}})
    assert [(r.code, r.flights) for r in out[0].reasons] == [("seating.no_fit", "all")]  # F1 is its only flight


def test_a_verdict_is_asked_again_once_the_plan_has_changed():
    # two households alike (one verdict serves both) and lab room for one sample: once the first is added, the
    # second no longer fits, and is told why
    s = scenario([person("A", "H1"), person("B", "H2")],
                 sites=[site(days={"from": "2021-11-29", "to": "2021-11-29"}, open="16:00", close="18:00",
                             capacity_per_slot=1)])
    problem = build_problem(s)
    state = PlanState(problem, Allocation(flight_of={}, escorts_on={}))
    a, b = problem.infos["H1"], problem.infos["H2"]
    assert state.check(a, "F1")[0] is None and state.fits(b, "F1")[0]
    state.add(a, "F1", state.fits(a, "F1")[1])
    assert not state.fits(b, "F1")[0]
    assert state.check(b, "F1")[0].code == "capacity.lab"
    state.remove("H1")
    assert state.fits(b, "F1")[0]


def test_reasons_said_once_per_run_of_flights_equal_those_said_per_flight():
    """Flights blocked by the same member reasons share them (`Blocked`); said once per run of such flights, a
    person's grouped reasons are word for word those of one reason per flight."""
    s = generate_scenario(people=900, seed=5)
    problem: AllocationProblem = build_problem(s)
    empty = Allocation(flight_of={}, escorts_on={})
    # cut a few households from flights between their blocked ones, so found reasons interleave with runs
    cut = {h.household.id: {fid: reason("seating.no_fit", fid) for fid in list(h.options)[::2]}
           for h in problem.households if h.blocked and h.options}
    got = {u.person_id: [(r.code, r.message, r.flights) for r in u.reasons] for u in explain(problem, empty, cut)}
    state = PlanState(problem, empty)
    mixed = 0
    for info in problem.households:
        serving = [f.flight.id for f in problem.flights if f.flight.id in info.options or f.flight.id in info.blocked]
        if not serving or info.household.id in problem.no_destination:
            continue
        mixed += len({id(b) for b in info.blocked.values()}) > 1 or bool(info.blocked and info.options)
        per_flight: dict[str, list[Reason]] = {p.case_id: [] for p in info.household.members}
        for fid in serving:
            if fid in info.blocked:
                for pid, r in info.blocked[fid].on(fid).items():
                    per_flight[pid].append(r)
            elif (found := _reason_on(state, info, fid, cut.get(info.household.id, {}), set())) is not None:
                for reasons in per_flight.values():
                    reasons.append(found)
        for pid, reasons in per_flight.items():
            assert got[pid] == [(r.code, r.message, r.flights) for r in group_reasons(reasons, serving)]
    assert mixed > 5  # households whose flights are not all blocked alike
