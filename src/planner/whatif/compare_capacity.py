"""Capacities read from a scenario for the comparison: usable seats per flight, lab samples per day, active
flights per destination (docs/what-if.md)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from planner.model.scenario import Scenario
from planner.rules.capacity import seat_map_of, unusable_seats
from planner.rules.testing_windows import site_slots


def flight_seats(scenario: Scenario) -> dict[str, int]:
    """Usable seats per flight (blocked seats and rear isolation rows taken off): the load-factor base."""
    out = {}
    for f in scenario.flights:
        try:
            out[f.id] = len(seat_map_of(scenario, f).seats) - len(unusable_seats(scenario, f))
        except Exception:  # an aircraft the library cannot build: show no capacity rather than fail
            out[f.id] = 0
    return out


def lab_capacity_by_day(scenario: Scenario) -> dict[str, int]:
    """Samples the sites can take per local day: bookable slot capacity, capped by the daily lab limit."""
    out: Counter[str] = Counter()
    for site in scenario.testing_sites:
        per_day: Counter[date] = Counter()
        for s in site_slots(site, scenario):
            per_day[s.day] += s.capacity
        for day, n in per_day.items():
            out[day.isoformat()] += n if site.daily_capacity is None else min(n, site.daily_capacity)
    return dict(sorted(out.items()))


def active_by_destination(scenario: Scenario) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for f in scenario.flights:
        if f.departure >= scenario.as_of:
            for airport in sorted({s.airport for s in f.stops}):
                counts[airport] += 1
    return dict(counts)
