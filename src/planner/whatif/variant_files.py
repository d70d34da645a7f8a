"""The variant file format (docs/architecture.md#variant-files): a base scenario plus overrides, written as
`charterplan.variant/1` YAML, and reading it.

A variant changes the protocol (an RFC 7396 merge patch), testing sites, flights, escorts and aircraft by id,
and may filter the caseload (planner.whatif.variants applies it). Errors are reported like scenario errors
(`ScenarioInputError`, naming the variant file and the field), so the CLI and the service show them the
same way.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Discriminator, Field, PrivateAttr, Tag, ValidationError

from planner.io.input_errors import InputIssue, ScenarioInputError, describe_error
from planner.io.yaml_files import read_yaml
from planner.model.fields import EscortRole, Model, Moment
from planner.model.scenario import AircraftType, DateRange, Escort, Flight, OptionalFlight, Slot, Stop, TestingSite

VARIANT_FORMAT: Final = "charterplan.variant/1"


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


def variant_issues(label: str, exc: ValidationError, prefix: str = "") -> list[InputIssue]:
    """Schema errors of a variant document as issues; the tags of a new flight's kind are left out of the path."""
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
        raise ScenarioInputError(variant_issues(label, exc)) from None
    return variant


def load_variant(path: str | Path) -> Variant:
    """Read a variant YAML file; `base` is resolved relative to the file's folder."""
    path = Path(path)
    variant = parse_variant(read_yaml(path), path.name)
    variant._source = path.resolve()
    return variant
