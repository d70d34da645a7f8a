"""Read a scenario folder (DESIGN §4.2) and people files (§4.1), reporting every input error at once.

Each error names the file, the row (1-based, the header is row 1) and the field. Nothing here raises a bare
exception on bad input: callers get a `ScenarioInputError` carrying the full list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
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
    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
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
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required value is missing"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _loc(err: dict[str, Any]) -> str:
    return ".".join(str(p) for p in err.get("loc", ())) or "(file)"


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
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise ScenarioInputError([InputIssue(filename, None, "(file)", "not a valid XLSX workbook")]) from None
    if expanded > 200 * 1024 * 1024:
        raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                             f"workbook expands to {expanded // 2**20} MiB; the limit is 200 MiB")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on corrupt files
        raise ScenarioInputError([InputIssue(filename, None, "(file)", f"cannot read workbook: {exc}")]) from None
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header_row = next(rows_iter, None)
    if header_row is None:
        raise ScenarioInputError([InputIssue(filename, 1, "(header)", "the sheet is empty")])
    header = [str(h).strip() if h is not None else "" for h in header_row]
    out = []
    for number, values in enumerate(rows_iter, start=2):
        cells = ["" if v is None else _cell_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue
        out.append({"__row__": str(number), **dict(zip(header, cells, strict=False))})
    book.close()
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
    people: list[Person] = []
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
            people.append(Person.model_validate(values))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err.get("loc") else "(row)"
                issues.append(InputIssue(filename, row_no, field, _friendly(err)))
    return people, issues


def load_people_file(path: Path) -> tuple[list[Person], list[InputIssue], dict[str, int]]:
    """Read a people file; also return each case_id's row number for later cross-checks."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [InputIssue(name, None, "(file)", f"cannot read: {exc.strerror}")], {}
    try:
        header, rows = read_table(data, name)
    except ScenarioInputError as exc:
        return [], exc.issues, {}
    people, issues = parse_people(header, rows, name)
    return people, issues, {r.get("case_id", "").strip(): int(r["__row__"]) for r in rows}


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


def load_scenario(folder: str | Path) -> Scenario:
    """Load and check `scenario.yaml` and its people file; raise ScenarioInputError listing every problem."""
    folder = Path(folder)
    yaml_path = folder / "scenario.yaml" if folder.is_dir() else folder
    folder = yaml_path.parent
    yname = yaml_path.name
    raw = read_yaml(yaml_path)
    if not isinstance(raw, dict):
        raise ScenarioInputError([InputIssue(yname, None, "(file)", "expected a mapping at the top level")])
    try:
        head = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioInputError([InputIssue(yname, None, _loc(e), _friendly(e)) for e in exc.errors()]) from None
    people_path = folder / head.people
    people, issues, rows = load_people_file(people_path)
    scenario = Scenario.model_validate({**head.model_dump(by_alias=True, exclude={"people"}), "people": []})
    scenario.people = people
    issues += check_scenario(scenario, yname, people_path.name, rows)
    if issues:
        raise ScenarioInputError(issues)
    return scenario


def check_scenario(scenario: Scenario, yname: str = "scenario.yaml", pname: str = "people.csv",
                   rows: dict[str, int] | None = None) -> list[InputIssue]:
    """Cross-field and cross-file checks that a single row or key cannot see."""
    from planner.seatmaps import SeatMapError, check_flight_seats, resolve_aircraft

    rows = rows or {}
    issues: list[InputIssue] = []
    add = issues.append

    def tz_ok(name: str, where: str) -> bool:
        try:
            ZoneInfo(name)
            return True
        except (ZoneInfoNotFoundError, ValueError):
            add(InputIssue(yname, None, where, f"unknown timezone {name!r}"))
            return False

    tz_ok(scenario.timezone, "timezone")
    for code in scenario.protocol.destinations:
        if airport(code) is None:
            add(InputIssue(yname, None, f"protocol.destinations.{code}", f"unknown airport code {code!r}"))

    site_ids: set[str] = set()
    for i, site in enumerate(scenario.testing_sites):
        where = f"testing_sites[{i}]"
        if site.id in site_ids:
            add(InputIssue(yname, None, f"{where}.id", f"duplicate testing site id {site.id!r}"))
        site_ids.add(site.id)
        if site.timezone:
            tz_ok(site.timezone, f"{where}.timezone")
        if site.close <= site.open:
            add(InputIssue(yname, None, f"{where}.close", "closing time is not after opening time"))
        if site.days.to < site.days.from_:
            add(InputIssue(yname, None, f"{where}.days", "'to' is before 'from'"))
        site_tz = ZoneInfo(site.timezone or scenario.timezone) if not issues else None
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

    escort_ids: set[str] = set()
    for i, esc in enumerate(scenario.escorts):
        if esc.id in escort_ids:
            add(InputIssue(yname, None, f"escorts[{i}].id", f"duplicate escort id {esc.id!r}"))
        escort_ids.add(esc.id)
        if esc.testing_site is not None and esc.testing_site not in site_ids:
            add(InputIssue(yname, None, f"escorts[{i}].testing_site", f"unknown testing site {esc.testing_site!r}"))

    aircraft_types: set[str] = set()
    for i, ac in enumerate(scenario.aircraft):
        try:
            resolve_aircraft(ac.type, scenario)
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
        if fl.aircraft not in aircraft_types:
            try:
                resolve_aircraft(fl.aircraft, scenario)
            except SeatMapError:
                add(InputIssue(yname, None, f"{where}.aircraft",
                               f"unknown aircraft type {fl.aircraft!r} (not in the scenario nor the library)"))
        try:
            for msg in check_flight_seats(resolve_aircraft(fl.aircraft, scenario), fl):
                add(InputIssue(yname, None, f"{where}.blocked_seats", msg))
        except SeatMapError:
            pass  # reported above as an unknown aircraft type
        previous = fl.departure
        for j, stop in enumerate(fl.stops):
            if airport(stop.airport) is None:
                add(InputIssue(yname, None, f"{where}.stops[{j}].airport", f"unknown airport code {stop.airport!r}"))
            if stop.arrival <= previous:
                add(InputIssue(yname, None, f"{where}.stops[{j}].arrival",
                               "arrives before it departs" if j == 0 else "arrives before the previous stop"))
            previous = stop.arrival

    today = local_date(scenario.as_of, scenario.timezone) if scenario.timezone else scenario.as_of.date()
    seen: dict[str, str] = {}
    household_dest: dict[str, tuple[str, str]] = {}
    for p in scenario.people:
        row = rows.get(p.case_id)
        if p.case_id in seen:
            add(InputIssue(pname, row, "case_id", f"duplicate case_id {p.case_id!r}"))
        seen[p.case_id] = p.household_id
        if airport(p.destination) is None:
            add(InputIssue(pname, row, "destination", f"unknown airport code {p.destination!r}"))
        if p.date_of_birth > today:
            add(InputIssue(pname, row, "date_of_birth", f"birth date {p.date_of_birth} is after {today}"))
        first = household_dest.setdefault(p.household_id, (p.destination, p.case_id))
        if first[0] != p.destination:
            add(InputIssue(pname, row, "destination",
                           f"household {p.household_id} has members flying to {first[0]} ({first[1]}) "
                           f"and {p.destination}; a household travels together"))
        if p.testing_site is not None and p.testing_site not in site_ids:
            add(InputIssue(pname, row, "testing_site", f"unknown testing site {p.testing_site!r}"))
        if p.consent == "proxy" and not p.consent_note.strip():
            add(InputIssue(pname, row, "consent_note", "proxy consent needs a justification in consent_note"))
    return issues
