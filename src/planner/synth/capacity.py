"""Testing sites and escort pools sized from the estimated demand, so the lab binds on busy days."""

from __future__ import annotations

import math
import random
from datetime import date, time, timedelta

from planner.model.fields import EscortRole
from planner.model.scenario import DateRange, Escort, Flight, TestingSite
from planner.seating.seatmaps import resolve_aircraft
from planner.synth.charters import usable_seats
from planner.synth.demand import Demand
from planner.synth.operation_2021 import SITE_HOURS


def testing_sites(demand: Demand, locations: list[str], count: int, today: date, last_day: date,
                  flight_days: int, lab_ratio: float) -> list[TestingSite]:
    """One site per area (Bruzgi, Hrodna, Minsk), merged into the largest when `count` is smaller."""
    groups: dict[str, list[str]] = {}
    for loc in locations:
        groups.setdefault(loc.split("-")[0], []).append(loc)
    area_load = {a: sum(demand.tests.get(loc, 0) for loc in locs) for a, locs in groups.items()}
    areas = sorted(groups, key=lambda a: (-area_load[a], a))
    while len(areas) > max(1, count):
        smallest = areas.pop()
        groups[areas[0]] += groups.pop(smallest)
    sites = []
    for area in areas:
        opens, closes = SITE_HOURS.get(area, (time(8, 0), time(18, 0)))
        hours = (closes.hour - opens.hour)
        load = sum(demand.tests.get(loc, 0) for loc in groups[area])
        daily = max(4, math.ceil(load / max(1, flight_days) * lab_ratio))
        per_slot = max(2, math.ceil(daily / hours * 2))
        sites.append(TestingSite(id=f"{area}-LAB", serves=sorted(groups[area]),
                                 days=DateRange(**{"from": today + timedelta(days=1), "to": last_day}),
                                 open=opens, close=closes, slot_minutes=60, capacity_per_slot=per_slot,
                                 daily_capacity=daily))
    return sites


def escort_pools(rng: random.Random, flights: list[Flight], demand: Demand, escort_location: str,
                 today: date, last_day: date) -> list[Escort]:
    """Escort pools large enough for the busiest two days, with some staff on shorter rotations."""
    total_seats = sum(usable_seats(f.aircraft) for f in flights) or 1
    roles: tuple[EscortRole, ...] = ("operational", "medical", "uasc")
    need: dict[str, dict[date, int]] = {role: {} for role in roles}
    for f in flights:
        day = f.departure.date()
        seats = usable_seats(f.aircraft)
        share = seats / total_seats
        for role, n in (("operational", math.ceil(resolve_aircraft(f.aircraft).seat_count / 50)),
                        ("medical", math.ceil(demand.medical * share / 2)),
                        ("uasc", math.ceil(demand.uasc * share / 2))):
            need[role][day] = need[role].get(day, 0) + n
    escorts: list[Escort] = []
    prefix = {"operational": "OPS", "medical": "MED", "uasc": "UASC"}
    first = today + timedelta(days=1)
    for role in roles:
        by_day = need[role]
        peak = max((by_day.get(d, 0) + by_day.get(d + timedelta(days=1), 0) for d in by_day), default=0)
        size = max(1 if role != "operational" else 2, math.ceil(peak * 1.25))
        width = max(2, len(str(size)))
        for k in range(1, size + 1):
            available = DateRange(**{"from": first, "to": last_day})
            span = (last_day - first).days
            if k > 2 and span >= 6 and rng.random() < 0.25:
                start = first + timedelta(days=rng.randint(0, span // 2))
                available = DateRange(**{"from": start, "to": min(last_day, start + timedelta(days=span // 2 + 3))})
            escorts.append(Escort(id=f"{prefix[role]}-{k:0{width}d}", role=role, available=available,
                                  location=escort_location, vaccinated=rng.random() < 0.8))
    return escorts
