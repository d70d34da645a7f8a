"""Parameter sweeps (docs/architecture.md#sweep-files): a grid of variant patches, every point solved in parallel into
one
table, e.g. "number of charters 1..6 × lab capacity ×0.5..2".

A `charterplan.sweep/1` file names a base (a scenario folder or a variant file), an optional patch common to
every point, and parameters: dotted paths into a variant document, each with a list of values. Sweeps run
allocation and tests only (seating is represented by the capacity model), the time limit is wall clock for
the whole sweep (reading the base included), shared between the points as they start (planner.pipeline.solve_many),
and the table reports each point's gap, so nobody reads solver noise as an effect of the parameter.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, PrivateAttr, ValidationError

from planner.io.input_errors import InputIssue, ScenarioInputError
from planner.io.loading import load_scenario
from planner.io.spreadsheet import safe_cell
from planner.io.yaml_files import read_yaml
from planner.model.fields import Model
from planner.model.options import ProgressCallback, StopSignal
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline
from planner.pipeline.solve_many import PointJob, planned_share, solve_many
from planner.whatif.compare import invalid_points, point_progress
from planner.whatif.compare_capacity import flight_seats
from planner.whatif.compare_rows import compare
from planner.whatif.compare_table import Comparison, Result
from planner.whatif.variant_files import VARIANT_FORMAT, Variant, load_variant, parse_variant, variant_issues
from planner.whatif.variants import apply_variant

SWEEP_FORMAT: Final = "charterplan.sweep/1"

#: Short parameter names for the usual questions; anything else is a dotted path into a variant document.
ALIASES: dict[str, tuple[str, ...]] = {
    "lab.daily_capacity_scale": ("testing_sites.scale.daily_capacity",),
    "lab.capacity_per_slot_scale": ("testing_sites.scale.capacity_per_slot",),
    "lab.capacity_scale": ("testing_sites.scale.daily_capacity", "testing_sites.scale.capacity_per_slot"),
    "flights": ("flights.keep_first",),
}

Value = int | float | str | None


class SweepSpec(Model):
    format: Literal["charterplan.sweep/1"] = SWEEP_FORMAT
    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1)  # scenario folder or variant file, relative to the sweep file
    patch: dict[str, Any] = Field(default_factory=dict)  # variant body shared by every point
    parameters: dict[str, Any] = Field(min_length=1)  # dotted path (or nested mapping) -> list of values

    _source: Path | None = PrivateAttr(default=None)

    def label(self) -> str:
        return self._source.name if self._source is not None else f"sweep {self.name!r}"

    def base_path(self) -> Path:
        base = Path(self.base)
        if base.is_absolute():
            return base
        return (self._source.parent if self._source is not None else Path.cwd()) / base

    def grid(self) -> list[tuple[str, list[Any]]]:
        """Parameters as (dotted path, values), in file order; nested mappings are flattened."""
        out: list[tuple[str, list[Any]]] = []

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else str(key), value)
            else:
                out.append((prefix, node))

        walk("", self.parameters)
        return out


def load_sweep(path: str | Path) -> SweepSpec:
    path = Path(path)
    spec = parse_sweep(read_yaml(path), path.name)
    spec._source = path.resolve()
    return spec


def parse_sweep(data: Any, label: str = "sweep") -> SweepSpec:
    if not isinstance(data, dict):
        raise ScenarioInputError([InputIssue(label, None, "(file)", "expected a mapping at the top level")])
    if data.get("format") != SWEEP_FORMAT:
        raise ScenarioInputError([InputIssue(label, None, "format",
                                             f"expected {SWEEP_FORMAT!r}, got {data.get('format')!r}")])
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioInputError(variant_issues(label, exc)) from None
    issues = []
    for path, values in spec.grid():
        if not isinstance(values, list) or not values:
            issues.append(InputIssue(label, None, f"parameters.{path}", "expected a non-empty list of values"))
    if issues:
        raise ScenarioInputError(issues)
    return spec


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = doc
    for key in keys[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            nxt = node[key] = {}
        node = nxt
    node[keys[-1]] = value


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else value
    return out


def _short_names(paths: list[str]) -> list[str]:
    """The last part of each path, or the whole path where two would read the same."""
    last = [p.split(".")[-1] for p in paths]
    return [s if last.count(s) == 1 else p for s, p in zip(last, paths, strict=True)]


@dataclass
class Point:
    name: str
    values: dict[str, Any]  # parameter name -> value
    variant: Variant


def sweep_points(spec: SweepSpec, base_doc: dict[str, Any] | None = None) -> list[Point]:
    """Every point of the grid as a variant (first parameter varies slowest); invalid values raise
    ScenarioInputError naming the parameter."""
    grid = spec.grid()
    names = _short_names([p for p, _ in grid])
    start = _deep_merge(base_doc or {}, spec.patch)
    points = []
    for combo in itertools.product(*[values for _, values in grid]):
        doc = copy.deepcopy(start)
        for (path, _), value in zip(grid, combo, strict=True):
            for target in ALIASES.get(path, (path,)):
                _set(doc, target, value)
        name = ", ".join(f"{n}={v}" for n, v in zip(names, combo, strict=True))
        doc.update({"format": VARIANT_FORMAT, "name": name, "base": str(spec.base_path())})
        try:
            variant = parse_variant(doc, spec.label())
        except ScenarioInputError as exc:
            raise ScenarioInputError([InputIssue(i.file, i.row, f"parameters ({name}): {i.field}", i.message)
                                      for i in exc.issues]) from None
        points.append(Point(name, dict(zip(names, combo, strict=True)), variant))
    return points


@dataclass
class SweepTable:
    """One row per grid point: the parameter values, the KPIs, and the solver's gap at that point."""

    name: str
    parameters: list[str]
    columns: list[str]
    rows: list[dict[str, Value]]
    results: list[Result] = field(repr=False, default_factory=list)
    seconds: float = 0.0
    point_time_limit: float = 0.0
    invalid: list[str] = field(default_factory=list)  # points whose plan broke a hard rule (a defect)

    TEXT_COLUMNS = ("moved", "moved_share", "deferred", "charters_used", "escorts_used", "load_factor",
                    "lab_peak", "cleared_on", "level1_value", "gap", "status")

    def comparison(self) -> Comparison:
        """The full side-by-side table of the points (per flight, per day, differences in words)."""
        return compare(self.results)

    def to_text(self) -> str:
        cols = self.parameters + [c for c in self.TEXT_COLUMNS if c in self.columns]
        cells = [[_cell(c, row.get(c)) for c in cols] for row in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
        lines = [f"Sweep {self.name!r}: {len(self.rows)} points, {self.point_time_limit:g} s per point, "
                 f"{self.seconds:.1f} s in all",
                 "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([safe_cell(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([safe_cell(row.get(c)) for c in self.columns])
        return out.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "parameters": list(self.parameters), "columns": list(self.columns),
                "rows": [dict(r) for r in self.rows], "point_time_limit": self.point_time_limit}


def _cell(column: str, v: Value) -> str:
    if v is None:
        return "-"
    if column in ("moved_share", "load_factor", "lab_peak", "gap"):
        return f"{float(v):.1%}"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def kpi_row(scenario: Scenario, plan: Any) -> dict[str, Value]:
    k = plan.kpis
    seats = flight_seats(scenario)
    used = {f: n for f, n in k.seats_used_by_flight.items() if k.passengers_by_flight.get(f)}
    capacity = sum(seats.get(f, 0) for f in used)
    row: dict[str, Value] = {
        "moved": k.moved,
        "moved_share": round(k.moved / k.people, 4) if k.people else 0.0,
        "deferred": sum(k.households_deferred_by_reason.values()),
        "charters": sum(1 for f in scenario.flights if f.departure >= scenario.as_of),
        "charters_used": k.flights_used,
        "escorts_used": k.escorts_used,
        "seats_used": sum(k.seats_used_by_flight.values()),
        "load_factor": round(sum(used.values()) / capacity, 4) if capacity else None,
        "samples": len(plan.tests),
        "lab_peak": k.lab_peak_ratio,
        "cleared_on": k.cleared_on,
        "level1_value": plan.objective.level1_value,
        "level1_bound": plan.objective.level1_bound,
        "gap": plan.objective.gap,
        "status": plan.status,
    }
    for code, n in k.households_deferred_by_reason.items():
        row[f"deferred.{code}"] = n
    return row


def run_sweep(spec: SweepSpec | str | Path, time_limit: float = 60.0, processes: int = 2,
              deterministic: bool = False, mp_context: str | None = None, deadline: Deadline | None = None,
              stop: StopSignal | None = None, on_progress: ProgressCallback | None = None) -> SweepTable:
    """Solve every grid point (allocation and tests, no seating) in `processes` worker processes.

    The whole sweep ends within `time_limit` seconds from the call (or the command's `deadline`); each point
    gets its share when it starts, and is reported through `on_progress` when it finishes. CP-SAT gets one
    search worker per core left to each process. The base scenario is read once.
    """
    deadline = deadline or Deadline.after(time_limit)
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    base_path = spec.base_path()
    base_doc: dict[str, Any] = {}
    if base_path.is_file() and base_path.suffix in (".yaml", ".yml") and base_path.name != "scenario.yaml":
        variant = load_variant(base_path)
        base_doc = variant.model_dump(mode="json", by_alias=True, exclude_unset=True,
                                      exclude={"format", "name", "base", "description"})
        base_path = variant.base_path()
    base = load_scenario(base_path)
    spec = spec.model_copy(update={"base": str(base_path.resolve())})
    points = sweep_points(spec, base_doc)
    applied = [apply_variant(base, p.variant) for p in points]
    slots = max(1, min(processes, len(points)))
    workers = max(1, (os.cpu_count() or 2) // slots)
    jobs = [PointJob(p.name, vs.scenario, vs.excluded, seat=False, deterministic=deterministic, workers=workers)
            for p, vs in zip(points, applied, strict=True)]

    def done(i: int, res: Any, count: int) -> None:
        if on_progress is not None:
            on_progress(point_progress(res, count, len(jobs), deadline))

    solved = solve_many(jobs, deadline, processes, stop, done, mp_context)
    plans = [res.plan for res in solved]
    results: list[Result] = [(p.name, vs.scenario, plan) for p, vs, plan in zip(points, applied, plans, strict=True)]
    parameters = list(points[0].values)
    rows = [{**p.values, **kpi_row(vs.scenario, plan)} for p, vs, plan in zip(points, applied, plans, strict=True)]
    columns = _columns(parameters, rows)
    for row in rows:
        for c in columns:
            row.setdefault(c, 0 if c.startswith("deferred.") else None)
    per_point = planned_share(deadline, len(points), slots)
    return SweepTable(spec.name, parameters, columns, rows, results, deadline.elapsed(), per_point,
                      invalid_points(solved))


def _columns(parameters: Sequence[str], rows: list[dict[str, Value]]) -> list[str]:
    fixed = [c for c in rows[0] if c not in parameters and not c.startswith("deferred.")]
    reasons = sorted({c for r in rows for c in r if c.startswith("deferred.")})
    return [*parameters, *fixed, *reasons]
