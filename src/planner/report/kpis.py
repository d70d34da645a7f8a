"""Key figures of a plan (docs/architecture.md#plan-json), computed from the plan and the scenario alone, so that
plans from any source (solver, greedy, an edited file) are summarised and compared the same way."""

from __future__ import annotations

from collections import Counter, defaultdict

from planner.model.caseload import departure_date, household_vulnerabilities, households
from planner.model.plan import Kpis, Plan, Reason
from planner.model.scenario import Scenario
from planner.report.explain import primary_code
from planner.rules.testing_windows import site_timezone


def compute_kpis(scenario: Scenario, plan: Plan) -> Kpis:
    """The plan's key figures: who moved (by vulnerability and destination), why others did not, seats,
    tests per site and day, the lab's peak load, escorts and the day the caseload is cleared."""
    people = {p.case_id: p for p in scenario.people}
    hh_of = {p.case_id: h for h in households(scenario) for p in h.members}
    codes_of: dict[str, dict[str, list[str]]] = {}  # household -> member -> codes, for households that moved
    flights = {f.id: f for f in scenario.flights}
    moved_ids = [pa.person_id for fp in plan.flights for pa in fp.passengers]
    by_vuln: Counter[str] = Counter()
    by_dest: Counter[str] = Counter()
    for pid in moved_ids:
        p = people[pid]
        by_dest[p.destination] += 1
        hh = hh_of[pid]
        if hh.id not in codes_of:
            codes_of[hh.id] = household_vulnerabilities(hh, scenario)
        by_vuln.update(codes_of[hh.id][pid])
    deferred: Counter[str] = Counter()
    unassigned_by: Counter[str] = Counter()
    seen_households: dict[str, list[Reason]] = defaultdict(list)
    for u in plan.unassigned:
        unassigned_by[primary_code(u.reasons)] += 1
        seen_households[people[u.person_id].household_id].extend(u.reasons)
    for reasons in seen_households.values():
        deferred[primary_code(reasons)] += 1
    tests = _tests_by_site_day(scenario, plan)
    peak = _lab_peak(scenario, tests)
    used = [fp for fp in plan.flights if fp.passengers]
    eligible_left = any(primary_code(u.reasons).startswith(("capacity.", "seating.", "test."))
                        for u in plan.unassigned)
    cleared = None
    if used and not eligible_left:
        cleared = max(departure_date(flights[fp.flight_id], scenario) for fp in used).isoformat()
    return Kpis(
        people=len(people),
        moved=len(moved_ids),
        moved_by_vulnerability=dict(sorted(by_vuln.items())),
        moved_by_destination=dict(sorted(by_dest.items())),
        households_deferred_by_reason=dict(sorted(deferred.items())),
        unassigned_by_reason=dict(sorted(unassigned_by.items())),
        seats_used_by_flight={fp.flight_id: sum(1 for pa in fp.passengers if pa.lap_of is None) + len(fp.escorts)
                              for fp in plan.flights},
        passengers_by_flight={fp.flight_id: len(fp.passengers) for fp in plan.flights},
        tests_by_site_day={s: dict(sorted(d.items())) for s, d in sorted(tests.items())},
        lab_peak_ratio=round(peak, 4),
        escorts_used=len({e.escort_id for fp in plan.flights for e in fp.escorts}),
        flights_used=len(used),
        cleared_on=cleared,
    )


def _tests_by_site_day(scenario: Scenario, plan: Plan) -> dict[str, dict[str, int]]:
    """Samples booked per site and local day."""
    tests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sites = {s.id: s for s in scenario.testing_sites}
    for b in plan.tests:
        day = b.start.astimezone(site_timezone(sites[b.site_id], scenario)).date().isoformat()
        tests[b.site_id][day] += 1
    return tests


def _lab_peak(scenario: Scenario, tests: dict[str, dict[str, int]]) -> float:
    """The highest share of a site's daily capacity (its daily limit, else all its slots) used on one day."""
    sites = {s.id: s for s in scenario.testing_sites}
    peak = 0.0
    for site_id, days in tests.items():
        site = sites[site_id]
        per_day = site.daily_capacity
        if per_day is None:
            minutes = (site.close.hour * 60 + site.close.minute) - (site.open.hour * 60 + site.open.minute)
            per_day = minutes // site.slot_minutes * site.capacity_per_slot
        for n in days.values():
            peak = max(peak, n / per_day if per_day else 0.0)
    return peak
