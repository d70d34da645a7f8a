"""The member search of the constructive seating (planner.seating.members) keeps every requirement of a member,
not only one: a child on a stretcher needs an adult of its household near it and a medic beside the zone."""

from __future__ import annotations

from datetime import timedelta

from planner.model.scenario import AircraftType, Escort
from planner.rules.occupants import case_index, flight_facts
from planner.seating.cabin import Cabin
from planner.seating.members import MemberSearch
from planner.seating.problem import SeatingProblem, requirement_met
from planner.seating.seat_plan import flight_job
from planner.seating.synth import DAY, person, plan_for, scenario_with

CABIN = AircraftType(type="T-8x6", rows={"first": 1, "last": 8}, layout="ABC DEF",
                     stretcher_zone=["4A", "4B", "5A", "5B"])


def _problem() -> SeatingProblem:
    people = [person("A1", "H1", 40), person("C1", "H1", 8, mobility="STCR")]
    people = [p.model_copy(update={"document_expiry": DAY + timedelta(days=365)}) for p in people]
    sc = scenario_with(people, aircraft=CABIN, escorts=[Escort(id="M1", role="medical"),
                                                        Escort(id="O1", role="operational")])
    plan = plan_for(sc, escorts={"F01": [("M1", ["C1"]), ("O1", [])]})
    job = flight_job(sc, flight_facts(sc, plan.flights[0], case_index(sc)), time_limit=0, deterministic=True,
                     cpsat=False)
    return SeatingProblem(job, Cabin(job))


def test_a_child_on_a_stretcher_has_both_its_requirements() -> None:
    problem = _problem()
    assert {r.kind for r in problem.requirements if r.unit == "C1"} == {"near", "zone"}


def test_the_member_search_keeps_the_adult_near_a_child_whose_medic_is_by_the_zone() -> None:
    problem = _problem()
    allowed = {u: set(a) for u, a in problem.allowed.items()}
    party = ["A1", "C1", "M1"]
    # the medic behind the zone (6A) is two rows from the child (4A); the adult's only seat in this window is
    # rows away too: the medic by the zone is not enough
    assert "6A" in problem.cabin.zone_adjacent
    assert MemberSearch(problem, allowed, {}, party, ("4A", "6A", "1F"), 600).run() is None
    seats = MemberSearch(problem, allowed, {}, party, ("4A", "6A", "3B"), 600).run()  # 3B: the row ahead
    assert seats is not None and sorted(seats.values()) == ["3B", "4A", "6A"]
    assert all(requirement_met(problem, r, seats) for r in problem.requirements)
