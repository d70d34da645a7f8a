"""Read a scenario folder (DESIGN §4.2) and people files (§4.1), reporting every input error at once.

Each error names the file, the row (1-based, the header is row 1) and the field. Nothing here raises a bare
exception on bad input: callers get a `ScenarioInputError` carrying the full list.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from planner.airports import airport
from planner.scenario import Person, Scenario, ScenarioFile, local_date

PEOPLE_COLUMNS = list(Person.model_fields)
REQUIRED_COLUMNS = ["case_id", "household_id", "sex", "date_of_birth", "nationality", "destination", "location",
                    "consent", "document_type"]
BOOLEAN_COLUMNS = [name for name, f in Person.model_fields.items() if f.annotation in (bool, "bool")]
MAX_PEOPLE_ROWS = 200_000


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input file; `row` is the table row, or the line in a YAML file, when known."""

    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        kind = "line" if self.file.lower().endswith((".yaml", ".yml")) else "row"
        where = self.file + (f", {kind} {self.row}" if self.row is not None else "")
        return f"{where}, {self.field}: {self.message}"


class ScenarioInputError(Exception):
    """Raised with every problem found in an input; `issues` lists them in file order."""

    def __init__(self, issues: list[InputIssue]):
        self.issues = issues
        super().__init__(f"{len(issues)} input error(s):\n" + "\n".join(f"  {i}" for i in issues[:200]))


