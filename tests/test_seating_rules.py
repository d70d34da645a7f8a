"""One broken plan per seating rule of docs/rules.md#cabin-rules: the checker names the rule that breaks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planner.model.baggage import CabinZone
from planner.model.plan import Plan
from planner.model.scenario import AircraftType, Escort, Scenario
from planner.oracle.seating_checks import RULES, seating_violations
from planner.oracle.validate import validate
from planner.rules.distancing import related
from planner.seating.seatmaps import build_seat_map
from planner.seating.synth import DAY, person, plan_for, scenario_with

CABIN = AircraftType(
    type="T-6x6",
    rows={"first": 1, "last": 6},
    layout="ABC DEF",
    exit_rows=[3],
    stretcher_zone=["5A", "5B"],
    bassinet_rows=[1],
    blocked_seats=["2F"],
)

SEATS = {
    "P2": "1A",
    "P3": "1B",
    "P1": "1C",
    "P7": "2B",
    "P6": "2C",
    "P8": "2D",
    "U1": "2E",
    "OPS1": "3A",
    "P5": "3F",
    "M1": "4A",
    "P10": "4B",
    "P11": "4D",
    "P9": "5A",
}


def base(distancing: list[str] | None = None, **changes: dict) -> tuple[Scenario, Plan]:
    """A valid seated flight with a family, a lap infant, WCHC, UASC, STCR and a medical case."""
    people = [
        person("P1", "H1", 40, sex="M"),
        person("P2", "H1", 35, sex="F"),
        person("P3", "H1", 8),
        person("P4", "H1", 1),
        person("P5", "H2", 30),
        person("P6", "H3", 50, mobility="WCHC"),
        person("P7", "H3", 45),
        person("P8", "H4", 14, unaccompanied_minor=True, best_interests_approved=True, reception_contact="x"),
        person("P9", "H5", 60, mobility="STCR"),
        person("P10", "H6", 55, fitness="fit_with_escort"),
        person("P11", "H7", 30),
        person("P12", "H7", 0.5),
    ]
    people = [p.model_copy(update={"document_expiry": DAY + timedelta(days=365), **changes.get(p.case_id, {})})
              for p in people]
    escorts = [Escort(id="OPS1", role="operational"), Escort(id="U1", role="uasc"), Escort(id="M1", role="medical")]
    sc = scenario_with(people, aircraft=CABIN, distancing=distancing, escorts=escorts)
    plan = plan_for(sc, escorts={"F01": [("OPS1", []), ("U1", ["P8"]), ("M1", ["P9", "P10"])]})
    fp = plan.flights[0]
    if not changes:
        assert {p.person_id: p.lap_of for p in fp.passengers if p.lap_of} == {"P4": "P2", "P12": "P11"}
    for p in fp.passengers:
        p.seat = SEATS.get(p.person_id)
    for e in fp.escorts:
        e.seat = SEATS[e.escort_id]
    return sc, plan


def move(plan: Plan, who: str, seat: str | None) -> Plan:
    fp = plan.flights[0]
    for p in fp.passengers:
        if p.person_id == who:
            p.seat = seat
    for e in fp.escorts:
        if e.escort_id == who:
            e.seat = seat
    return plan


def rules_broken(sc: Scenario, plan: Plan) -> set[str]:
    return {v.rule for v in validate(sc, plan)}


def test_base_plan_is_valid() -> None:
    sc, plan = base()
    assert seating_violations(sc, plan) == []
    assert validate(sc, plan) == []


def test_side_distancing_base_is_valid() -> None:
    sc, plan = base(["side"])
    assert seating_violations(sc, plan) == []
    assert validate(sc, plan) == []


CASES = [
    ("seat.missing", lambda p: move(p, "P5", None)),
    ("seat.unknown", lambda p: move(p, "P5", "9Z")),
    ("seat.double", lambda p: move(p, "P5", "1A")),
    ("seat.blocked", lambda p: move(p, "P5", "2F")),
    ("seat.isolation_row", lambda p: move(p, "P5", "6D")),
    ("stretcher.zone", lambda p: move(p, "P9", "4F")),
    ("stretcher.zone_occupied", lambda p: move(p, "P5", "5B")),
    ("stretcher.escort", lambda p: move(move(p, "M1", "1F"), "P10", "1E")),
    ("lap.mask_block", lambda p: move(move(p, "P11", "1C"), "P1", "4D")),
    ("child.adult_nearby", lambda p: move(p, "P3", "4F")),
    ("exit.barred", lambda p: move(p, "P3", "3B")),
    ("mobility.aisle", lambda p: move(p, "P6", "1E")),
    ("mobility.companion", lambda p: move(p, "P7", "1D")),
    ("uasc.escort_adjacent", lambda p: move(p, "U1", "1F")),
    ("medical.escort_adjacent", lambda p: move(p, "P10", "1E")),
]


def _age(years: float) -> dict:
    """A date of birth giving `years` at the fixture's departure date (as `seating_synth.person` does)."""
    return {"date_of_birth": DAY - timedelta(days=int(years * 365.25) + 1)}


