"""Cabin zones family (planner.rules.zones): `zone.max_passengers`, the balance index, and the allocation's seat
limit agreeing with the zone limits."""

from planner.model.baggage import CabinZone
from planner.model.scenario import AircraftType
from planner.rules.capacity import flight_limits
from planner.rules.zones import balance_tenths, fillable_seats
from planner.seating.seatmaps import build_seat_map
from planner.seating.synth import person, scenario_with

ZONES = [CabinZone(id="FWD", first_row=1, last_row=3, max_passengers=10, index_per_passenger=-0.5),
         CabinZone(id="AFT", first_row=4, last_row=6, index_per_passenger=0.5)]
CABIN = AircraftType(type="Z-6x6", rows={"first": 1, "last": 6}, layout="ABC DEF", zones=ZONES)


def test_a_zone_limit_caps_the_seats_the_allocation_may_fill():
    sm = build_seat_map(CABIN)
    assert fillable_seats(CABIN, sm.seats) == 10 + 18
    sc = scenario_with([person("A", "A", 30)], aircraft=CABIN, isolation_rows=0)
    assert {x.name: x.rhs for x in flight_limits(sc, sc.flights[0])}["seats"] == 28


def test_the_balance_index_is_the_sum_over_zones_in_tenths():
    seat = build_seat_map(CABIN).by_id()
    assert balance_tenths(CABIN, [seat["1A"], seat["2A"]]) == 10
    assert balance_tenths(CABIN, [seat["1A"], seat["4A"]]) == 0
    assert balance_tenths(CABIN, [seat["6F"], seat["5F"], seat["1C"]]) == 5
