"""What-if variants (docs/architecture.md#variant-files): a base scenario plus overrides, written as
`charterplan.variant/1` YAML.

A variant changes the protocol (an RFC 7396 merge patch), testing sites, flights, escorts and aircraft by id,
and may filter the caseload. Filtered-out households stay in `scenario.people`: the caller passes
`VariantScenario.excluded` to `solve` as `SolveOptions(excluded=excluded)`, so that they are not
planned and are reported as `variant.excluded`, and every variant is compared on the same caseload.

Errors are reported like scenario errors (`ScenarioInputError`, naming the variant file and the field), so the
CLI and the service show them the same way. `run_variants` solves several variants in worker processes.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
)

from planner.io.airports import airport
from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error
from planner.io.loading import load_scenario
from planner.io.scenario_checks import check_scenario
from planner.io.yaml_files import read_yaml
from planner.model.options import SolveOptions
from planner.model.plan import Plan
from planner.model.scenario import (
    AircraftType,
    DateRange,
    Escort,
    EscortRole,
    Flight,
    Model,
    Moment,
    OptionalFlight,
    Protocol,
    Scenario,
    Slot,
    Stop,
    TestingSite,
)

VARIANT_FORMAT = "charterplan.variant/1"


# ---------------------------------------------------------------- the file format


class FlightChange(Model):
    """Update of one flight by id. Fields not given keep their value.

    `shift_hours` moves the departure and every stop arrival by that many hours (a slip or an earlier slot).
    A new `departure` without `stops` moves the arrivals with it, so block times stay the same.
    """

    id: str = Field(min_length=1)
    aircraft: str | None = None
    origin: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    departure: Moment | None = None
    shift_hours: float | None = Field(default=None, ge=-24 * 30, le=24 * 30)
    check_in_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    stops: list[Stop] | None = None
    blocked_seats: list[str] | None = None
    optional: OptionalFlight | None = None


class FlightCopy(FlightChange):
    """A new flight made from an existing one (`like`), e.g. the same rotation two days later."""

    like: str = Field(min_length=1)


def _flight_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "copy" if "like" in value else "flight"
    return "copy" if isinstance(value, FlightCopy) else "flight"


NewFlight = Annotated[
    Annotated[Flight, Tag("flight")] | Annotated[FlightCopy, Tag("copy")], Discriminator(_flight_kind)
]


class FlightsPatch(Model):
    """Applied in this order: remove, update, add, keep_first."""

    remove: list[str] = Field(default_factory=list)
    update: list[FlightChange] = Field(default_factory=list)
    add: list[NewFlight] = Field(default_factory=list)
    keep_first: int | None = Field(default=None, ge=0, le=100_000)  # keep the first n flights by departure (sweeps)


class SiteChange(Model):
    """Update of one testing site by id; `daily_capacity: null` removes the site's daily lab limit."""

    id: str = Field(min_length=1)
    serves: list[str] | None = Field(default=None, min_length=1)
    days: DateRange | None = None
    open: time | None = None
    close: time | None = None
    slot_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    capacity_per_slot: int | None = Field(default=None, ge=0, le=100_000)
    daily_capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    timezone: str | None = None
    slots: list[Slot] | None = None
    closed: list[Slot] | None = None  # periods with no sampling (cancelled slots)


class SiteScale(Model):
    """Multiply capacities (rounded to whole samples); for sweeps such as "lab capacity × 0.5, 1, 2"."""

    daily_capacity: float | None = Field(default=None, ge=0, le=1_000)
    capacity_per_slot: float | None = Field(default=None, ge=0, le=1_000)
    sites: list[str] | None = None  # default: every site


class SitesPatch(Model):
    """Applied in this order: remove, update, add, scale."""

    remove: list[str] = Field(default_factory=list)
    update: list[SiteChange] = Field(default_factory=list)
    add: list[TestingSite] = Field(default_factory=list)
    scale: SiteScale | None = None


class EscortChange(Model):
    id: str = Field(min_length=1)
    role: EscortRole | None = None
    available: DateRange | None = None
    location: str | None = None
    testing_site: str | None = None
    vaccinated: bool | None = None


class EscortsPatch(Model):
    remove: list[str] = Field(default_factory=list)
    update: list[EscortChange] = Field(default_factory=list)
    add: list[Escort] = Field(default_factory=list)


class AircraftPatch(Model):
    add: list[AircraftType] = Field(default_factory=list)