#: Each exit-row bar of docs/rules.md#cabin-rules, alone, on P5, who sits in exit seat 3F of the valid fixture. The
#: scenario
#: rules passed along isolate the bar (a lap carrier always has a young household member, so the exit-row age is
#: set to 0 for that case: only the carrying bars the seat).
EXIT_BARS = [
    ("young_household_member", {"P5": {"household_id": "H1"}}, {}),
    ("lap_carrier", {"P12": {"household_id": "H2"}}, {"exit_row_min_age": 0}),
    ("pregnant", {"P5": {"pregnant": True}}, {}),
    ("not_evacuation_capable", {"P5": {"evacuation_capable": False}}, {}),
    ("medical_case", {"P5": {"fitness": "fit_with_escort"}}, {}),
    (
        "uasc",
        {"P5": {"unaccompanied_minor": True, "best_interests_approved": True, "reception_contact": "x", **_age(16)}},
        {},
    ),
    ("child", {"P5": _age(13)}, {}),
    ("reduced_mobility", {"P5": {"mobility": "WCHR"}}, {}),
]


@pytest.mark.parametrize(("bar", "changes", "rules"), EXIT_BARS, ids=[b[0] for b in EXIT_BARS])
def test_exit_seat_bars(bar: str, changes: dict, rules: dict) -> None:
    sc, plan = base(**changes)
    sc.protocol.seating = sc.protocol.seating.model_copy(update=rules)
    if bar == "lap_carrier":
        assert {p.person_id: p.lap_of for p in plan.flights[0].passengers}["P12"] == "P5"
    barred = [v.person_id for v in seating_violations(sc, plan) if v.rule == "exit.barred"]
    assert barred == ["P5"]
    # the control: the same rules without the bar leave P5 in 3F
    sc0, plan0 = base()
    sc0.protocol.seating = sc0.protocol.seating.model_copy(update=rules)
    assert seating_violations(sc0, plan0) == []


def test_seat_missing_once_seating_ran() -> None:
    """Once the seating stage ran, every passenger (not lap infants) and escort has a seat."""
    sc, plan = base()
    plan.stages.seating = {"F01": "optimal"}
    assert not [v for v in validate(sc, plan) if v.rule == "seat.missing"]
    move(move(plan, "P5", None), "OPS1", None)
    found = sorted(v.person_id for v in validate(sc, plan) if v.rule == "seat.missing")
    assert found == ["OPS1", "P5"]
    for fp in plan.flights:  # seating never ran and no seat is set: seats are not expected yet
        for p in fp.passengers:
            p.seat = None
        for e in fp.escorts:
            e.seat = None
    plan.stages.seating = None
    assert not [v for v in validate(sc, plan) if v.rule == "seat.missing"]


