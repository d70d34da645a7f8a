"""Lab peak smoothing (planner.rules.lab_peaks, docs/health-checks.md#lab-peaks): among bookings as good as the
flow's, the least maximum daily load share; nothing else about the plan changes."""

from __future__ import annotations

from datetime import datetime

from builders import flight, person, scenario, site
from planner import SolveOptions, solve, validate
from planner.model.plan import Plan, TestBooking
from planner.model.scenario import Scenario
from planner.rules.lab_peaks import day_capacity, explain_peak, peak_share


def _world(objective: str | None, people: int = 8) -> Scenario:
    """Unvaccinated adults to Baghdad on 12-03 10:00 (PCR 72 h before departure, result 24 h before check-in):
    robust slots on 11-30 from 16:00 and all of 12-01, at one lab taking 8 samples a day."""
    ppl = [person(f"P{i}", household=f"H{i}", destination="BGW") for i in range(people)]
    s = scenario(ppl, flights=[flight("F1", dest="BGW", day=3)], sites=[site("LAB", daily_capacity=8)],
                 lab_peak_objective=objective)
    s.escorts = [e.model_copy(update={"vaccinated": True}) for e in s.escorts]
    return s


def _solve(s: Scenario) -> Plan:
    plan = solve(s, options=SolveOptions(time_limit=5, seat=False))
    assert validate(s, plan, previous=Plan(scenario=plan.scenario)) == []
    return plan


def test_smoothing_spreads_the_samples_over_the_valid_days_at_the_same_cost() -> None:
    as_booked, smoothed = _solve(_world(None)), _solve(_world("least_max_share"))
    s = _world(None)
    assert smoothed.kpis.moved == as_booked.kpis.moved == 8
    # 9 samples (the escort too: Baghdad does not exempt the vaccinated) over two days of 8: 5 is the least peak
    assert len(smoothed.tests) == 9 and peak_share(s, smoothed.tests) == 5 / 8
    assert peak_share(s, smoothed.tests) <= peak_share(s, as_booked.tests)
    assert smoothed.objective.level4_non_robust == as_booked.objective.level4_non_robust
    assert smoothed.kpis.lab_peak_ratio == 0.625


def test_the_peak_in_words_and_the_day_capacity_of_a_site_without_a_daily_limit() -> None:
    s = _world(None, people=1)
    at = datetime.fromisoformat("2021-12-01T09:00:00+03:00")
    booking = TestBooking(person_id="P0", flight_id="F1", site_id="LAB", start=at, end=at.replace(hour=10))
    assert explain_peak(s, [booking]) == "LAB on 2021-12-01: 1 of 8 (12%)"
    assert explain_peak(s, []) == "no samples booked"
    assert day_capacity(site("OPEN")) == 12 * 10  # 08:00-20:00 in 60-minute slots of 10
