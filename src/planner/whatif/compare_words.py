"""The difference of one variant against the reference, in words: what changed in the scenario and what it
changed in the plan (docs/what-if.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.report.explain import primary_code
from planner.whatif.compare_capacity import active_by_destination, flight_seats, lab_capacity_by_day
from planner.whatif.compare_table import Result

#: How a reason code reads in a sentence ("12 fewer households held by lab capacity").
REASON_WORDS = {
    "gate.consent": "missing consent",
    "gate.document": "travel documents",
    "gate.document_pending": "travel documents still being issued",
    "gate.exit_clearance": "exit clearance",
    "gate.fitness": "fitness to travel",
    "gate.uasc": "UASC conditions",
    "gate.isolation": "isolation",
    "household.held_back": "a member who cannot travel",
    "flight.no_destination": "no flight to their destination",
    "test.no_valid_slot": "no valid test slot",
    "capacity.seats": "seats",
    "capacity.lab": "lab capacity",
    "capacity.escorts": "escorts",
    "capacity.special_categories": "the special-category limit",
    "capacity.infants": "infant places",
    "capacity.payload": "the payload limit",
    "seating.no_fit": "seating",
    "pin.conflict": "pin conflicts",
    "variant.excluded": "the caseload filter",
}
_NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def excluded_people(plan: Plan) -> int:
    return sum(1 for u in plan.unassigned if primary_code(u.reasons) == "variant.excluded")


def count_words(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _signed(n: int) -> str:
    return f"+{n:,}" if n > 0 else f"-{-n:,}"


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): data}


_RULE_WORDS: dict[str, Callable[[str, Any, Any], str]] = {
    "window_hours": lambda d, old, new: f"{d} test window {old} h -> {new} h",
    "anchor": lambda d, old, new: f"{d} test counted from {new} (was {old})",
    "exempt_under_years": lambda d, old, new: f"{d} test {_age_exemption(new)} (was {_age_exemption(old)})",
    "vaccinated_exempt": lambda d, old, new: f"{d} test {'no longer ' if not new else ''}waived for the vaccinated",
    "test": lambda d, old, new: (f"{d} {'no entry test' if new == 'none' else f'{new} test'} (was "
                                 f"{'none' if old == 'none' else old})"),
}


def _protocol_words(key: str, old: Any, new: Any) -> str:
    """One changed protocol parameter in words."""
    parts = key.split(".")
    if parts[0] == "destinations" and len(parts) == 3 and parts[2] in _RULE_WORDS:
        return _RULE_WORDS[parts[2]](parts[1], old, new)
    if key == "seating.distancing":
        return f"distancing {'+'.join(old or []) or 'none'} -> {'+'.join(new or []) or 'none'}"
    if key == "escorts.operational_per_passengers":
        return f"one operational escort per {new} passengers (was {old})"
    if parts[0] == "weights":
        return "priority weights changed"
    return f"{key} {_short(old)} -> {_short(new)}"


def _protocol_changes(base: Scenario, other: Scenario) -> list[str]:
    a = _flatten(base.protocol.model_dump(mode="json"))
    b = _flatten(other.protocol.model_dump(mode="json"))
    out = []
    da, db = set(base.protocol.destinations), set(other.protocol.destinations)
    for dest in sorted(db - da):
        out.append(f"{dest} entry rule added")
    for dest in sorted(da - db):
        out.append(f"{dest} entry rule removed")
    gone = tuple(f"destinations.{d}." for d in da ^ db)
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key) or key.startswith(gone):
            continue
        words = _protocol_words(key, a.get(key), b.get(key))
        if words not in out:
            out.append(words)
    return out


def _age_exemption(years: Any) -> str:
    return f"waived under {years} years" if years else "required at every age"


def _short(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, list):
        return "+".join(map(str, v)) or "none"
    return str(v)


def _flight_changes(base: Scenario, other: Scenario) -> list[str]:
    """Flights per destination, moved flights and other aircraft, as short phrases."""
    out: list[str] = []
    a, b = active_by_destination(base), active_by_destination(other)
    for dest in sorted(set(a) | set(b)):
        d = b.get(dest, 0) - a.get(dest, 0)
        if d > 0:
            out.append(f"{count_words(d)} more flight{'s' if d > 1 else ''} to {dest}")
        elif d < 0:
            out.append(f"{count_words(-d)} fewer flight{'s' if d < -1 else ''} to {dest}")
    fa, fb = {f.id: f for f in base.flights}, {f.id: f for f in other.flights}
    common = sorted(set(fa) & set(fb))
    moved = [fid for fid in common if fa[fid].departure != fb[fid].departure]
    if len(moved) == 1:
        hours = (fb[moved[0]].departure - fa[moved[0]].departure).total_seconds() / 3600
        out.append(f"{moved[0]} {'later' if hours > 0 else 'earlier'} by {abs(hours):g} h")
    elif moved:
        out.append(f"{count_words(len(moved))} flights moved")
    retyped = [fid for fid in common if fa[fid].aircraft != fb[fid].aircraft]
    if retyped:
        sa, sb = flight_seats(base), flight_seats(other)
        extra = sum(sb.get(fid, 0) - sa.get(fid, 0) for fid in retyped)
        what = retyped[0] if len(retyped) == 1 else f"{count_words(len(retyped))} flights"
        aircraft = fb[retyped[0]].aircraft if len({fb[f].aircraft for f in retyped}) == 1 else "other aircraft"
        out.append(f"{what} on {aircraft} ({_signed(extra)} seats)" if extra else f"{what} on {aircraft}")
    return out


def _site_changes(base: Scenario, other: Scenario) -> list[str]:
    """Lab capacity, testing sites opened, closed or with other hours, as short phrases."""
    out: list[str] = []
    ca, cb = sum(lab_capacity_by_day(base).values()), sum(lab_capacity_by_day(other).values())
    if ca != cb:
        pct = f"{(cb - ca) / ca:+.0%}" if ca else "from none"
        out.append(f"lab capacity {pct}")
    sa_sites, sb_sites = {s.id: s for s in base.testing_sites}, {s.id: s for s in other.testing_sites}
    for sid in sorted(set(sb_sites) - set(sa_sites)):
        out.append(f"new testing site {sid}")
    for sid in sorted(set(sa_sites) - set(sb_sites)):
        out.append(f"testing site {sid} closed")
    for sid in sorted(set(sa_sites) & set(sb_sites)):
        x, y = sa_sites[sid], sb_sites[sid]
        if (x.open, x.close) != (y.open, y.close):
            out.append(f"{sid} open {y.open:%H:%M}-{y.close:%H:%M}")
        if x.days != y.days:
            out.append(f"{sid} sampling {y.days.from_:%d %b}-{y.days.to:%d %b}")
    return out


def scenario_changes(base: Scenario, other: Scenario) -> list[str]:
    """What differs between two scenarios, as short phrases: flights per destination, moved flights, aircraft,
    lab capacity and hours, escorts and the protocol."""
    out = _flight_changes(base, other) + _site_changes(base, other)
    ea, eb = {e.id for e in base.escorts}, {e.id for e in other.escorts}
    if len(eb) != len(ea) or ea != eb:
        d = len(eb) - len(ea)
        out.append(f"{_signed(d)} escorts" if d else "other escorts")
    return out + _protocol_changes(base, other)


def _lab_words(a: float, b: float) -> str:
    full_a, full_b = a >= 0.999, b >= 0.999
    if full_a and full_b:
        return "lab still at capacity on its peak day"
    if full_b:
        return f"lab now at capacity on its peak day (was {a:.0%})"
    if full_a:
        return f"lab no longer at capacity (peak {b:.0%})"
    return f"lab peak still within capacity ({b:.0%})"


def _cleared_words(a: str | None, b: str | None) -> str | None:
    if a == b:
        return None
    if b is None:
        return "caseload no longer cleared"
    if a is None:
        return f"caseload now cleared by {b}"
    days = (date.fromisoformat(b) - date.fromisoformat(a)).days
    word = "earlier" if days < 0 else "later"
    return f"caseload cleared {count_words(abs(days))} day{'s' if abs(days) > 1 else ''} {word} ({b})"


def describe(reference: Result, other: Result) -> str:
    """The difference of `other` against `reference` in words, e.g.
    "+62 moved: two more flights to EBL; lab peak still within capacity (84%)"."""
    _, sa, pa = reference
    _, sb, pb = other
    ka, kb = pa.kpis, pb.kpis
    d = kb.moved - ka.moved
    head = f"{_signed(d)} moved" if d else f"same number moved ({kb.moved:,})"
    causes = scenario_changes(sa, sb)
    excluded = excluded_people(pb) - excluded_people(pa)
    if excluded:
        causes.append(f"{_signed(excluded)} people excluded by the caseload filter")
    effects: list[str] = []
    deltas = {code: kb.households_deferred_by_reason.get(code, 0) - ka.households_deferred_by_reason.get(code, 0)
              for code in set(ka.households_deferred_by_reason) | set(kb.households_deferred_by_reason)
              if code != "variant.excluded"}
    for code, delta in sorted(deltas.items(), key=lambda x: (-abs(x[1]), x[0]))[:2]:
        if delta:
            more = "more" if delta > 0 else "fewer"
            effects.append(f"{count_words(abs(delta))} {more} household{'s' if abs(delta) > 1 else ''} "
                           f"held by {REASON_WORDS.get(code, code)}")
    used = kb.flights_used - ka.flights_used
    if used:
        more = "more" if used > 0 else "fewer"
        effects.append(f"{count_words(abs(used))} {more} charter{'s' if abs(used) > 1 else ''} used")
    cleared = _cleared_words(ka.cleared_on, kb.cleared_on)
    if cleared:
        effects.append(cleared)
    if kb.tests_by_site_day or ka.tests_by_site_day:
        effects.append(_lab_words(ka.lab_peak_ratio, kb.lab_peak_ratio))
    # a difference in priority served smaller than what either solve may still be missing is not evidence
    slack = max(pa.objective.level1_bound - pa.objective.level1_value,
                pb.objective.level1_bound - pb.objective.level1_value)
    if slack > 0 and abs(pb.objective.level1_value - pa.objective.level1_value) <= slack:
        worst_gap = max(pa.objective.gap, pb.objective.gap)
        effects.append(f"within the solver gap (up to {worst_gap:.1%}): the variants may be equally good")
    text = head + (": " + ", ".join(causes) if causes else "")
    return text + ("; " + "; ".join(effects) if effects else "")
