"""Charter flights from Minsk sized to the estimated seat demand: routes, aircraft and departure slots."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.io.airports import airport
from planner.model.scenario import Flight, Stop
from planner.seating.seatmaps import resolve_aircraft
from planner.synth.demand import Demand
from planner.synth.draws import at, fixed, pick
from planner.synth.operation_2021 import AIRCRAFT_MIX, BLOCK_MINUTES, DEPARTURE_TIMES, ONWARD_MINUTES, ORIGIN


def usable_seats(type_id: str) -> int:
    """Seats left for returnees once the rear isolation row and operational escorts are taken out."""
    seat_map = resolve_aircraft(type_id)
    rear = sum(1 for s in seat_map.seats if s.row == seat_map.rows[-1]) if seat_map.rows else 0
    return seat_map.seat_count - rear - math.ceil(seat_map.seat_count / 50)


def routes_for(count: int, seats: Mapping[str, int]) -> list[tuple[str, ...]]:
    """Stop lists for `count` flights: destinations in proportion to demand, some Erbil-then-onward."""
    wanted = [d for d in ("EBL", "BGW", "ISU") if seats.get(d, 0) > 0] or ["EBL"]
    others = [d for d in seats if d not in wanted and seats[d] > 0]
    wanted += others
    total = sum(seats.get(d, 0) for d in wanted) or 1
    if count == 1:  # one charter calls at every Iraqi destination, Erbil first
        return [tuple(d for d in ("EBL", "ISU", "BGW") if d in wanted) or (wanted[0],)]
    routes: list[tuple[str, ...]] = []
    if "EBL" in wanted and "BGW" in wanted and count >= 5:
        routes += [("EBL", "BGW")] * max(1, round(count * 0.1))
    if "EBL" in wanted and "ISU" in wanted and (count >= 10 or count < len(wanted)):
        routes.append(("EBL", "ISU"))
    left = count - len(routes)
    need = {d: seats.get(d, 0) / total * count - sum(0.5 for r in routes if d in r) for d in wanted}
    need = {d: max(v, 0.0) for d, v in need.items()}
    scale = left / (sum(need.values()) or 1)
    quota = {d: need[d] * scale for d in wanted}
    counts = {d: math.floor(q) for d, q in quota.items()}
    for d in sorted(wanted, key=lambda d: (counts[d] - quota[d], wanted.index(d)))[: left - sum(counts.values())]:
        counts[d] += 1
    for d in wanted:
        routes += [(d,)] * counts[d]
    routes = routes[:count]
    # A destination left without a flight is added as a further stop to the most repeated route.
    for d in wanted:
        if not any(d in r for r in routes):
            candidates = [i for i, r in enumerate(routes) if len(r) < 3]
            if candidates:
                i = max(candidates, key=lambda i: (routes.count(routes[i]), -i))
                routes[i] = (*routes[i], d)
    return routes


def charter_flights(rng: random.Random, count: int, demand: Demand, seat_ratio: float, today: date,
                    days: int, tz: str) -> list[Flight]:
    """Charters from Minsk spread over the operation, aircraft sized so seats just fall short of demand."""
    routes = routes_for(count, demand.seats)
    types = _aircraft(rng, routes, demand, seat_ratio)
    slots = _departure_slots(rng, len(routes), today, days)
    order_routes = list(range(len(routes)))
    rng.shuffle(order_routes)
    plan = sorted(zip(slots, order_routes, strict=True))
    width = max(2, len(str(len(routes))))
    flights = []
    for n, ((day, clock), i) in enumerate(plan, start=1):
        departure = at(day, clock, tz)
        flights.append(Flight(id=f"{ORIGIN}-{'-'.join(routes[i])}-{n:0{width}d}", aircraft=types[i],
                              origin=ORIGIN, departure=departure, check_in_minutes=180,
                              stops=_stops(routes[i], departure, tz)))
    return flights


def _aircraft(rng: random.Random, routes: list[tuple[str, ...]], demand: Demand, seat_ratio: float) -> list[str]:
    """An aircraft type per route, drawn from the broker mix near the route's share of the seat target; the
    largest routes choose first and each carries the shortfall (or surplus) on to the next."""
    weight = {d: sum(1.0 if len(r) == 1 else 0.5 for r in routes if d in r) for d in demand.seats}
    targets = [seat_ratio * sum(demand.seats.get(d, 0) / weight[d] * (1.0 if len(r) == 1 else 0.5)
                                for d in r if weight.get(d)) for r in routes]
    usable = {t: usable_seats(t) for t in AIRCRAFT_MIX}
    carry = 0.0
    order = sorted(range(len(routes)), key=lambda i: (-targets[i], i))
    chosen: dict[int, str] = {}
    for i in order:
        goal = targets[i] + carry
        score = {t: AIRCRAFT_MIX[t] * math.exp(-abs(usable[t] - goal) / 45) for t in AIRCRAFT_MIX}
        choice = pick(rng, score) if sum(score.values()) > 1e-12 else \
            min(usable, key=lambda t: abs(usable[t] - goal))
        chosen[i] = choice
        carry = goal - usable[choice]
    return [chosen[i] for i in range(len(routes))]


def _departure_slots(rng: random.Random, count: int, today: date, days: int) -> list[tuple[date, time]]:
    """A (day, departure time) per flight, no two alike: one on the first flight day, the rest spread evenly."""
    first = today + timedelta(days=2)
    span = max(1, days - 1)
    slots: list[tuple[date, time]] = []
    used: set[tuple[date, time]] = set()
    for k in range(count):
        # One flight on the first day (its tests all fall on the first test day), the rest spread evenly.
        index = 0 if k == 0 or span == 1 else 1 + (k - 1) * (span - 1) // max(1, count - 1)
        day = first + timedelta(days=min(span - 1, index))
        # The first flight day follows the first test day: only afternoon departures leave a test window.
        earliest = time(15, 0) if day == first else time(0, 0)
        options = [t for t in DEPARTURE_TIMES if (day, t) not in used and t >= earliest]
        clock = rng.choice(options or list(DEPARTURE_TIMES))
        used.add((day, clock))
        slots.append((day, clock))
    return slots


def _stops(route: tuple[str, ...], departure: datetime, tz: str) -> list[Stop]:
    """Arrivals along the route at scheduled block times, each in the local time of its airport."""
    stops = []
    moment = departure
    for j, code in enumerate(route):
        if j == 0:
            moment = departure + timedelta(minutes=BLOCK_MINUTES.get(code, 270))
        else:
            moment = moment + timedelta(minutes=ONWARD_MINUTES.get((route[j - 1], code), 120))
        local = airport(code)
        stops.append(Stop(airport=code, arrival=fixed(moment.astimezone(ZoneInfo(local.timezone
                                                                                    if local else tz)))))
    return stops
