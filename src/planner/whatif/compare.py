"""Side-by-side comparison of solved variants (issue 6): one column per variant, one row per KPI, and the
differences against the first column in words, so that a coordinator sees what a change buys.

Every figure comes from the plan and its scenario (`Plan.kpis` plus capacities read from the scenario), so plans
from any source compare the same way. `compare_paths` is what `charterplan compare A B ...` calls.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from planner.io.spreadsheet import safe_cell
from planner.model.options import Progress, ProgressCallback, StopSignal
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline
from planner.report.explain import primary_code
from planner.rules.capacity import seat_map_of, unusable_seats
from planner.rules.testing_windows import site_slots

Value = int | float | str | None
Result = tuple[str, Scenario, Plan]

#: How a reason code reads in a sentence ("12 fewer households held by lab capacity").
REASON_WORDS = {
    "gate.consent": "missing consent",
    "gate.document": "travel documents",
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
    "seating.no_fit": "seating",
    "pin.conflict": "pin conflicts",
    "variant.excluded": "the caseload filter",
}
_NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass
class Row:
    """One KPI across the variants. `text` holds display cells when they say more than the value
    (e.g. "176/180 98%"); `in_text` is False for rows that only feed another row's display."""

    key: str
    section: str
    label: str
    values: list[Value]
    kind: str = "count"  # count | ratio | text | date | number
    text: list[str] | None = None
    in_text: bool = True


