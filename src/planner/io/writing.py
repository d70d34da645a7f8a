"""Write a Scenario back to the scenario folder format (docs/architecture.md#people-file,
docs/architecture.md#scenario-folder).

The generator, the CLI and the service's scenario export all go through these functions, so a folder written
here loads back with `planner.io.loading.load_scenario` to an equal Scenario. The string builders are pure
(no files, no clock); only `write_scenario` touches the disk. Output is byte-stable: keys follow a fixed
order, times keep their offsets, and nothing depends on the environment.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from planner.io.cell_rules import neutralise_text
from planner.model.scenario import Person, Scenario

#: People file columns in docs/architecture.md#people-file order, with the optional `name_native` after the Latin names.
PEOPLE_COLUMNS: tuple[str, ...] = tuple(Person.model_fields)

#: Top-level keys of scenario.yaml in the order of docs/architecture.md#scenario-folder (`notes` is ours; it follows
#: the header).
SCENARIO_KEYS: tuple[str, ...] = ("format", "name", "timezone", "as_of", "notes", "people", "protocol",
                                  "testing_sites", "escorts", "aircraft", "flights")


# ---------------------------------------------------------------- people CSV

def _cell(value: Any) -> str:
    """One CSV cell: yes/no booleans, ISO dates and times, `;`-joined code lists, empty for missing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def people_to_csv(people: list[Person]) -> str:
    """The people file as UTF-8 CSV text (no BOM, RFC 4180 CRLF line ends), one row per person, in order.

    Text a spreadsheet would run as a formula gets a leading apostrophe (planner.io.cell_rules): import refuses
    such text, so only text stored before that rule is changed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PEOPLE_COLUMNS)
    for person in people:
        writer.writerow([neutralise_text(_cell(getattr(person, column))) for column in PEOPLE_COLUMNS])
    return out.getvalue()


# ---------------------------------------------------------------- scenario YAML

class _Quoted(str):
    """A string always written in double quotes (ISO times, clock times), so YAML never re-types it."""


class _Flow(dict[str, Any]):
    """A mapping written inline (`{a: 1, b: 2}`): used for short leaf records such as stops and sites."""


class _FlowList(list[Any]):
    """A list of scalars written inline (`[EBL, BGW]`)."""


class _Dumper(yaml.SafeDumper):
    """Safe dumper with our styles: quoted times, inline leaf records, literal blocks for multi-line text."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never write anchors and aliases (`&id001`, `*id001`): a shared date object must read as a date."""
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, lambda dumper, data: dumper.represent_scalar(
    "tag:yaml.org,2002:str", str(data), style='"'))
_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def _is_default_empty(model: BaseModel, name: str, value: Any) -> bool:
    """True when `value` is an empty default (None, "", [], {}) that the loader would restore by itself."""
    if value is None or value == "" or value == [] or value == {}:
        field = type(model).model_fields[name]
        default = field.get_default(call_default_factory=True)
        return bool(default == value)
    return False


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _plain(value: Any, in_list: bool = False) -> Any:
    """Turn a model tree into YAML-ready data: models as ordered mappings, dates plain, times quoted.

    A mapping is written inline when it holds only scalars, or when it is a list item (a site, an escort, a
    stop) holding nothing deeper than one more level; everything else is written as a block.
    """
    if isinstance(value, BaseModel):
        mapping: dict[str, Any] = {}
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            if _is_default_empty(value, name, item):
                continue
            mapping[field.alias or name] = item
        value = mapping
    if isinstance(value, dict):
        out = {key: _plain(item) for key, item in value.items()}
        depth = _depth(out)
        return _Flow(out) if depth == 1 or (in_list and depth == 2) else out
    if isinstance(value, (list, tuple)):
        items = [_plain(item, in_list=True) for item in value]
        return _FlowList(items) if _depth(items) == 1 else items
    if isinstance(value, datetime):
        return _Quoted(value.isoformat())
    if isinstance(value, date):
        return value  # PyYAML writes a plain YYYY-MM-DD that loads back as a date
    if isinstance(value, time):
        return _Quoted(value.strftime("%H:%M") if value.second == 0 and value.microsecond == 0
                       else value.isoformat())
    return value


def scenario_data(scenario: Scenario, people_file: str = "people.csv") -> dict[str, Any]:
    """The scenario.yaml mapping in a stable key order, with `people` naming the people file."""
    body = _plain(scenario)
    body["people"] = people_file
    body.setdefault("notes", None)
    ordered = {key: body[key] for key in SCENARIO_KEYS if key in body and body[key] is not None}
    ordered.update({key: item for key, item in body.items() if key not in ordered and item is not None})
    return dict(ordered)


def scenario_to_yaml(scenario: Scenario, people_file: str = "people.csv") -> str:
    """The text of scenario.yaml (docs/architecture.md#scenario-folder): block style, short leaf mappings inline,
    UTF-8 as is."""
    return yaml.dump(scenario_data(scenario, people_file), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=110)


def write_scenario(scenario: Scenario, folder: Path | str, people_file: str = "people.csv") -> None:
    """Write `scenario.yaml` and the people CSV into `folder` (created if missing); overwrites both."""
    if not people_file.lower().endswith(".csv") or Path(people_file).name != people_file:
        raise ValueError(f"people_file must be a plain .csv file name, got {people_file!r}")
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    yaml_text = scenario_to_yaml(scenario, people_file)
    (target / "scenario.yaml").write_text(yaml_text, encoding="utf-8", newline="\n")
    (target / people_file).write_text(people_to_csv(scenario.people), encoding="utf-8", newline="")