@pytest.mark.parametrize(("rule", "breaker"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_catches_its_break(rule, breaker) -> None:
    sc, plan = base()
    broken = rules_broken(sc, breaker(plan))
    assert rule in broken
    found = [v for v in validate(sc, plan) if v.rule == rule]
    assert found and all(v.message and v.flight_id == "F01" for v in found)


def test_lap_carrier_must_be_household_adult() -> None:
    sc, plan = base()
    for p in plan.flights[0].passengers:
        if p.person_id == "P4":
            p.lap_of = "P3"  # an 8-year-old
    assert "lap.carrier" in rules_broken(sc, plan)


def test_lap_carrier_one_infant_each() -> None:
    sc, plan = base()
    for p in plan.flights[0].passengers:
        if p.person_id == "P12":
            p.lap_of = "P2"  # P2 already holds P4, and P2 is of another household
    assert "lap.carrier" in rules_broken(sc, plan)


def test_special_categories_cap() -> None:
    sc, plan = base(
        P1={"evacuation_capable": False},
        P5={"pregnant": True},
        P7={"evacuation_capable": False},
        P11={"evacuation_capable": False},
    )
    plan.flights[0].escorts = [e for e in plan.flights[0].escorts if e.escort_id != "OPS1"]
    assert "special_categories" in rules_broken(sc, plan)


@pytest.mark.parametrize(
    ("relation", "rule"),
    [
        ("side", "distancing.side"),
        ("across-aisle", "distancing.across_aisle"),
        ("front-back", "distancing.front_back"),
        ("diagonal", "distancing.diagonal"),
    ],
)
def test_distancing_relations(relation: str, rule: str) -> None:
    sc, plan = base([relation])
    if relation == "side":
        move(plan, "P5", "4C")  # next to P10 (another household)
    # across-aisle: 2C (H3) and 2D (H4); front-back: 1B (H1) and 2B (H3); diagonal: 1C (H1) and 2B (H3)
    assert rule in rules_broken(sc, plan)


def test_escort_and_served_are_exempt_but_not_their_household() -> None:
    sc, plan = base(["side"])
    assert not rules_broken(sc, plan) & {"distancing.side"}  # U1 next to P8, M1 next to P10
    move(plan, "OPS1", "4C")  # an operational escort serving nobody, next to P10
    assert "distancing.side" in rules_broken(sc, plan)


def test_diagonal_crosses_the_aisle_only_with_across_aisle() -> None:
    sm = build_seat_map(CABIN)
    seat = sm.by_id()
    assert not related(seat["1C"], seat["2D"], "diagonal", sm.layout, across_on=False)
    assert related(seat["1C"], seat["2D"], "diagonal", sm.layout, across_on=True)
    assert related(seat["1B"], seat["2C"], "diagonal", sm.layout, across_on=False)
    assert not related(seat["1B"], seat["3C"], "diagonal", sm.layout, across_on=True)


def test_every_seat_rule_has_a_test() -> None:
    tested = {c[0] for c in CASES} | {
        "distancing.side",
        "distancing.across_aisle",
        "distancing.front_back",
        "distancing.diagonal",
        "exit.staffed",  # test_exit_staffed_breaks_only_when_the_protocol_asks
        "zone.max_passengers",  # test_zone_max_passengers
    }
    assert set(RULES) == tested


def test_exit_staffed_breaks_only_when_the_protocol_asks() -> None:
    """exit.staffed: with `staffed_exits`, exit row 3 needs an able-bodied adult (OPS1 in 3A, P5 in 3F)."""
    sc, plan = base()
    sc.protocol.seating = sc.protocol.seating.model_copy(update={"staffed_exits": True})
    assert validate(sc, plan) == []
    move(move(plan, "OPS1", "4E"), "P5", "4F")
    assert rules_broken(sc, plan) == {"exit.staffed"}
    sc.protocol.seating = sc.protocol.seating.model_copy(update={"staffed_exits": False})
    assert rules_broken(sc, plan) == set()


@pytest.mark.parametrize("limit", [7, 6])
def test_zone_max_passengers(limit: int) -> None:
    """zone.max_passengers: rows 1-2 of the fixture seat seven people (P1, P2, P3, P6, P7, P8 and U1)."""
    sc, plan = base()
    zone = CabinZone(id="FWD", first_row=1, last_row=2, max_passengers=limit, index_per_passenger=-0.5)
    sc.aircraft = [sc.aircraft[0].model_copy(update={"zones": [zone]})]
    assert rules_broken(sc, plan) == (set() if limit == 7 else {"zone.max_passengers"})
