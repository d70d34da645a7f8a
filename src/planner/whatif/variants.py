"""Applying a what-if variant (the file format: planner.whatif.variant_files) to its base scenario.

Overrides change the protocol (an RFC 7396 merge patch), testing sites, flights, escorts and aircraft by id.
Households the caseload filter takes out stay in `scenario.people`: the caller passes
`VariantScenario.excluded` to `solve` as `SolveOptions(excluded=excluded)`, so that they are not planned and
are reported as `variant.excluded`, and every variant is compared on the same caseload. Several variants are
solved in worker processes by planner.whatif.variant_runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from planner.io.airports import airport
from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error
from planner.io.loading import load_scenario
from planner.io.scenario_checks import check_scenario
from planner.model.fields import Model
from planner.model.options import SolveOptions
from planner.model.scenario import Escort, Flight, Protocol, Scenario, TestingSite
from planner.whatif.variant_files import (
    EscortChange,
    EscortsPatch,
    FlightChange,
    FlightCopy,
    FlightsPatch,
    PeopleFilter,
    SiteChange,
    SitesPatch,
    Variant,
    load_variant,
    variant_issues,
)

#: Records the issue at a field of the variant file: (field, message).
AddIssue = Callable[[str, str], None]
#: The items kept by id that overrides change in the same way.
Keyed = TypeVar("Keyed", TestingSite, Escort)


@dataclass
class VariantScenario:
    """The scenario a variant describes, and the households its caseload filter took out (id -> why)."""

    scenario: Scenario
    excluded: dict[str, str] = field(default_factory=dict)

    def solve_options(self, **kw: Any) -> SolveOptions:
        """SolveOptions that tell `solve` not to plan the excluded households (reported `variant.excluded`)."""
        return SolveOptions(**kw, excluded=dict(self.excluded))


def load_base(variant: Variant) -> Scenario:
    """The variant's base scenario, read from disk."""
    return load_scenario(variant.base_path())


def load_variant_scenario(path: str | Path) -> tuple[Variant, VariantScenario]:
    """Read a variant file and its base, and apply it."""
    variant = load_variant(path)
    return variant, apply_variant(load_base(variant), variant)


# ---------------------------------------------------------------- applying


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: mappings merge key by key, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _changed(model: Model) -> dict[str, Any]:
    """The fields a change entry sets (explicit nulls included), as plain data."""
    return {k: v for k, v in model.model_dump(mode="json", by_alias=True).items()
            if k in model.model_fields_set and k not in ("id", "like", "shift_hours")}


def _moved_flight(flight: Flight, change: FlightChange, new_id: str | None = None) -> dict[str, Any]:
    """The flight's data after `change`: the departure moves by `shift_hours` (or to `departure`), and the
    arrivals follow it unless the change lists its own stops (which `shift_hours` then moves too)."""
    data = flight.model_dump(mode="json", by_alias=True)
    data.update(_changed(change))
    shift = timedelta(hours=change.shift_hours or 0)
    departure = (change.departure or flight.departure) + shift
    if change.stops is not None:
        stops, moved = change.stops, shift
    else:
        stops, moved = flight.stops, departure - flight.departure
    data["departure"] = departure.isoformat()
    data["stops"] = [{"airport": s.airport, "arrival": (s.arrival + moved).isoformat()} for s in stops]
    if new_id is not None:
        data["id"] = new_id
    return data


def _report(exc: ValidationError, where: str, add: AddIssue) -> None:
    """Each schema error of a changed item, at its field under `where`."""
    for err in exc.errors():
        add(where + ".".join(map(str, err["loc"])), describe_error(err))


def _remove(by_id: dict[str, Any], ids: list[str], key: str, noun: str, add: AddIssue) -> None:
    """Take out the items named in a `remove` list; an unknown id is an issue."""
    for i, xid in enumerate(ids):
        if xid not in by_id:
            add(f"{key}.remove[{i}]", f"unknown {noun} {xid!r}")
        by_id.pop(xid, None)


