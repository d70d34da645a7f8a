"""Side-by-side comparison of solved variants: one column per variant, one row per KPI, and the differences
against the first column in words, so that a coordinator sees what a change buys (docs/what-if.md).

Every figure comes from the plan and its scenario (`Plan.kpis`, capacities read from the scenario and the
objective as `planner.oracle.objective` scores it), so plans from any source compare the same way.
`compare_paths` is what `charterplan compare A B ...` calls. The table lives in `compare_table`, its rows in
`compare_rows`, the differences in words in `compare_words`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from planner.model.options import Progress, ProgressCallback, StopSignal
from planner.model.plan import Plan
from planner.model.scenario import Scenario
from planner.pipeline.deadline import Deadline
from planner.whatif.compare_rows import compare
from planner.whatif.compare_table import Comparison, Result

if TYPE_CHECKING:
    from planner.whatif.variants import VariantScenario


def read_input(path: str) -> tuple[str, Any]:
    """Classify a compare argument: ("plan", (plan, scenario)), ("variant", Variant) or ("scenario", Scenario)."""
    from planner.io.loading import InputIssue, ScenarioInputError, load_scenario
    from planner.whatif.variant_files import load_variant

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


def _inputs(paths: Sequence[str]) -> tuple[list[tuple[str, Result | None]], list[tuple[str, VariantScenario]]]:
    """Each input by name (plans ready as they are), and the variants and scenarios to solve, in order."""
    from planner.io.loading import load_scenario
    from planner.whatif.variant_files import Variant
    from planner.whatif.variants import VariantScenario, apply_variant

    items: list[tuple[str, Result | None]] = []
    to_solve: list[tuple[str, VariantScenario]] = []
    bases: dict[Path, Scenario] = {}
    for path in paths:
        kind, obj = read_input(path)
        if kind == "plan":
            plan, scenario = obj
            name = Path(path.split("@", 1)[0]).stem
            items.append((name, (name, scenario, plan)))
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
    return items, to_solve


def compare_paths(paths: Sequence[str], time_limit: float = 30.0, processes: int = 2, seat: bool = True,
                  deadline: Deadline | None = None, stop: StopSignal | None = None,
                  on_progress: ProgressCallback | None = None) -> Comparison:
    """Compare variant files, scenario folders and solved plans (`PLAN.json@SCENARIO_DIR`).

    Variants and scenarios are solved in parallel, all within `time_limit` seconds of wall clock from the
    call (or the command's `deadline`), reading the inputs included; plans are taken as they are. Each solved
    input is reported through `on_progress` as it finishes. Columns keep the order of `paths`; the first is
    the reference.
    """
    from planner.pipeline.solve_many import PointJob, solve_many

    clock = deadline or Deadline.after(time_limit)
    items, to_solve = _inputs(paths)
    workers = max(1, (os.cpu_count() or 2) // max(1, min(processes, len(to_solve) or 1)))
    jobs = [PointJob(name, vs.scenario, vs.excluded, seat=seat, workers=workers) for name, vs in to_solve]

    def done(i: int, res: Any, count: int) -> None:
        if on_progress is not None:
            on_progress(point_progress(res, count, len(jobs), clock))

    solved = solve_many(jobs, clock, processes, stop, done) if jobs else []
    fresh = iter([(name, vs.scenario, res.plan) for (name, vs), res in zip(to_solve, solved, strict=True)])
    table = compare([ready if ready is not None else next(fresh) for _, ready in items])
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