class PeopleFilter(Model):
    """Who stays in the planned caseload. A household is excluded when any member fails a condition.

    People without consent are left to the consent gate, so their reason stays `gate.consent`.
    """

    consent_recorded_by: date | None = None
    registered_by: date | None = None
    destinations: list[str] | None = None
    locations: list[str] | None = None
    households: list[str] | None = None
    exclude_households: list[str] = Field(default_factory=list)


class Variant(Model):
    format: Literal["charterplan.variant/1"] = VARIANT_FORMAT
    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1)  # scenario folder (or its scenario.yaml), relative to the variant file
    protocol: dict[str, Any] = Field(default_factory=dict)  # RFC 7396 merge patch of the protocol
    testing_sites: SitesPatch = Field(default_factory=SitesPatch)
    flights: FlightsPatch = Field(default_factory=FlightsPatch)
    escorts: EscortsPatch = Field(default_factory=EscortsPatch)
    aircraft: AircraftPatch = Field(default_factory=AircraftPatch)
    people_filter: PeopleFilter | None = None

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file the variant was read from; relative `base` paths resolve against its folder."""
        return self._source

    def base_path(self, relative_to: str | Path | None = None) -> Path:
        base = Path(self.base)
        if base.is_absolute():
            return base
        folder = Path(relative_to) if relative_to is not None else (
            self._source.parent if self._source is not None else Path.cwd())
        return folder / base

    def file_label(self) -> str:
        return self._source.name if self._source is not None else f"variant {self.name!r}"


@dataclass
class VariantScenario:
    """The scenario a variant describes, and the households its caseload filter took out (id -> why)."""

    scenario: Scenario
    excluded: dict[str, str] = field(default_factory=dict)

    def solve_options(self, **kw: Any) -> SolveOptions:
        """SolveOptions that tell `solve` not to plan the excluded households (reported `variant.excluded`)."""
        return SolveOptions(**kw, excluded=dict(self.excluded))


# ---------------------------------------------------------------- loading


def _issues(label: str, exc: ValidationError, prefix: str = "") -> list[InputIssue]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("flight", "copy"))
        out.append(InputIssue(label, None, prefix + (loc or "(file)"), describe_error(err)))
    return out


def parse_variant(data: Any, label: str = "variant") -> Variant:
    """Validate a variant document (already parsed YAML or JSON); raise ScenarioInputError on any problem."""
    if not isinstance(data, dict):
        raise ScenarioInputError([InputIssue(label, None, "(file)", "expected a mapping at the top level")])
    if data.get("format") != VARIANT_FORMAT:
        got = data.get("format")
        raise ScenarioInputError([InputIssue(label, None, "format",
                                             f"expected {VARIANT_FORMAT!r}, got {got!r}")])
    try:
        variant = Variant.model_validate(data)
    except ValidationError as exc:
        raise ScenarioInputError(_issues(label, exc)) from None
    return variant


def load_variant(path: str | Path) -> Variant:
    """Read a variant YAML file; `base` is resolved relative to the file's folder."""
    path = Path(path)
    variant = parse_variant(read_yaml(path), path.name)
    variant._source = path.resolve()
    return variant


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


def _apply_flights(flights: list[Flight], patch: FlightsPatch, add: Any) -> list[Flight]:
    by_id = {f.id: f for f in flights}
    for i, fid in enumerate(patch.remove):
        if fid not in by_id:
            add(f"flights.remove[{i}]", f"unknown flight {fid!r}")
        by_id.pop(fid, None)
    for i, change in enumerate(patch.update):
        if change.id not in by_id:
            add(f"flights.update[{i}].id", f"unknown flight {change.id!r}")
            continue
        try:
            by_id[change.id] = Flight.model_validate(_moved_flight(by_id[change.id], change))
        except ValidationError as exc:
            for err in exc.errors():
                add(f"flights.update[{i}]." + ".".join(map(str, err["loc"])), describe_error(err))
    originals = {f.id: f for f in flights}
    for i, entry in enumerate(patch.add):
        if entry.id in by_id:
            add(f"flights.add[{i}].id", f"flight {entry.id!r} already exists")
            continue
        if isinstance(entry, FlightCopy):
            like = by_id.get(entry.like) or originals.get(entry.like)
            if like is None:
                add(f"flights.add[{i}].like", f"unknown flight {entry.like!r}")
                continue
            try:
                entry = Flight.model_validate(_moved_flight(like, entry, new_id=entry.id))
            except ValidationError as exc:
                for err in exc.errors():
                    add(f"flights.add[{i}]." + ".".join(map(str, err["loc"])), describe_error(err))
                continue
        by_id[entry.id] = entry
    out = list(by_id.values())
    if patch.keep_first is not None:
        out = sorted(out, key=lambda f: (f.departure, f.id))[: patch.keep_first]
    return out


