"""Read a scenario folder (docs/architecture.md#scenario-folder) and people files (docs/architecture.md#people-file),
reporting every input error at once.

Each error names the file, the row (1-based, the header is row 1) and the field. Nothing here raises a bare
exception on bad input: callers get a `ScenarioInputError` carrying the full list.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from planner.io.airports import airport
from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue, InputTooLarge, ScenarioInputError
from planner.io.input_limits import DEFAULT_LIMITS, InputLimits, check_size
from planner.io.people_table import cell_text as _cell_text
from planner.io.people_table import decode_text, read_people_table
from planner.io.safe_yaml import compose_yaml, load_yaml
from planner.model.scenario import Person, Scenario, ScenarioFile, local_date

__all__ = [
    "InputIssue",
    "InputLimits",
    "InputTooLarge",
    "ScenarioInputError",
    "_cell_text",
    "check_scenario",
    "load_people_file",
    "load_scenario",
    "parse_people",
    "parse_people_rows",
    "read_table",
    "read_yaml",
    "scenario_from_yaml",
]

PEOPLE_COLUMNS = list(Person.model_fields)
REQUIRED_COLUMNS = ["case_id", "household_id", "sex", "date_of_birth", "nationality", "destination", "location",
                    "consent", "document_type"]
BOOLEAN_COLUMNS = [name for name, f in Person.model_fields.items() if f.annotation in (bool, "bool")]
MAX_PEOPLE_ROWS = DEFAULT_LIMITS.max_rows


def _friendly(err: Mapping[str, Any]) -> str:
    """A pydantic error in words; any input it quotes is a short escaped excerpt (planner.io.excerpt)."""
    kind = err.get("type", "")
    shown = excerpt(err.get("input"))
    if kind == "timezone_aware":
        return "time has no timezone offset (write e.g. 2021-12-01T10:00:00+03:00)"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"not a date (YYYY-MM-DD): {shown}"
    if kind in ("datetime_from_date_parsing", "datetime_parsing", "datetime_type"):
        return f"not an ISO 8601 date-time: {shown}"
    if kind == "literal_error":
        return f"{shown} is not one of {str(err.get('ctx', {}).get('expected', ''))[:300]}"
    if kind in ("time_parsing", "time_type"):
        return f'not a time (write it in quotes as HH:MM, e.g. "08:00"): {shown}'
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required value is missing"
    if kind == "string_too_long" and isinstance(err.get("input"), str):
        return (f"at most {err.get('ctx', {}).get('max_length')} characters are allowed here; this value has "
                f"{len(err['input'])}")
    msg = str(err.get("msg", "invalid value"))[:300]
    return msg.removeprefix("Value error, ")


def _loc(err: Mapping[str, Any]) -> str:
    """A pydantic error location written like the cross-checks' fields: `flights[0].departure`."""
    out = ""
    for part in err.get("loc", ()):
        if part == "[key]":  # pydantic's marker for a mapping key that fails, e.g. row_layouts: {x: ...}
            out += " (key)"
        else:
            out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(file)"


# ---------------------------------------------------------------- people tables

def read_table(data: bytes, filename: str, limits: InputLimits = DEFAULT_LIMITS
               ) -> tuple[list[str], list[dict[str, str]]]:
    """Decode a CSV or XLSX people table into a header and string rows (planner.io.people_table, the one reader
    of the CLI and the service); raises ScenarioInputError."""
    return read_people_table(data, filename, limits)


def parse_people(header: list[str], rows: Iterable[dict[str, str]], filename: str
                 ) -> tuple[list[Person], list[InputIssue]]:
    """Turn string rows into Person models, collecting every row and field error."""
    numbered, issues = parse_people_rows(header, rows, filename)
    return [person for _, person in numbered], issues


