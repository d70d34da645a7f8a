"""Read a scenario folder (docs/architecture.md#scenario-folder) and the people file it names, reporting every
input error at once.

Each error names the file, the row (1-based, the header is row 1) or line, and the field. Nothing here raises
a bare exception on bad input: callers get a `ScenarioInputError` carrying the full list. The steps live in
their own modules: people files (planner.io.people_file), YAML files (planner.io.yaml_files), partial schema
validation (planner.io.partial_validation) and the cross-checks (planner.io.scenario_checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath

from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error, error_field
from planner.io.input_limits import DEFAULT_LIMITS, InputLimits
from planner.io.partial_validation import validate_partially
from planner.io.people_file import load_people_file
from planner.io.scenario_checks import check_scenario
from planner.io.yaml_files import YamlLines, parse_yaml, read_yaml_text
from planner.model.scenario import Person, Scenario

__all__ = [
    "InputIssue",
    "InputLimits",
    "PeopleResult",
    "ScenarioInputError",
    "check_scenario",
    "load_scenario",
    "parse_yaml",
    "people_inside",
    "scenario_from_yaml",
    "unsafe_reference",
]

PeopleResult = tuple[list[Person], list[InputIssue], list[int], str]


def load_scenario(folder: str | Path, *, people_file: str | Path | None = None,
                  limits: InputLimits = DEFAULT_LIMITS) -> Scenario:
    """Load and check `scenario.yaml` and its people file; raise ScenarioInputError listing every problem.

    The people file named in scenario.yaml must be inside the scenario folder (no absolute path, no `..`, no
    link leading out of it); `people_file` (a path the user gave on the command line) replaces it and may be
    anywhere. A schema error in scenario.yaml does not stop the people file from being read and checked: all
    errors of both files come in one report.
    """
    folder = Path(folder)
    yaml_path = folder / "scenario.yaml" if folder.is_dir() else folder
    folder = yaml_path.parent
    text = read_yaml_text(yaml_path, limits)

    def read_people(name: str) -> PeopleResult:
        if people_file is not None:
            path = Path(people_file)
        else:
            found = people_inside(folder, name)
            if isinstance(found, InputIssue):
                return [], [replace(found, file=yaml_path.name)], [], Path(name).name or "people.csv"
            path = found
        return (*load_people_file(path, limits), path.name)

    return scenario_from_yaml(text, yaml_path.name, read_people)


def unsafe_reference(name: str) -> str | None:
    """Why a file name in scenario.yaml may not be followed (absolute, a drive, `..`), or None."""
    if "\x00" in name or PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() \
            or PureWindowsPath(name).drive or name.startswith(("/", "\\")):
        return "is an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "leads out of the scenario folder (`..`)"
    return None


def people_inside(folder: Path, name: str) -> Path | InputIssue:
    """The people file `name` inside `folder`, or the issue why it may not be read (docs/input.md)."""
    why = unsafe_reference(name)
    path = folder / name
    if why is None:
        try:
            root = folder.resolve()
            if not path.resolve().is_relative_to(root):
                why = "leads out of the scenario folder (through a link)"
        except (OSError, RuntimeError):
            why = "cannot be resolved"
    if why is not None:
        return InputIssue("scenario.yaml", None, "people",
                          f"{excerpt(name)} {why}; the people file must be inside the scenario folder (or be "
                          "given on the command line)")
    return path


def scenario_from_yaml(text: str, yname: str, read_people: Callable[[str], PeopleResult]) -> Scenario:
    """Check a scenario.yaml text and the people file it names (read through `read_people`, which returns
    the people, their issues, their rows and the file's display name); the one assembly for folders and
    uploaded archives."""
    raw = parse_yaml(text, yname)
    if not isinstance(raw, dict):
        raise ScenarioInputError([InputIssue(yname, None, "(file)", "expected a mapping at the top level")])
    head, errors, broken = validate_partially(raw)
    issues = [InputIssue(yname, None, error_field(e), describe_error(e)) for e in errors]
    people_name = raw.get("people", "people.csv")
    people: list[Person] = []
    rows: list[int] = []
    pname = "people.csv"
    if isinstance(people_name, str) and people_name:
        people, people_issues, rows, pname = read_people(people_name)
        issues += people_issues
    scenario = None
    if head is not None:
        scenario = Scenario.model_validate({**head.model_dump(by_alias=True, exclude={"people"}), "people": []})
        scenario.people = people
        issues += check_scenario(scenario, yname, pname, rows, broken=broken)
    if issues or scenario is None:
        lines = YamlLines(text)
        raise ScenarioInputError([replace(i, row=lines.line(i.field)) if i.file == yname and i.row is None
                                  else i for i in issues])
    return scenario
