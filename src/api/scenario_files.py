"""Scenario folders in and out of the service: the same files the CLI reads (DESIGN §4.2, §5.1)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import yaml

from planner.scenario import Person, Scenario


def write_folder(scenario: Scenario, folder: Path) -> None:
    """Write scenario.yaml and people.csv; uses the planner's writer when it is there."""
    try:
        from planner.writing import write_scenario  # type: ignore[import-not-found]
    except ImportError:
        _write_folder(scenario, folder)
    else:
        write_scenario(scenario, folder)


def _write_folder(scenario: Scenario, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    head = scenario.model_dump(mode="json", by_alias=True, exclude={"people"}, exclude_none=True)
    head["people"] = "people.csv"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(head, sort_keys=False, allow_unicode=True), "utf-8")
    (folder / "people.csv").write_bytes(people_csv(scenario.people))


def people_csv(people: list[Person]) -> bytes:
    columns = list(Person.model_fields)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for person in people:
        writer.writerow([_cell(getattr(person, c)) for c in columns])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def zip_folder(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


def find_scenario_yaml(root: Path) -> Path | None:
    """The archive may hold the files at its top or inside one folder."""
    direct = root / "scenario.yaml"
    if direct.is_file():
        return direct
    found = sorted(root.glob("*/scenario.yaml"))
    return found[0] if len(found) == 1 else None