def _apply_flights(flights: list[Flight], patch: FlightsPatch, add: AddIssue) -> list[Flight]:
    """Remove, update (moving arrivals with the departure), add (new or copied) flights, then keep the first."""
    by_id = {f.id: f for f in flights}
    _remove(by_id, patch.remove, "flights", "flight", add)
    for i, change in enumerate(patch.update):
        if change.id not in by_id:
            add(f"flights.update[{i}].id", f"unknown flight {change.id!r}")
            continue
        try:
            by_id[change.id] = Flight.model_validate(_moved_flight(by_id[change.id], change))
        except ValidationError as exc:
            _report(exc, f"flights.update[{i}].", add)
    originals = {f.id: f for f in flights}
    for i, entry in enumerate(patch.add):
        if entry.id in by_id:
            add(f"flights.add[{i}].id", f"flight {entry.id!r} already exists")
            continue
        new = _copied_flight(entry, by_id, originals, f"flights.add[{i}]", add) \
            if isinstance(entry, FlightCopy) else entry
        if new is not None:
            by_id[entry.id] = new
    out = list(by_id.values())
    if patch.keep_first is not None:
        out = sorted(out, key=lambda f: (f.departure, f.id))[: patch.keep_first]
    return out


def _copied_flight(entry: FlightCopy, by_id: dict[str, Flight], originals: dict[str, Flight], where: str,
                   add: AddIssue) -> Flight | None:
    """A new flight made `like` an existing one (as changed so far, else as in the base); None on errors."""
    like = by_id.get(entry.like) or originals.get(entry.like)
    if like is None:
        add(f"{where}.like", f"unknown flight {entry.like!r}")
        return None
    try:
        return Flight.model_validate(_moved_flight(like, entry, new_id=entry.id))
    except ValidationError as exc:
        _report(exc, f"{where}.", add)
        return None


def _keyed(items: list[Keyed], remove: list[str], update: Sequence[SiteChange | EscortChange], new: list[Keyed],
           model: type[Keyed], key: str, noun: str, add: AddIssue) -> dict[str, Keyed]:
    """Remove, update (a partial change validated on the merged item), then add items keyed by id."""
    by_id = {x.id: x for x in items}
    _remove(by_id, remove, key, noun, add)
    for i, change in enumerate(update):
        if change.id not in by_id:
            add(f"{key}.update[{i}].id", f"unknown {noun} {change.id!r}")
            continue
        data = by_id[change.id].model_dump(mode="json", by_alias=True)
        data.update(_changed(change))
        try:
            by_id[change.id] = model.model_validate(data)
        except ValidationError as exc:
            _report(exc, f"{key}.update[{i}].", add)
    for i, item in enumerate(new):
        if item.id in by_id:
            add(f"{key}.add[{i}].id", f"{noun} {item.id!r} already exists")
            continue
        by_id[item.id] = item
    return by_id


def _apply_sites(sites: list[TestingSite], patch: SitesPatch, add: AddIssue) -> list[TestingSite]:
    """Site overrides by id, then capacities scaled (rounded to whole samples) on the chosen sites."""
    by_id = _keyed(sites, patch.remove, patch.update, patch.add, TestingSite, "testing_sites", "testing site", add)
    scale = patch.scale
    if scale is not None:
        for i, sid in enumerate(scale.sites or []):
            if sid not in by_id:
                add(f"testing_sites.scale.sites[{i}]", f"unknown testing site {sid!r}")
        chosen = set(scale.sites) if scale.sites is not None else set(by_id)
        for sid, site in list(by_id.items()):
            if sid not in chosen:
                continue
            site = site.model_copy(deep=True)
            if scale.daily_capacity is not None and site.daily_capacity is not None:
                site.daily_capacity = round(site.daily_capacity * scale.daily_capacity)
            if scale.capacity_per_slot is not None:
                site.capacity_per_slot = round(site.capacity_per_slot * scale.capacity_per_slot)
                for slot in site.slots or []:
                    if slot.capacity is not None:
                        slot.capacity = round(slot.capacity * scale.capacity_per_slot)
            by_id[sid] = site
    return list(by_id.values())


