"""Buses and driving times of a synthetic operation (docs/transfers.md).

Driving times are from the places of the 2021 operation to Minsk National Airport (MSQ): the Bruzgi centre and
Hrodna are about 280 km away (four and a half to five and a half hours by coach with a stop), the Minsk hotels
about 45 minutes. The fleet is an assumption sized to the share of people at each place: coaches of 50 seats
based at the border with two drivers (a 24-hour duty from noon, so a night drive to a morning flight is one
duty), and in Minsk from 03:00 for 20 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time

from planner.model.ground import TravelTime, Vehicle

#: minutes between places (the same both ways)
_MINUTES = {("BRUZGI", "MSQ"): 330, ("HRODNA", "MSQ"): 300, ("MINSK", "MSQ"): 45, ("BRUZGI", "HRODNA"): 30,
            ("BRUZGI", "MINSK"): 300, ("HRODNA", "MINSK"): 280, ("MINSK", "MINSK"): 20}
#: coaches per 1,000 people staying at a place, by the kind of place
_COACHES_PER_THOUSAND = {"BRUZGI": 4.0, "HRODNA": 4.0, "MINSK": 3.0}


def _kind(location: str) -> str:
    return next((k for k in ("BRUZGI", "HRODNA", "MINSK") if location.startswith(k)), "MINSK")


def ground_transport(people_at: Mapping[str, int]) -> tuple[list[Vehicle], list[TravelTime]]:
    """Coaches at each location (at least one where anybody stays) and the driving times between the locations
    and MSQ."""
    vehicles = []
    for location in sorted(people_at):
        kind = _kind(location)
        count = max(1, round(people_at[location] / 1000 * _COACHES_PER_THOUSAND[kind]))
        border = kind != "MINSK"
        for i in range(1, count + 1):
            vehicles.append(Vehicle(id=f"BUS-{location}-{i}"[-64:], seats=50, base=location,
                                    duty_from=time(12, 0) if border else time(3, 0), duty_hours=24 if border else 20))
    places = [*sorted(people_at), "MSQ"]
    times = []
    for i, a in enumerate(places):
        for b in places[i + 1:]:
            ka, kb = (p if p == "MSQ" else _kind(p) for p in (a, b))
            minutes = _MINUTES.get((ka, kb), _MINUTES.get((kb, ka)))
            if minutes is not None:
                times.append(TravelTime(between=a, **{"and": b}, minutes=minutes))
    return vehicles, times
