"""Exact distancing capacity (row-by-row maximum independent set) against brute force and known values."""

from __future__ import annotations

import itertools

import pytest

from planner.model.scenario import AircraftType
from planner.oracle.seating_checks import seating_violations
from planner.rules.distancing import max_independent_seats
from planner.seating.seat_plan import seat_plan
from planner.seating.seatmaps import RELATIONS, build_seat_map, seat_neighbours
from planner.seating.synth import person, plan_for, scenario_with

COMBOS = [c for k in range(len(RELATIONS) + 1) for c in itertools.combinations(RELATIONS, k)]
CABINS = [
    AircraftType(type="T33", rows={"first": 1, "last": 2}, layout="ABC DEF"),
    AircraftType(type="T22", rows={"first": 1, "last": 4, "skip": [3]}, layout="AB CD", row_layouts={4: "B C"}),
    AircraftType(type="T232", rows={"first": 1, "last": 2}, layout="AB CDE FG"),
]
A320 = AircraftType(type="T30", rows={"first": 1, "last": 30}, layout="ABC DEF")
#: Single travellers a 30-row 3-3 cabin holds (the row DP, itself checked by brute force on small cabins).
KNOWN_30 = {
    (): 180,
    ("side",): 120,
    ("across-aisle",): 150,
    ("front-back",): 90,
    ("diagonal",): 120,
    ("side", "front-back", "diagonal"): 60,
    tuple(RELATIONS): 45,
}


def brute(seat_map, relations) -> int:
    ids = [s.id for s in seat_map.seats]
    nb = seat_neighbours(seat_map, relations)
    best = 0
    for mask in range(1 << len(ids)):
        chosen = {ids[i] for i in range(len(ids)) if mask >> i & 1}
        if len(chosen) > best and all(not (nb[s] & chosen) for s in chosen):
            best = len(chosen)
    return best


@pytest.mark.parametrize("spec", CABINS, ids=[c.type for c in CABINS])
def test_row_dp_equals_brute_force(spec: AircraftType) -> None:
    sm = build_seat_map(spec)
    for combo in COMBOS:
        value, chosen = max_independent_seats(sm, combo, [s.id for s in sm.seats])
        assert value == brute(sm, combo) == len(chosen), combo
        nb = seat_neighbours(sm, combo)
        assert all(not (nb[s] & set(chosen)) for s in chosen)


def test_known_values_of_a_30_row_cabin() -> None:
    sm = build_seat_map(A320)
    for combo, value in KNOWN_30.items():
        assert max_independent_seats(sm, combo, [s.id for s in sm.seats])[0] == value


def test_blocked_seats_are_left_out() -> None:
    sm = build_seat_map(A320)
    usable = [s.id for s in sm.seats if s.row != 30]
    assert max_independent_seats(sm, ("side",), usable)[0] == 116


def test_next_position_follows_the_layout_string_not_the_alphabet() -> None:
    sm = build_seat_map(AircraftType(type="X", rows={"first": 1, "last": 2}, layout="ACD HJK"))
    nb = seat_neighbours(sm, ("side",))
    assert nb["1A"] == {"1C"} and nb["1D"] == {"1C"} and "1H" not in nb["1D"]
    assert seat_neighbours(sm, ("across-aisle",))["1D"] == {"1H"}
    # skipped row numbers are still physically consecutive rows
    sm2 = build_seat_map(AircraftType(type="Y", rows={"first": 12, "last": 14, "skip": [13]}, layout="AB"))
    assert seat_neighbours(sm2, ("front-back",))["12A"] == {"14A"}


@pytest.mark.parametrize("combo", COMBOS, ids=["+".join(c) or "none" for c in COMBOS])
def test_seating_reaches_the_proven_maximum_for_single_travellers(combo) -> None:
    """The seating stage seats exactly the exact capacity of single travellers, with no violation (its speed,
    at most 2 s per combination, is measured by bench/bench_seating.py, not here)."""
    sm = build_seat_map(A320)
    best = max_independent_seats(sm, combo, [s.id for s in sm.seats])[0]
    people = [person(f"P{i:03d}", f"P{i:03d}", 30) for i in range(min(180, best + 6))]
    sc = scenario_with(people, aircraft=A320, distancing=list(combo), isolation_rows=0, covid=True)
    out = seat_plan(sc, plan_for(sc), time_limit=0.5, processes=1, deterministic=True)
    seated = sum(1 for p in out.plan.flights[0].passengers if p.seat)
    assert seated == best
    assert seating_violations(sc, out.plan) == []