def _apply_escorts(escorts: list[Escort], patch: EscortsPatch, add: AddIssue) -> list[Escort]:
    """Escort overrides by id."""
    return list(_keyed(escorts, patch.remove, patch.update, patch.add, Escort, "escorts", "escort", add).values())


def excluded_households(scenario: Scenario, rule: PeopleFilter | None) -> dict[str, str]:
    """Household id -> why the caseload filter takes it out (the first failing member, in file order)."""
    if rule is None:
        return {}
    keep = set(rule.households) if rule.households is not None else None
    drop = set(rule.exclude_households)
    out: dict[str, str] = {}
    for p in scenario.people:
        hid = p.household_id
        if hid in out:
            continue
        why = None
        if hid in drop:
            why = "household excluded by name"
        elif keep is not None and hid not in keep:
            why = "household not in the variant's list"
        elif rule.destinations is not None and p.destination not in rule.destinations:
            why = f"destination {p.destination} not in {', '.join(rule.destinations) or 'none'}"
        elif rule.locations is not None and p.location not in rule.locations:
            why = f"location {p.location} not in the variant's locations"
        elif rule.consent_recorded_by is not None and p.consent != "none" and (
                p.consent_date is None or p.consent_date > rule.consent_recorded_by):
            when = p.consent_date.isoformat() if p.consent_date else "no date"
            why = f"consent of {p.case_id} recorded after {rule.consent_recorded_by} ({when})"
        elif rule.registered_by is not None and (p.registered_on is None or p.registered_on > rule.registered_by):
            when = p.registered_on.isoformat() if p.registered_on else "no date"
            why = f"{p.case_id} registered after {rule.registered_by} ({when})"
        if why is not None:
            out[hid] = why
    return dict(sorted(out.items()))


def apply_variant(base: Scenario, variant: Variant) -> VariantScenario:
    """The variant's scenario (a new object; `base` is not changed) and its excluded households.

    Raises ScenarioInputError naming the variant file and the field for unknown ids, invalid values and a
    resulting scenario that fails the scenario checks (e.g. a moved flight arriving before it departs).
    """
    label = variant.file_label()
    issues: list[InputIssue] = []

    def add(where: str, message: str) -> None:
        issues.append(InputIssue(label, None, where, message))

    scenario = base.model_copy(deep=False)
    scenario.name = f"{base.name} [{variant.name}]"
    if variant.protocol:
        merged = merge_patch(base.protocol.model_dump(mode="json", by_alias=True), variant.protocol)
        try:
            scenario.protocol = Protocol.model_validate(merged)
        except ValidationError as exc:
            issues += variant_issues(label, exc, "protocol.")
    scenario.aircraft = list(base.aircraft)
    known_types = {a.type for a in base.aircraft}
    for i, ac in enumerate(variant.aircraft.add):
        if ac.type in known_types:
            add(f"aircraft.add[{i}].type", f"aircraft type {ac.type!r} already exists in the scenario")
            continue
        scenario.aircraft.append(ac)
    scenario.testing_sites = _apply_sites(base.testing_sites, variant.testing_sites, add)
    scenario.flights = _apply_flights(base.flights, variant.flights, add)
    scenario.escorts = _apply_escorts(base.escorts, variant.escorts, add)
    for i, code in enumerate((variant.people_filter.destinations or []) if variant.people_filter else []):
        if airport(code) is None:
            add(f"people_filter.destinations[{i}]", f"unknown airport code {code!r}")
    if not issues:
        # scenario-level checks (ids, times, aircraft) on what the overrides produced; people are unchanged
        for issue in check_scenario(scenario.model_copy(update={"people": []}), yname=label):
            issues.append(InputIssue(label, None, f"(result) {issue.field}", issue.message))
    if issues:
        raise ScenarioInputError(issues)
    return VariantScenario(scenario=scenario, excluded=excluded_households(base, variant.people_filter))
