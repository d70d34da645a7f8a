"""The rows of the comparison: caseload, people moved, households deferred, charters and seats, tests per
day, and the outcome with the objective level by level as the oracle scores each plan (docs/what-if.md,
docs/rules.md "Objective"), so that plans from any source compare on the same scale."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from planner.model.plan import Kpis, Plan
from planner.model.scenario import Scenario
from planner.oracle.objective import score
from planner.whatif.compare_capacity import flight_seats, lab_capacity_by_day
from planner.whatif.compare_table import Comparison, Result, Row, Value
from planner.whatif.compare_words import describe, excluded_people


class _Rows:
    """The rows being built, section by section."""

    def __init__(self, plans: list[Plan], scenarios: list[Scenario]):
        self.plans, self.scenarios = plans, scenarios
        self.k: list[Kpis] = [p.kpis for p in plans]
        self.n = len(plans)
        self.rows: list[Row] = []
        self.section = ""

    def add(self, key: str, label: str, values: Sequence[Value], kind: str = "count", **kw: Any) -> None:
        self.rows.append(Row(key, self.section, label, list(values), kind, **kw))


def _union(dicts: list[dict[str, Any]]) -> list[str]:
    return sorted({key for d in dicts for key in d})


def _people(t: _Rows) -> None:
    k = t.k
    t.section = "Caseload"
    t.add("people", "people", [x.people for x in k])
    t.add("excluded", "excluded by the variant's filter", [excluded_people(p) for p in t.plans])
    t.section = "People moved"
    t.add("moved", "total", [x.moved for x in k])
    t.add("moved_share", "share of the caseload", [round(x.moved / x.people, 4) if x.people else 0.0 for x in k],
          "ratio")
    for code in _union([x.moved_by_vulnerability for x in k]):
        t.add(f"moved.vulnerability.{code}", f"vulnerability: {code}",
              [x.moved_by_vulnerability.get(code, 0) for x in k])
    for dest in _union([x.moved_by_destination for x in k]):
        t.add(f"moved.destination.{dest}", f"to {dest}", [x.moved_by_destination.get(dest, 0) for x in k])
    t.section = "Households deferred, by main reason"
    t.add("deferred", "total", [sum(x.households_deferred_by_reason.values()) for x in k])
    for code in _union([x.households_deferred_by_reason for x in k]):
        t.add(f"deferred.{code}", code, [x.households_deferred_by_reason.get(code, 0) for x in k])


def _charters(t: _Rows, seats: list[dict[str, int]]) -> None:
    k, n = t.k, t.n
    t.section = "Charters, escorts and seats"
    t.add("charters", "charters in the variant", [sum(1 for f in s.flights if f.departure >= s.as_of)
                                                  for s in t.scenarios])
    t.add("charters_used", "charters used", [x.flights_used for x in k])
    t.add("escorts_used", "escorts used", [x.escorts_used for x in k])
    t.add("seats_used", "seats used", [sum(x.seats_used_by_flight.values()) for x in k])
    cap_used = [sum(seats[i].get(f, 0) for f, m in k[i].passengers_by_flight.items() if m) for i in range(n)]
    t.add("load_factor", "load factor of charters used",
          [round(sum(v for f, v in k[i].seats_used_by_flight.items() if k[i].passengers_by_flight.get(f))
                 / cap_used[i], 4) if cap_used[i] else None for i in range(n)], "ratio")


def _flight_seats(t: _Rows, seats: list[dict[str, int]]) -> None:
    t.section = "Seats used per flight (of usable seats, load factor)"
    for fid in _flight_order(t.scenarios):
        used: list[Value] = []
        caps: list[Value] = []
        loads: list[Value] = []
        text: list[str] = []
        for i in range(t.n):
            c = seats[i].get(fid)
            u = t.k[i].seats_used_by_flight.get(fid, 0) if c is not None else None
            lf = round(u / c, 4) if c and u is not None else None
            used.append(u)
            caps.append(c)
            loads.append(lf)
            text.append("-" if c is None else f"{u}/{c} {lf:.0%}" if lf is not None else f"{u}/?")
        t.add(f"flight.{fid}.seats_used", fid, used, text=text)
        t.add(f"flight.{fid}.seats", f"{fid} usable seats", caps, in_text=False)
        t.add(f"flight.{fid}.load_factor", f"{fid} load factor", loads, "ratio", in_text=False)


def _tests(t: _Rows) -> None:
    t.section = "Tests per day (of lab capacity)"
    per_day = [_tests_by_day(x.tests_by_site_day) for x in t.k]
    capacity = [lab_capacity_by_day(s) for s in t.scenarios]
    t.add("tests", "samples booked", [sum(d.values()) for d in per_day])
    for day in _union(per_day):
        values: list[Value] = [per_day[i].get(day, 0) for i in range(t.n)]
        caps = [capacity[i].get(day) for i in range(t.n)]
        text = [f"{v}/{c}" if c else f"{v}" for v, c in zip(values, caps, strict=True)]
        t.add(f"tests.{day}", day, values, text=text)
        t.add(f"lab_capacity.{day}", f"{day} lab capacity", list(caps), in_text=False)
    t.add("lab_peak", "lab peak (share of a site's daily capacity)", [x.lab_peak_ratio for x in t.k], "ratio")


def _outcome(t: _Rows) -> None:
    """Status, then the objective level by level as the oracle scores each plan; the bound and the gap are
    the solver's (only it can prove a bound)."""
    t.section = "Outcome"
    t.add("cleared_on", "caseload cleared on", [x.cleared_on for x in t.k], "date",
          text=[x.cleared_on or "not cleared" for x in t.k])
    t.add("status", "solver status", [p.status for p in t.plans], "text")
    scores = [score(p, s) for p, s in zip(t.plans, t.scenarios, strict=True)]
    t.add("level1_value", "priority served (level 1)", [s.level1a for s in scores])
    t.add("level1_bound", "bound on level 1", [p.objective.level1_bound for p in t.plans])
    t.add("gap", "gap", [p.objective.gap for p in t.plans], "ratio")
    t.add("level1b_value", "priority x flight day (level 1b, lower is earlier)", [s.level1b for s in scores])
    t.add("level2_spread", "households spread in the cabin (level 2)", [s.level2_spread for s in scores])
    t.add("level4_non_robust", "samples a delay would invalidate (level 4)", [s.level4_non_robust for s in scores])
    t.add("level4_seat_cost", "seat comfort cost (level 4)", [s.level4_seat_cost for s in scores])


def compare(results: Sequence[Result]) -> Comparison:
    """Build the side-by-side table for solved variants, in the order given (the first is the reference)."""
    if not results:
        raise ValueError("nothing to compare")
    t = _Rows([p for _, _, p in results], [s for _, s, _ in results])
    seats = [flight_seats(s) for s in t.scenarios]
    _people(t)
    _charters(t, seats)
    _flight_seats(t, seats)
    _tests(t)
    _outcome(t)
    differences = ["reference"] + [describe(results[0], results[i]) for i in range(1, t.n)]
    return Comparison(columns=_unique([name for name, _, _ in results]), rows=t.rows, differences=differences,
                      results=list(results))


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def _flight_order(scenarios: list[Scenario]) -> list[str]:
    """Flights of every variant, by first departure seen, so added flights sit among the others."""
    first: dict[str, tuple[datetime, str]] = {}
    for s in scenarios:
        for f in s.flights:
            first.setdefault(f.id, (f.departure, f.id))
    return sorted(first, key=lambda fid: first[fid])


def _tests_by_day(by_site: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for days in by_site.values():
        for day, count in days.items():
            out[day] += count
    return dict(sorted(out.items()))
