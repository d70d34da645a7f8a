"""Validating scenario.yaml part by part: on schema errors the failing parts are dropped and the rest is
validated again, so every schema error is reported and the cross-checks (planner.io.scenario_checks) still
run on what is left."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from planner.model.scenario import ScenarioFile


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


def validate_partially(raw: dict[str, Any]) -> tuple[ScenarioFile | None, list[ErrorDetails], Broken]:
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
            item = raw[str(loc[0])][loc[1]]
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