@dataclass
class Comparison:
    columns: list[str]
    rows: list[Row]
    differences: list[str]  # one per column; the first column is the reference
    results: list[Result] = field(default_factory=list, repr=False)
    invalid: list[str] = field(default_factory=list)  # solved columns whose plan broke a hard rule (a defect)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def value(self, key: str, column: int | str) -> Value:
        index = column if isinstance(column, int) else self.columns.index(column)
        return self.row(key).values[index]

    # ------------------------------------------------------------ renderers

    def to_text(self) -> str:
        """A side-by-side table for a terminal, then the differences in words."""
        label_width = max([len(r.label) + 2 for r in self.rows if r.in_text] + [20])
        cells = [[_display(r, i) for i in range(len(self.columns))] for r in self.rows]
        widths = [max([len(c)] + [len(cs[i]) for r, cs in zip(self.rows, cells, strict=True) if r.in_text])
                  for i, c in enumerate(self.columns)]
        lines = [" " * label_width + "  " + "  ".join(c.rjust(w) for c, w in zip(self.columns, widths, strict=True))]
        section = None
        for r, cs in zip(self.rows, cells, strict=True):
            if not r.in_text:
                continue
            if r.section != section:
                section = r.section
                lines.append(section)
            lines.append(f"  {r.label}".ljust(label_width) + "  "
                         + "  ".join(c.rjust(w) for c, w in zip(cs, widths, strict=True)))
        lines.append("Differences against " + self.columns[0])
        for name, words in zip(self.columns[1:], self.differences[1:], strict=True):
            lines.append(f"  {name}: {words}")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """One line per KPI: key, section, label, then one column per variant; the differences come last."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(c) for c in ["key", "section", "label", *self.columns]])
        for r in self.rows:
            writer.writerow([safe_cell(v) for v in [r.key, r.section, r.label, *r.values]])
        writer.writerow([safe_cell(v) for v in ["differences", "Differences", "in words", *self.differences]])
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [{"key": r.key, "section": r.section, "label": r.label, "kind": r.kind,
                      "values": list(r.values)} for r in self.rows],
            "differences": list(self.differences),
        }


def _display(r: Row, i: int) -> str:
    if r.text is not None and r.text[i]:
        return r.text[i]
    v = r.values[i]
    if v is None:
        return "-"
    if r.kind == "ratio":
        return f"{float(v):.1%}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.4g}"
    return str(v)


# ---------------------------------------------------------------- capacities read from the scenario


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


# ---------------------------------------------------------------- the table


def _excluded_people(plan: Plan) -> int:
    return sum(1 for u in plan.unassigned if primary_code(u.reasons) == "variant.excluded")


def compare(results: Sequence[Result]) -> Comparison:
    """Build the side-by-side table for solved variants, in the order given (the first is the reference)."""
    if not results:
        raise ValueError("nothing to compare")
    names = _unique([name for name, _, _ in results])
    plans = [p for _, _, p in results]
    scenarios = [s for _, s, _ in results]
    k = [p.kpis for p in plans]
    n = len(results)
    rows: list[Row] = []

    def add(key: str, section: str, label: str, values: list[Value], kind: str = "count", **kw: Any) -> None:
        rows.append(Row(key, section, label, values, kind, **kw))

    def union(dicts: list[dict[str, Any]]) -> list[str]:
        return sorted({key for d in dicts for key in d})

    sec = "Caseload"
    add("people", sec, "people", [x.people for x in k])
    add("excluded", sec, "excluded by the variant's filter", [_excluded_people(p) for p in plans])

    sec = "People moved"
    add("moved", sec, "total", [x.moved for x in k])
    add("moved_share", sec, "share of the caseload", [round(x.moved / x.people, 4) if x.people else 0.0 for x in k],
        "ratio")
    for code in union([x.moved_by_vulnerability for x in k]):
        add(f"moved.vulnerability.{code}", sec, f"vulnerability: {code}",
            [x.moved_by_vulnerability.get(code, 0) for x in k])
    for dest in union([x.moved_by_destination for x in k]):
        add(f"moved.destination.{dest}", sec, f"to {dest}", [x.moved_by_destination.get(dest, 0) for x in k])

    sec = "Households deferred, by main reason"
    add("deferred", sec, "total", [sum(x.households_deferred_by_reason.values()) for x in k])
    for code in union([x.households_deferred_by_reason for x in k]):
        add(f"deferred.{code}", sec, code, [x.households_deferred_by_reason.get(code, 0) for x in k])

    sec = "Charters, escorts and seats"
    seats = [flight_seats(s) for s in scenarios]
    add("charters", sec, "charters in the variant", [sum(1 for f in s.flights if f.departure >= s.as_of)
                                                     for s in scenarios])
    add("charters_used", sec, "charters used", [x.flights_used for x in k])
    add("escorts_used", sec, "escorts used", [x.escorts_used for x in k])
    used_total = [sum(x.seats_used_by_flight.values()) for x in k]
    add("seats_used", sec, "seats used", used_total)
    cap_used = [sum(seats[i].get(f, 0) for f, m in k[i].passengers_by_flight.items() if m) for i in range(n)]
    add("load_factor", sec, "load factor of charters used",
        [round(sum(v for f, v in k[i].seats_used_by_flight.items() if k[i].passengers_by_flight.get(f))
               / cap_used[i], 4) if cap_used[i] else None for i in range(n)], "ratio")

    sec = "Seats used per flight (of usable seats, load factor)"
    flight_ids = _flight_order(scenarios)
    for fid in flight_ids:
        used: list[Value] = []
        caps: list[Value] = []
        loads: list[Value] = []
        text: list[str] = []
        for i in range(n):
            if fid not in seats[i]:
                used.append(None)
                caps.append(None)
                loads.append(None)
                text.append("-")
                continue
            u = k[i].seats_used_by_flight.get(fid, 0)
            c = seats[i][fid]
            lf = round(u / c, 4) if c else None
            used.append(u)
            caps.append(c)
            loads.append(lf)
            text.append(f"{u}/{c} {lf:.0%}" if lf is not None else f"{u}/?")
        add(f"flight.{fid}.seats_used", sec, fid, used, text=text)
        add(f"flight.{fid}.seats", sec, f"{fid} usable seats", caps, in_text=False)
        add(f"flight.{fid}.load_factor", sec, f"{fid} load factor", loads, "ratio", in_text=False)

    sec = "Tests per day (of lab capacity)"
    per_day = [_tests_by_day(x.tests_by_site_day) for x in k]
    capacity = [lab_capacity_by_day(s) for s in scenarios]
    add("tests", sec, "samples booked", [sum(d.values()) for d in per_day])
    for day in union(per_day):
        values: list[Value] = [per_day[i].get(day, 0) for i in range(n)]
        caps = [capacity[i].get(day) for i in range(n)]
        text = [f"{v}/{c}" if c else f"{v}" for v, c in zip(values, caps, strict=True)]
        add(f"tests.{day}", sec, day, values, text=text)
        add(f"lab_capacity.{day}", sec, f"{day} lab capacity", list(caps), in_text=False)
    add("lab_peak", sec, "lab peak (share of a site's daily capacity)", [x.lab_peak_ratio for x in k], "ratio")

    sec = "Outcome"
    add("cleared_on", sec, "caseload cleared on", [x.cleared_on for x in k], "date",
        text=[x.cleared_on or "not cleared" for x in k])
    add("status", sec, "solver status", [p.status for p in plans], "text")
    add("level1_value", sec, "priority served (level 1)", [p.objective.level1_value for p in plans])
    add("level1_bound", sec, "bound on level 1", [p.objective.level1_bound for p in plans])
    add("gap", sec, "gap", [p.objective.gap for p in plans], "ratio")

    differences = ["reference"] + [describe(results[0], results[i]) for i in range(1, n)]
    return Comparison(columns=names, rows=rows, differences=differences, results=list(results))


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def _flight_order(scenarios: list[Scenario]) -> list[str]:
    """Flights of every variant, by first departure seen, so added flights sit among the others."""
    first: dict[str, tuple] = {}
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


# ---------------------------------------------------------------- differences in words


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
        old, new = a.get(key), b.get(key)
        parts = key.split(".")
        if parts[0] == "destinations" and len(parts) == 3 and parts[2] == "window_hours":
            out.append(f"{parts[1]} test window {old} h -> {new} h")
        elif parts[0] == "destinations" and len(parts) == 3 and parts[2] == "anchor":
            out.append(f"{parts[1]} test counted from {new} (was {old})")
        elif parts[0] == "destinations" and len(parts) == 3 and parts[2] == "exempt_under_years":
            out.append(f"{parts[1]} test {_age_exemption(new)} (was {_age_exemption(old)})")
        elif parts[0] == "destinations" and len(parts) == 3 and parts[2] == "vaccinated_exempt":
            out.append(f"{parts[1]} test {'no longer ' if not new else ''}waived for the vaccinated")
        elif parts[0] == "destinations" and len(parts) == 3 and parts[2] == "test":
            out.append(f"{parts[1]} {'no entry test' if new == 'none' else f'{new} test'} (was "
                       f"{'none' if old == 'none' else old})")
        elif key == "seating.distancing":
            out.append(f"distancing {'+'.join(old or []) or 'none'} -> {'+'.join(new or []) or 'none'}")
        elif key == "escorts.operational_per_passengers":
            out.append(f"one operational escort per {new} passengers (was {old})")
        elif parts[0] == "weights":
            if "priority weights changed" not in out:
                out.append("priority weights changed")
        else:
            out.append(f"{key} {_short(old)} -> {_short(new)}")
    return out


def _age_exemption(years: Any) -> str:
    return f"waived under {years} years" if years else "required at every age"


def _short(v: Any) -> str:
    if v is None:
        return "unset"
    if isinstance(v, list):
        return "+".join(map(str, v)) or "none"
    return str(v)


def scenario_changes(base: Scenario, other: Scenario) -> list[str]:
    """What differs between two scenarios, as short phrases: flights per destination, moved flights, aircraft,
    lab capacity and hours, escorts and the protocol."""
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
    ea, eb = {e.id for e in base.escorts}, {e.id for e in other.escorts}
    if len(eb) != len(ea) or ea != eb:
        d = len(eb) - len(ea)
        out.append(f"{_signed(d)} escorts" if d else "other escorts")
    out += _protocol_changes(base, other)
    return out


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
    excluded = _excluded_people(pb) - _excluded_people(pa)
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


# ---------------------------------------------------------------- from paths (the CLI)


def read_input(path: str) -> tuple[str, Any]:
    """Classify a compare argument: ("plan", (plan, scenario)), ("variant", Variant) or ("scenario", Scenario)."""
    from planner.io.loading import InputIssue, ScenarioInputError, load_scenario
    from planner.whatif.variants import load_variant

    if "@" in path and path.split("@", 1)[0].endswith(".json"):
        plan_path, scenario_path = path.split("@", 1)
        try:
            plan = Plan.model_validate_json(Path(plan_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ScenarioInputError([InputIssue(Path(plan_path).name, None, "(file)",
                                                 f"not a readable plan: {exc}")]) from None
        return "plan", (plan, load_scenario(scenario_path))
    p = Path(path)
    if p.is_file() and p.suffix in (".yaml", ".yml") and p.name != "scenario.yaml":
        try:
            head = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            head = None
        if not (isinstance(head, dict) and head.get("format") == "charterplan.scenario/1"):
            return "variant", load_variant(p)
    return "scenario", load_scenario(p)


def compare_paths(paths: Sequence[str], time_limit: float = 30.0, processes: int = 2, seat: bool = True,
                  deadline: Deadline | None = None, stop: StopSignal | None = None,
                  on_progress: ProgressCallback | None = None) -> Comparison:
    """Compare variant files, scenario folders and solved plans (`PLAN.json@SCENARIO_DIR`).

    Variants and scenarios are solved in parallel, all within `time_limit` seconds of wall clock from the
    call (or the command's `deadline`), reading the inputs included; plans are taken as they are. Each solved
    input is reported through `on_progress` as it finishes. Columns keep the order of `paths`; the first is
    the reference.
    """
    import os

    from planner.io.loading import load_scenario
    from planner.pipeline.solve_many import PointJob, solve_many
    from planner.whatif.variants import Variant, VariantScenario, apply_variant

    deadline = deadline or Deadline.after(time_limit)
    items: list[tuple[str, Any]] = []
    to_solve: list[tuple[str, VariantScenario]] = []
    bases: dict[Path, Scenario] = {}
    slots: list[int] = []
    for i, path in enumerate(paths):
        kind, obj = read_input(path)
        if kind == "plan":
            plan, scenario = obj
            items.append((Path(path.split("@", 1)[0]).stem, (scenario, plan)))
            continue
        if kind == "variant":
            assert isinstance(obj, Variant)
            name = obj.name
            where = obj.base_path().resolve()
            if where not in bases:
                bases[where] = load_scenario(where)
            to_solve.append((name, apply_variant(bases[where], obj)))
        else:
            name = Path(path).name if Path(path).is_dir() else Path(path).parent.name
            to_solve.append((name, VariantScenario(obj, {})))
        items.append((name, None))
        slots.append(i)
    workers = max(1, (os.cpu_count() or 2) // max(1, min(processes, len(to_solve) or 1)))
    jobs = [PointJob(name, vs.scenario, vs.excluded, seat=seat, workers=workers) for name, vs in to_solve]

    def done(i: int, res: Any, count: int) -> None:
        if on_progress is not None:
            on_progress(point_progress(res, count, len(jobs), deadline))

    solved = solve_many(jobs, deadline, processes, stop, done) if jobs else []
    results: list[Result] = []
    by_slot = dict(zip(slots, [(vs.scenario, res.plan) for (_, vs), res in zip(to_solve, solved, strict=True)],
                       strict=True))
    for i, (name, ready) in enumerate(items):
        scenario, plan = ready if ready is not None else by_slot[i]
        results.append((name, scenario, plan))
    table = compare(results)
    table.invalid = invalid_points(solved)
    return table


def invalid_points(solved: Sequence[Any]) -> list[str]:
    """One line per solved point whose plan the validator rejected (a planner defect, never hidden)."""
    return [f"{res.name}: {len(res.violations)} violation(s), first: {res.violations[0]}"
            for res in solved if res.violations]


def point_progress(res: Any, done: int, total: int, deadline: Deadline) -> Progress:
    """How a finished point reads in the progress display."""
    plan = res.plan
    k = plan.kpis
    return Progress("points", plan.objective.level1_value, plan.objective.level1_bound, plan.objective.gap,
                    deadline.elapsed(), f"{done} of {total} done; {res.name}: moved {k.moved} of {k.people} "
                    f"({plan.status}, {res.seconds:.1f} s)", done=done, total=total,
                    limit=deadline.seconds if deadline.bounded else None)