def parse_people_rows(header: list[str], rows: Iterable[dict[str, str]], filename: str
                      ) -> tuple[list[tuple[int, Person]], list[InputIssue]]:
    """Like `parse_people`, but each person comes with its own row number, so later checks name the right row
    even when a case_id is repeated. Text that looks like a spreadsheet formula is refused by the Person model
    itself (planner.io.cell_rules), with the row and column."""
    issues: list[InputIssue] = []
    known = set(PEOPLE_COLUMNS)
    for column in header:
        if column and column not in known:
            issues.append(InputIssue(filename, 1, excerpt(column, 40) if not column.isprintable() or len(column) > 40
                                     else column, "unknown column"))
    for column in REQUIRED_COLUMNS:
        if column not in header:
            issues.append(InputIssue(filename, 1, column, "required column is missing"))
    if issues:
        return [], issues[:200]
    people: list[tuple[int, Person]] = []
    for count, raw in enumerate(rows):
        if count >= MAX_PEOPLE_ROWS:
            issues.append(InputIssue(filename, int(raw["__row__"]), "(file)",
                                     f"more than {MAX_PEOPLE_ROWS} rows; the limit is {MAX_PEOPLE_ROWS} people "
                                     "per file"))
            break
        row_no = int(raw["__row__"])
        if "__error__" in raw:
            issues.append(InputIssue(filename, row_no, "(row)", raw["__error__"]))
            continue
        values: dict[str, Any] = {}
        for key, text in raw.items():
            if key.startswith("__") or key not in known:
                continue
            text = (text or "").strip()
            if text == "":
                continue
            if key in BOOLEAN_COLUMNS:
                low = text.lower()
                if low not in ("yes", "no", "true", "false", "y", "n", "1", "0"):
                    issues.append(InputIssue(filename, row_no, key, f"expected yes or no, got {excerpt(text)}"))
                    continue
                values[key] = low in ("yes", "true", "y", "1")
            elif key == "vulnerabilities":
                values[key] = [c.strip() for c in text.split(";") if c.strip()]
            else:
                values[key] = text
        try:
            people.append((row_no, Person.model_validate(values)))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err.get("loc") else "(row)"
                issues.append(InputIssue(filename, row_no, field, _friendly(err)))
    return people, issues


def load_people_file(path: Path, limits: InputLimits = DEFAULT_LIMITS, name: str | None = None
                     ) -> tuple[list[Person], list[InputIssue], list[int]]:
    """Read a people file; also return each person's row number (same order) for later cross-checks."""
    return people_from_table(lambda: read_people_table(path, name or path.name, limits), name or path.name)


def people_from_table(read: Callable[[], tuple[list[str], list[dict[str, str]]]], name: str
                      ) -> tuple[list[Person], list[InputIssue], list[int]]:
    """Parse the table `read` returns; its input errors become issues (the size limits included)."""
    try:
        header, rows = read()
    except ScenarioInputError as exc:
        return [], exc.issues, []
    numbered, issues = parse_people_rows(header, rows, name)
    return [person for _, person in numbered], issues, [row for row, _ in numbered]


# ---------------------------------------------------------------- scenario folder

def parse_yaml(text: str, name: str) -> Any:
    """A YAML text's content under the safe loader's rules (no anchors or aliases: planner.io.safe_yaml); bad
    YAML is a ScenarioInputError naming the file and line."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(mark, "line", None)
        problem = str(getattr(exc, "problem", None) or exc)[:200]
        raise ScenarioInputError([InputIssue(name, None if line is None else line + 1, "(file)",
                                             f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise ScenarioInputError([InputIssue(name, None, "(file)", "not valid YAML: nested too deeply")]) from None


def read_yaml_text(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> str:
    """A YAML file's text, within the size limit; a missing or unreadable file is a ScenarioInputError."""
    try:
        if not path.is_file():
            raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"not found: {path}")])
        check_size(path.name, path.stat().st_size, limits.max_yaml_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"cannot read: {exc.strerror}")]) from None
    return decode_text(data, path.name)