def _friendly(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "timezone_aware":
        return "time has no timezone offset (write e.g. 2021-12-01T10:00:00+03:00)"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"not a date (YYYY-MM-DD): {err.get('input')!r}"
    if kind in ("datetime_from_date_parsing", "datetime_parsing", "datetime_type"):
        return f"not an ISO 8601 date-time: {err.get('input')!r}"
    if kind == "literal_error":
        return f"{err.get('input')!r} is not one of {err.get('ctx', {}).get('expected', '')}"
    if kind in ("time_parsing", "time_type"):
        return f'not a time (write it in quotes as HH:MM, e.g. "08:00"): {err.get("input")!r}'
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required value is missing"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _loc(err: dict[str, Any]) -> str:
    """A pydantic error location written like the cross-checks' fields: `flights[0].departure`."""
    out = ""
    for part in err.get("loc", ()):
        if part == "[key]":  # pydantic's marker for a mapping key that fails, e.g. row_layouts: {x: ...}
            out += " (key)"
        else:
            out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(file)"


# ---------------------------------------------------------------- people tables

def read_table(data: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """Decode a CSV or XLSX people table into a header and string rows; raises ScenarioInputError."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV"
        raise ScenarioInputError([InputIssue(filename, None, "(file)", message)]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioInputError([InputIssue(filename, reader.line_num, "(file)", f"malformed CSV: {exc}")]) from None
    if not rows:
        raise ScenarioInputError([InputIssue(filename, 1, "(header)", "the file is empty")])
    header = [h.strip() for h in rows[0]]
    nul_cells = [InputIssue(filename, number, header[col] if col < len(header) else f"column {col + 1}",
                            "contains a NUL character; is this a binary file saved as CSV?")
                 for number, values in enumerate(rows, start=1) for col, value in enumerate(values)
                 if "\x00" in value]
    if nul_cells:
        raise ScenarioInputError(nul_cells)
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        row = {"__row__": str(number), **dict(zip(header, values, strict=False))}
        if len(values) > len(header):
            row["__error__"] = f"{len(values)} values but the header has {len(header)} columns"
        out.append(row)
    return header, out


def _read_xlsx(data: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """The first worksheet as a header and string rows, exactly as openpyxl's values would give them, but
    streamed by `planner.xlsx_reader` (openpyxl's read-only mode took most of a large import's time)."""
    import zipfile

    from planner.xlsx_reader import FirstSheet, WorkbookError, column_letters

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ScenarioInputError([InputIssue(filename, None, "(file)", "not a valid XLSX workbook")]) from None
    with archive:
        expanded = sum(i.file_size for i in archive.infolist())
        if expanded > 200 * 1024 * 1024:
            raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                                 f"workbook expands to {expanded // 2**20} MiB; the limit is 200 MiB")])
        try:
            sheet = FirstSheet(archive)
            rows_iter = sheet.rows()
            first = next(rows_iter, None)
            if first is None:
                raise ScenarioInputError([InputIssue(filename, 1, "(header)", "the sheet is empty")])
            if first[0] == 1:
                header_values: list[Any] = first[1]
            else:  # no row 1: an empty header, and the first stored row is data
                header_values = [None] * (sheet.width or 0)
                rows_iter = itertools.chain([first], rows_iter)
            header = [str(h).strip() if h is not None else "" for h in header_values]
            out = []
            for number, values in rows_iter:
                cells = [v if type(v) is str else "" if v is None else _cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                out.append({"__row__": str(number), **dict(zip(header, cells, strict=False))})
        except WorkbookError as exc:
            raise ScenarioInputError([InputIssue(filename, None, "(file)", f"cannot read workbook: {exc}")]) from None
    if sheet.problems:
        raise ScenarioInputError([
            InputIssue(filename, p.row, header[p.column - 1] if p.column <= len(header) and header[p.column - 1]
                       else f"column {column_letters(p.column)}", f"cell {p.ref}: {p.message}")
            for p in sheet.problems])
    return header, out


def _cell_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_people(header: list[str], rows: Iterable[dict[str, str]], filename: str
                 ) -> tuple[list[Person], list[InputIssue]]:
    """Turn string rows into Person models, collecting every row and field error."""
    numbered, issues = parse_people_rows(header, rows, filename)
    return [person for _, person in numbered], issues


def parse_people_rows(header: list[str], rows: Iterable[dict[str, str]], filename: str
                      ) -> tuple[list[tuple[int, Person]], list[InputIssue]]:
    """Like `parse_people`, but each person comes with its own row number, so later checks name the right row
    even when a case_id is repeated."""
    issues: list[InputIssue] = []
    known = set(PEOPLE_COLUMNS)
    for column in header:
        if column and column not in known:
            issues.append(InputIssue(filename, 1, column, "unknown column"))
    for column in REQUIRED_COLUMNS:
        if column not in header:
            issues.append(InputIssue(filename, 1, column, "required column is missing"))
    if issues:
        return [], issues
    people: list[tuple[int, Person]] = []
    for count, raw in enumerate(rows):
        if count >= MAX_PEOPLE_ROWS:
            issues.append(InputIssue(filename, int(raw["__row__"]), "(file)",
                                     f"more than {MAX_PEOPLE_ROWS} people in one file"))
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
                    issues.append(InputIssue(filename, row_no, key, f"expected yes or no, got {text!r}"))
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


def load_people_file(path: Path) -> tuple[list[Person], list[InputIssue], list[int]]:
    """Read a people file; also return each person's row number (same order) for later cross-checks."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [InputIssue(name, None, "(file)", f"cannot read: {exc.strerror}")], []
    try:
        header, rows = read_table(data, name)
    except ScenarioInputError as exc:
        return [], exc.issues, []
    numbered, issues = parse_people_rows(header, rows, name)
    return [person for _, person in numbered], issues, [row for row, _ in numbered]


# ---------------------------------------------------------------- scenario folder

def read_yaml(path: Path) -> Any:
    """A YAML file's content; a missing file or bad YAML is a ScenarioInputError naming the file and line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"not found: {path}")]) from None
    except OSError as exc:
        raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ScenarioInputError([InputIssue(path.name, None, "(file)", "not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ScenarioInputError([InputIssue(path.name, None if line is None else line + 1, "(file)",
                                             f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None


class YamlLines:
    """Line numbers of the values in a YAML text, looked up by an issue's field path (`flights[0].departure`
    or pydantic's `flights.0.departure`), so scenario errors point at a line rather than just a key."""

    def __init__(self, text: str):
        try:
            self.root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
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


def load_scenario(folder: str | Path) -> Scenario:
    """Load and check `scenario.yaml` and its people file; raise ScenarioInputError listing every problem.

    A schema error in scenario.yaml does not stop the people file from being read and checked: all errors of
    both files come in one report.
    """
    folder = Path(folder)
    yaml_path = folder / "scenario.yaml" if folder.is_dir() else folder
    folder = yaml_path.parent
    yname = yaml_path.name
    raw = read_yaml(yaml_path)
    if not isinstance(raw, dict):
        raise ScenarioInputError([InputIssue(yname, None, "(file)", "expected a mapping at the top level")])
    head, errors, broken = _validate_partially(raw)
    issues = [InputIssue(yname, None, _loc(e), _friendly(e)) for e in errors]
    people_name = raw.get("people", "people.csv")
    people: list[Person] = []
    rows: list[int] = []
    pname = "people.csv"
    if isinstance(people_name, str) and people_name:
        people_path = folder / people_name
        pname = people_path.name
        people, people_issues, rows = load_people_file(people_path)
        issues += people_issues
    scenario = None
    if head is not None:
        scenario = Scenario.model_validate({**head.model_dump(by_alias=True, exclude={"people"}), "people": []})
        scenario.people = people
        issues += check_scenario(scenario, yname, pname, rows, broken=broken)
    if issues or scenario is None:
        lines = YamlLines(yaml_path.read_text(encoding="utf-8"))
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
    from planner.seatmaps import SeatMapError, build_seat_map, check_flight_seats, resolve_aircraft

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
    gate refuses it (DESIGN §3.1)."""
    seen: set[str] = set()
    household_dest: dict[str, tuple[str, str]] = {}
    for index, p in enumerate(scenario.people):
        if rows is None:
            row = None
        elif isinstance(rows, Mapping):
            row = rows.get(p.case_id)
        else:
            row = rows[index] if index < len(rows) else None
        if p.case_id in seen:
            add(InputIssue(pname, row, "case_id", f"duplicate case_id {p.case_id!r}"))
        seen.add(p.case_id)
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
