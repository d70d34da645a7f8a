"""Lab slot and daily capacity (docs/rules.md#lab-slot-and-daily-capacity).

Each slot holds at most its capacity (`capacity_per_slot`, or the slot's own); each site processes at most
`daily_capacity` samples per local day, when set, on every day it has a slot (listed slots may fall outside
`days`). Reason code: `capacity.lab`; violation id: `test_capacity`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.testing_windows import site_slots, site_timezone

REASON = "capacity.lab"


def daily_capacities(scenario: Scenario) -> dict[tuple[str, date], int]:
    """Lab processing capacity per (site, local day), where the site sets one: each day of `days` and each day a
    slot of the site falls on."""
    out: dict[tuple[str, date], int] = {}
    for site in scenario.testing_sites:
        if site.daily_capacity is None:
            continue
        day = site.days.from_
        while day <= site.days.to:
            out[(site.id, day)] = site.daily_capacity
            day = date.fromordinal(day.toordinal() + 1)
        for slot in site_slots(site, scenario, include_past=True):
            out[(site.id, slot.day)] = site.daily_capacity
    return out


def check_test_capacity(ctx: Context) -> Iterator[Violation]:
    """Each slot's sampling capacity and each site's daily lab capacity."""
    scenario = ctx.scenario
    sites = {s.id: s for s in scenario.testing_sites}
    per_slot: Counter[tuple[str, datetime, datetime]] = Counter()
    per_day: Counter[tuple[str, date]] = Counter()
    for b in ctx.plan.tests:
        site = sites.get(b.site_id)
        if site is None:
            continue
        per_slot[(b.site_id, b.start, b.end)] += 1
        per_day[(b.site_id, b.start.astimezone(site_timezone(site, scenario)).date())] += 1
    caps = {(sid, s.start, s.end): s.capacity for sid, site in sites.items()
            for s in site_slots(site, scenario, include_past=True)}
    for key, n in sorted(per_slot.items()):
        if key in caps and n > caps[key]:
            yield violation("test_capacity", f"slot {key[0]} {key[1]:%Y-%m-%d %H:%M} has {n} samples, "
                                             f"capacity {caps[key]}")
    daily = daily_capacities(scenario)
    for (sid, day), n in sorted(per_day.items()):
        cap = daily.get((sid, day))
        if cap is not None and n > cap:
            yield violation("test_capacity", f"site {sid} processes {n} samples on {day}, daily capacity {cap}")


CHECKS = (PlanCheck(("test_capacity",), check_test_capacity),)
SEAT_CHECKS = ()