def _keyed(items: list[Any], patch: Any, model: type, key: str, noun: str, add: Any) -> dict[str, Any]:
    """Remove, update (a partial change validated on the merged item), then add items keyed by id."""
    by_id = {x.id: x for x in items}
    for i, xid in enumerate(patch.remove):
        if xid not in by_id:
            add(f"{key}.remove[{i}]", f"unknown {noun} {xid!r}")
        by_id.pop(xid, None)
    for i, change in enumerate(patch.update):
        if change.id not in by_id:
            add(f"{key}.update[{i}].id", f"unknown {noun} {change.id!r}")
            continue
        data = by_id[change.id].model_dump(mode="json", by_alias=True)
        data.update(_changed(change))
        try:
            by_id[change.id] = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                add(f"{key}.update[{i}]." + ".".join(map(str, err["loc"])), describe_error(err))
    for i, item in enumerate(patch.add):
        if item.id in by_id:
            add(f"{key}.add[{i}].id", f"{noun} {item.id!r} already exists")
            continue
        by_id[item.id] = item
    return by_id


def _apply_sites(sites: list[TestingSite], patch: SitesPatch, add: Any) -> list[TestingSite]:
    by_id = _keyed(sites, patch, TestingSite, "testing_sites", "testing site", add)
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


def _apply_escorts(escorts: list[Escort], patch: EscortsPatch, add: Any) -> list[Escort]:
    return list(_keyed(escorts, patch, Escort, "escorts", "escort", add).values())


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
            issues += _issues(label, exc, "protocol.")
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


# ---------------------------------------------------------------- solving several variants


@dataclass(frozen=True)
class Job:
    """One solve for a worker process: everything it needs, picklable."""

    name: str
    scenario: Scenario
    excluded: dict[str, str]
    time_limit: float
    seat: bool = True
    deterministic: bool = False
    workers: int = 1


def _solve_job(job: Job) -> Plan:
    from planner.pipeline.solve import solve

    options = SolveOptions(time_limit=job.time_limit, seat=job.seat, deterministic=job.deterministic,
                           workers=job.workers, seating_processes=1,
                           seating_time_limit=min(10.0, max(1.0, job.time_limit / 4)),
                           excluded=dict(job.excluded))
    return solve(job.scenario, options=options)


def run_jobs(jobs: Sequence[Job], processes: int = 2, mp_context: str | None = None) -> list[Plan]:
    """Solve jobs in worker processes; results in job order whatever finishes first.

    The default start method is the platform's, like the seating stage (scripts need no `__main__` guard on
    Linux); a threaded host such as the service should pass "spawn" or run this inside its own worker.
    """
    if processes <= 1 or len(jobs) <= 1:
        return [_solve_job(j) for j in jobs]
    context = get_context(mp_context) if mp_context else None
    with ProcessPoolExecutor(max_workers=min(processes, len(jobs)), mp_context=context) as pool:
        return list(pool.map(_solve_job, jobs))


def default_processes() -> int:
    return max(1, min(4, (os.cpu_count() or 2)))


def run_variants(variants: Sequence[Variant | tuple[str, VariantScenario]], time_limit: float = 30.0,
                 processes: int = 2, seat: bool = True, deterministic: bool = False,
                 mp_context: str | None = None) -> list[tuple[str, Scenario, Plan]]:
    """Apply and solve variants in parallel; results in the order given, as (name, scenario, plan).

    Each variant gets the full `time_limit` for its allocation; CP-SAT runs with as many search workers as
    leave one core per process. Bases shared by several variants are read once.
    """
    bases: dict[Path, Scenario] = {}
    prepared: list[tuple[str, VariantScenario]] = []
    for v in variants:
        if isinstance(v, Variant):
            where = v.base_path().resolve()
            if where not in bases:
                bases[where] = load_scenario(where)
            prepared.append((v.name, apply_variant(bases[where], v)))
        else:
            prepared.append(v)
    workers = max(1, (os.cpu_count() or 2) // max(1, min(processes, len(prepared))))
    jobs = [Job(name, vs.scenario, vs.excluded, time_limit, seat, deterministic, workers) for name, vs in prepared]
    plans = run_jobs(jobs, processes, mp_context)
    return [(name, vs.scenario, plan) for (name, vs), plan in zip(prepared, plans, strict=True)]
