"""Lab peak smoothing (docs/health-checks.md#lab-peaks): a soft objective below every other level.

Among the bookings that test the same people at the same robustness cost (level 4), the planner takes those with
the least maximum daily load share: the highest share, over every site (lab or check provider) and local day, of
the site's daily capacity (its `daily_capacity`, else all its slots) used by the plan's samples that day. A lab
running at 100 % one day and 20 % the next is a lab whose every delay or sick call loses samples; the same samples
spread over both days leave it room.

Parameter: `protocol.lab_peak_objective` (`least_max_share`; unset: samples go where the flow put them, as in
plans made before this objective). Model term: `planner.allocation.slot_booking.smooth_flow`, which searches
the least share with the level-4 cost held. No hard rule, so no violation id; `peak_share` is the measure the
tests and the plan's `kpis.lab_peak_ratio` read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from planner.model.plan import TestBooking
from planner.model.scenario import Scenario, TestingSite
from planner.rules.testing_windows import site_timezone

OBJECTIVE = "least_max_share"


def wanted(scenario: Scenario) -> bool:
    """Whether the protocol asks for smoothed lab peaks."""
    return scenario.protocol.lab_peak_objective == OBJECTIVE


def day_capacity(site: TestingSite) -> int:
    """What one day of a site can take: its daily capacity, else every slot of its opening hours full."""
    if site.daily_capacity is not None:
        return site.daily_capacity
    minutes = (site.close.hour * 60 + site.close.minute) - (site.open.hour * 60 + site.open.minute)
    return max(0, minutes // site.slot_minutes * site.capacity_per_slot)


def day_loads(scenario: Scenario, bookings: Iterable[TestBooking]) -> Counter[tuple[str, date]]:
    """Samples per (site, local day at the site)."""
    sites = {s.id: s for s in scenario.testing_sites}
    loads: Counter[tuple[str, date]] = Counter()
    for b in bookings:
        site = sites.get(b.site_id)
        if site is not None:
            loads[(b.site_id, b.start.astimezone(site_timezone(site, scenario)).date())] += 1
    return loads


def peak_share(scenario: Scenario, bookings: Iterable[TestBooking]) -> float:
    """The highest share of a site's day capacity that the bookings use on one day (0 with no bookings)."""
    caps = {s.id: day_capacity(s) for s in scenario.testing_sites}
    return max((n / caps[sid] for (sid, _), n in day_loads(scenario, bookings).items() if caps[sid] > 0),
               default=0.0)


def explain_peak(scenario: Scenario, bookings: Iterable[TestBooking]) -> str:
    """The peak day in words, e.g. `MINSK-LAB on 2021-12-02: 95 of 95 (100 %)`."""
    caps = {s.id: day_capacity(s) for s in scenario.testing_sites}
    loads = day_loads(scenario, bookings)
    shares = [(n / caps[sid], sid, day, n) for (sid, day), n in loads.items() if caps[sid] > 0]
    if not shares:
        return "no samples booked"
    share, sid, day, n = max(shares, key=lambda s: (s[0], s[3], s[1], s[2]))
    return f"{sid} on {day}: {n} of {caps[sid]} ({share:.0%})"
