"""The linear capacity model agrees with seating: what the limits admit, the seating stage seats."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model.caseload import households
from planner.model.scenario import AircraftType
from planner.oracle.seating_checks import seating_violations
from planner.rules.capacity import distancing_usage, flight_limits, household_usage
from planner.seating.seat_plan import seat_plan
from planner.seating.synth import mix_within_distancing_limit, person, plan_for, scenario_with

A320 = AircraftType(type="T30", rows={"first": 1, "last": 30}, layout="ABC DEF", exit_rows=[12, 13])


def limits(sc) -> dict[str, int]:
    return {lim.name: lim.rhs for lim in flight_limits(sc, sc.flights[0])}


def test_side_distancing_holds_120_single_travellers() -> None:
    sc = scenario_with([person("P", "P", 30)], aircraft=A320, distancing=["side"], isolation_rows=0)
    f = sc.flights[0]
    lim = {x.name: x for x in flight_limits(sc, f)}["distancing_units"]
    single = distancing_usage(sc, f, 1)
    assert lim.rhs // single == 120 and lim.escort_usage == single


def test_households_need_no_gap_among_themselves() -> None:
    sc = scenario_with([person("P", "P", 30)], aircraft=A320, distancing=["side"], isolation_rows=0)
    f = sc.flights[0]
    # a family of three takes a whole block, as two single travellers would (A and C of ABC)
    assert distancing_usage(sc, f, 3) < 3 * distancing_usage(sc, f, 1)
    sizes = [distancing_usage(sc, f, n) for n in range(1, 12)]
    assert sizes == sorted(sizes)


def test_limits_without_distancing_and_usage_order() -> None:
    people = [
        person("A", "H", 35, sex="F"),
        person("B", "H", 38, sex="M"),
        person("C", "H", 1),
        person("D", "H", 7, mobility="WCHC"),
    ]
    sc = scenario_with(people, aircraft=A320, isolation_rows=1)
    lims = flight_limits(sc, sc.flights[0])
    assert [x.name for x in lims] == [
        "seats",
        "non_exit_seats",
        "lap_infants",
        "wheelchair_aisle_seats",
        "stretcher_zones",
        "special_categories",
        "unpartnered_children",
    ]
    assert limits(sc)["seats"] == 174 and limits(sc)["non_exit_seats"] == 162
    usage = household_usage(sc, sc.flights[0], households(sc)[0])
    # 3 seated, all barred from exit rows (young members), 1 lap infant, 1 wheelchair, 0 stretchers,
    # special categories (infant, WCHC) minus able-bodied adults (B; A carries the infant) = 1, no child without
    # an adult
    assert usage == (3, 3, 1, 1, 0, 1, 0)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(
        [
            ["side"],
            ["front-back"],
            ["side", "across-aisle"],
            ["diagonal"],
            ["side", "front-back"],
            ["side", "across-aisle", "front-back", "diagonal"],
        ]
    ),
)
def test_mixes_within_the_limits_are_seated(seed: int, distancing: list[str]) -> None:
    sc = mix_within_distancing_limit(random.Random(seed), distancing)
    out = seat_plan(sc, plan_for(sc), time_limit=0.3, processes=1, deterministic=True)
    assert out.unplaced == {}
    assert seating_violations(sc, out.plan) == []