def read_yaml(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> Any:
    """A YAML file's content (scenario, variant, sweep or events file); errors name the file and line."""
    return parse_yaml(read_yaml_text(path, limits), path.name)


class YamlLines:
    """Line numbers of the values in a YAML text, looked up by an issue's field path (`flights[0].departure`
    or pydantic's `flights.0.departure`), so scenario errors point at a line rather than just a key."""

    def __init__(self, text: str):
        try:
            self.root: yaml.Node | None = compose_yaml(text)
        except (yaml.YAMLError, RecursionError):
            self.root = None

    def line(self, field: str) -> int | None:
        """1-based line of the deepest node the path reaches; None when not even the first key is found."""
        node, found = self.root, None
        for part in re.findall(r"[^.\[\]\s]+", field):
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                node = node.value[int(part)]
            else:
                node = None
            if node is None:
                break
            found = node.start_mark.line + 1
        return found


@dataclass(frozen=True)
class Broken:
    """What partial validation left out of a scenario, so cross-checks skip what depends on it instead of
    crashing on it or repeating its errors as unknown references."""

    sites: frozenset[str] = frozenset()  # ids of testing sites dropped for errors
    aircraft: frozenset[str] = frozenset()  # types of scenario aircraft dropped for errors
    fields: frozenset[str] = frozenset()  # top-level keys replaced by placeholders (as_of, timezone, name)


#: Top-level lists whose items are dropped one by one when they have errors, and each item's key.
_ITEM_KEYS = {"testing_sites": "id", "escorts": "id", "aircraft": "type", "flights": "id"}
#: Stand-ins for required or timezone-bearing keys that failed, so the other checks can still run.
_PLACEHOLDERS: dict[str, Any] = {"name": "(invalid)", "as_of": "2000-01-01T00:00:00+00:00", "timezone": "UTC"}


def _validate_partially(raw: dict[str, Any]) -> tuple[ScenarioFile | None, list[dict[str, Any]], Broken]:
    """Validate scenario.yaml; on errors, drop the failing parts and validate the rest, so that every schema
    error is reported and the remaining checks still run. Returns None when nothing sensible is left."""
    try:
        return ScenarioFile.model_validate(raw), [], Broken()
    except ValidationError as exc:
        errors = exc.errors()
    pruned = copy.deepcopy(raw)
    drop_items: set[tuple[str, int]] = set()
    sites: set[str] = set()
    aircraft: set[str] = set()
    fields: set[str] = set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if not loc:
            return None, errors, Broken()
        if err.get("type") == "extra_forbidden":
            _delete(pruned, loc)
        elif loc[0] in _ITEM_KEYS and len(loc) >= 2 and isinstance(loc[1], int):
            drop_items.add((str(loc[0]), loc[1]))
            item = raw[loc[0]][loc[1]]
            key = item.get(_ITEM_KEYS[str(loc[0])]) if isinstance(item, dict) else None
            if isinstance(key, str):
                {"testing_sites": sites, "aircraft": aircraft}.get(str(loc[0]), set()).add(key)
        elif loc[0] == "protocol" and len(loc) >= 2:
            _delete(pruned, loc[:3] if loc[1] == "destinations" and len(loc) >= 3 else loc[:2])
        elif loc[0] in _PLACEHOLDERS:
            pruned[str(loc[0])] = _PLACEHOLDERS[str(loc[0])]
            fields.add(str(loc[0]))
        else:
            _delete(pruned, loc[:1])
    for section, index in sorted(drop_items, reverse=True):
        del pruned[section][index]
    try:
        head = ScenarioFile.model_validate(pruned)
    except ValidationError:
        head = None
    return head, errors, Broken(frozenset(sites), frozenset(aircraft), frozenset(fields))


def _delete(data: Any, loc: tuple[Any, ...]) -> None:
    """Remove the value at `loc` from nested dicts and lists, if it is there."""
    *parents, last = loc
    for part in parents:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(data, dict):
        data.pop(last, None)
        data.pop(str(last), None)


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
    head, errors, broken = _validate_partially(raw)
    issues = [InputIssue(yname, None, _loc(e), _friendly(e)) for e in errors]
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


def check_scenario(scenario: Scenario, yname: str = "scenario.yaml", pname: str = "people.csv",
                   rows: Mapping[str, int] | Sequence[int | None] | None = None,
                   broken: Broken | None = None) -> list[InputIssue]:
    """Cross-field and cross-file checks that a single row or key cannot see.

    `rows` gives the people file rows: a list parallel to `scenario.people` (exact, even for a repeated
    case_id) or, for older callers, a mapping from case_id to row. `broken` names what partial loading left
    out, so checks that depend on it are skipped rather than reported twice.
    """
    broken = broken or Broken()
    issues: list[InputIssue] = []
    add = issues.append

    def tz_ok(name: str, where: str) -> bool:
        try:
            ZoneInfo(name)
            return True
        except (ZoneInfoNotFoundError, ValueError):
            add(InputIssue(yname, None, where, f"unknown timezone {name!r}"))
            return False

    scenario_tz = scenario.timezone if "timezone" not in broken.fields and tz_ok(scenario.timezone, "timezone") \
        else None
    for code in scenario.protocol.destinations:
        if airport(code) is None:
            add(InputIssue(yname, None, f"protocol.destinations.{code}", f"unknown airport code {code!r}"))
    site_ids = _check_sites(scenario, yname, scenario_tz, tz_ok, add)
    _check_escorts(scenario, yname, site_ids | broken.sites, add)
    _check_fleet(scenario, yname, broken, add)
    if "as_of" in broken.fields:
        today = None
    elif scenario_tz is not None:
        today = local_date(scenario.as_of, scenario_tz)
    else:
        today = scenario.as_of.date()  # the date as written in as_of, when the timezone is unknown
    _check_people(scenario, pname, rows, today, site_ids | broken.sites, add)
    return issues


def _check_sites(scenario: Scenario, yname: str, scenario_tz: str | None,
                 tz_ok: Callable[[str, str], bool], add: Callable[[InputIssue], None]) -> set[str]:
    """Site ids, hours and explicit slots; slots are checked against the hours only in a valid timezone."""
    site_ids: set[str] = set()
    for i, site in enumerate(scenario.testing_sites):
        where = f"testing_sites[{i}]"
        if site.id in site_ids:
            add(InputIssue(yname, None, f"{where}.id", f"duplicate testing site id {site.id!r}"))
        site_ids.add(site.id)
        if site.timezone:
            zone_name = site.timezone if tz_ok(site.timezone, f"{where}.timezone") else None
        else:
            zone_name = scenario_tz
        if site.close <= site.open:
            add(InputIssue(yname, None, f"{where}.close", "closing time is not after opening time"))
        if site.days.to < site.days.from_:
            add(InputIssue(yname, None, f"{where}.days", "'to' is before 'from'"))
        site_tz = ZoneInfo(zone_name) if zone_name else None
        for j, slot in enumerate(site.slots or []):
            if slot.end <= slot.start:
                add(InputIssue(yname, None, f"{where}.slots[{j}]", "slot ends before it starts"))
                continue
            if site_tz is None:
                continue
            start, end = slot.start.astimezone(site_tz), slot.end.astimezone(site_tz)
            if not site.days.contains(start.date()) or start.time() < site.open or end.time() > site.close \
                    or end.date() != start.date():
                add(InputIssue(yname, None, f"{where}.slots[{j}]",
                               f"slot {start:%Y-%m-%d %H:%M}-{end:%H:%M} is outside the site's days or hours "
                               f"({site.days.from_}..{site.days.to}, {site.open:%H:%M}-{site.close:%H:%M})"))
    return site_ids


def _check_escorts(scenario: Scenario, yname: str, site_ids: set[str] | frozenset[str],
                   add: Callable[[InputIssue], None]) -> None:
    escort_ids: set[str] = set()
    for i, esc in enumerate(scenario.escorts):
        if esc.id in escort_ids:
            add(InputIssue(yname, None, f"escorts[{i}].id", f"duplicate escort id {esc.id!r}"))
        escort_ids.add(esc.id)
        if esc.available is not None and esc.available.to < esc.available.from_:
            add(InputIssue(yname, None, f"escorts[{i}].available", "'to' is before 'from'"))
        if esc.testing_site is not None and esc.testing_site not in site_ids:
            add(InputIssue(yname, None, f"escorts[{i}].testing_site", f"unknown testing site {esc.testing_site!r}"))


def _check_fleet(scenario: Scenario, yname: str, broken: Broken, add: Callable[[InputIssue], None]) -> None:
    """Each scenario aircraft builds (a repeated type would be shadowed, so it is an error); each flight's
    aircraft, airports, blocked seats and stop times."""
    from planner.seating.seatmaps import SeatMapError, build_seat_map, check_flight_seats, resolve_aircraft

    aircraft_types: set[str] = set()
    for i, ac in enumerate(scenario.aircraft):
        if ac.type in aircraft_types:
            add(InputIssue(yname, None, f"aircraft[{i}].type",
                           f"duplicate aircraft type {ac.type!r}; each type is defined once"))
        try:
            build_seat_map(ac)
        except SeatMapError as exc:
            for msg in exc.problems:
                add(InputIssue(yname, None, f"aircraft[{i}]", msg))
        aircraft_types.add(ac.type)

    flight_ids: set[str] = set()
    for i, fl in enumerate(scenario.flights):
        where = f"flights[{i}]"
        if fl.id in flight_ids:
            add(InputIssue(yname, None, f"{where}.id", f"duplicate flight id {fl.id!r}"))
        flight_ids.add(fl.id)
        if airport(fl.origin) is None:
            add(InputIssue(yname, None, f"{where}.origin", f"unknown airport code {fl.origin!r}"))
        if fl.aircraft not in aircraft_types and fl.aircraft not in broken.aircraft:
            try:
                resolve_aircraft(fl.aircraft, scenario)
            except SeatMapError:
                add(InputIssue(yname, None, f"{where}.aircraft",
                               f"unknown aircraft type {fl.aircraft!r} (not in the scenario nor the library)"))
        try:
            for msg in check_flight_seats(resolve_aircraft(fl.aircraft, scenario), fl):
                add(InputIssue(yname, None, f"{where}.blocked_seats", msg))
        except SeatMapError:
            pass  # reported above, as an unknown type or as the type's own errors
        previous = fl.departure
        for j, stop in enumerate(fl.stops):
            if airport(stop.airport) is None:
                add(InputIssue(yname, None, f"{where}.stops[{j}].airport", f"unknown airport code {stop.airport!r}"))
            if stop.arrival <= previous:
                add(InputIssue(yname, None, f"{where}.stops[{j}].arrival",
                               "arrives before it departs" if j == 0 else "arrives before the previous stop"))
            previous = stop.arrival


def _check_people(scenario: Scenario, pname: str, rows: Mapping[str, int] | Sequence[int | None] | None,
                  today: date | None, site_ids: set[str] | frozenset[str],
                  add: Callable[[InputIssue], None]) -> None:
    """Cross-row checks: repeated case_ids, airports, birth dates (when `today` is known), one destination
    per household, testing sites. Proxy consent without a justification is not an input error: the consent
    gate refuses it (docs/rules.md#consent)."""
    seen: dict[str, int | None] = {}
    household_dest: dict[str, tuple[str, str]] = {}
    for index, p in enumerate(scenario.people):
        if rows is None:
            row = None
        elif isinstance(rows, Mapping):
            row = rows.get(p.case_id)
        else:
            row = rows[index] if index < len(rows) else None
        if p.case_id in seen:
            first_row = seen[p.case_id]
            also = f" (also in row {first_row})" if first_row is not None else ""
            add(InputIssue(pname, row, "case_id", f"duplicate case_id {excerpt(p.case_id)}{also}"))
        else:
            seen[p.case_id] = row
        if airport(p.destination) is None:
            add(InputIssue(pname, row, "destination", f"unknown airport code {p.destination!r}"))
        if today is not None and p.date_of_birth > today:
            add(InputIssue(pname, row, "date_of_birth", f"birth date {p.date_of_birth} is after {today}"))
        first = household_dest.setdefault(p.household_id, (p.destination, p.case_id))
        if first[0] != p.destination:
            add(InputIssue(pname, row, "destination",
                           f"household {p.household_id} has members flying to {first[0]} ({first[1]}) "
                           f"and {p.destination}; a household travels together"))
        if p.testing_site is not None and p.testing_site not in site_ids:
            add(InputIssue(pname, row, "testing_site", f"unknown testing site {p.testing_site!r}"))
