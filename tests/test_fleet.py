"""Fleet sizing: fewest or cheapest candidate charters that move everyone eligible by a date."""

from datetime import date

from builders import flight, person, scenario, site
from planner import SolveOptions
from planner.model.scenario import Escort
from planner.whatif.fleet import size_fleet


def _scenario(n_people: int):
    people = [person(f"P{i:02d}", f"H{i:02d}") for i in range(n_people)]
    flights = [flight("F1", day=1, optional={"cost": 100}), flight("F2", day=2, optional={"cost": 50}),
               flight("F3", day=3, optional={"cost": 80}), flight("LATE", day=9, optional={"cost": 1})]
    return scenario(people, flights=flights, sites=[site(capacity_per_slot=50)],
                    escorts=[Escort(id=f"O{i}", role="operational", vaccinated=True) for i in range(4)])


def test_fewest_charters():
    # 29 seats a flight (5 usable rows of 6, one escort): 40 people need two
    result = size_fleet(_scenario(40), by=date(2021, 12, 5), options=SolveOptions(time_limit=4))
    assert len(result.chosen) == 2 and result.optimal
    assert result.moved_people == result.eligible_people == 40
    assert "LATE" not in result.chosen + result.dropped


def test_cheapest_charters():
    result = size_fleet(_scenario(40), by=date(2021, 12, 5), minimise="cost", options=SolveOptions(time_limit=4))
    assert result.chosen == ["F2", "F3"] and result.value == 130 and result.optimal


def test_one_charter_is_enough_for_a_few():
    result = size_fleet(_scenario(10), by=date(2021, 12, 5), minimise="cost", options=SolveOptions(time_limit=4))
    assert result.chosen == ["F2"] and "operate 1 of 3" in result.to_text()
