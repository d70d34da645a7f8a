"""Domain model of a scenario: people, flights, aircraft, testing sites, escorts and the protocol.

These pydantic models are the planner's only input. Loading from files (with row-level error reports) lives in
`planner.io.loading`; derived facts (ages, households, weights) live in the modules that need them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from planner.io.cell_rules import formula_like, formula_message

Sex = Literal["F", "M", "X"]
Consent = Literal["explicit", "proxy", "none"]
DocumentType = Literal["passport", "etd", "none"]
Fitness = Literal["fit", "fit_with_escort", "unfit", "pending"]
Mobility = Literal["none", "WCHR", "WCHS", "WCHC", "WCHP", "STCR"]
TestResult = Literal["negative", "positive", "pending"]
EscortRole = Literal["operational", "medical", "uasc"]
Distancing = Literal["side", "across-aisle", "front-back", "diagonal"]

#: Vulnerability codes an officer may type in the people file (docs/rules.md#priority-weights).
TYPED_VULNERABILITIES = ("medical", "disability", "trafficking", "torture", "border_exposure")
#: Codes the planner derives from the data; typing them in is an input error.
DERIVED_VULNERABILITIES = ("elderly", "pregnant", "uasc", "single_parent", "infant")
VULNERABILITY_CODES = TYPED_VULNERABILITIES + DERIVED_VULNERABILITIES


def _no_number(value: Any) -> Any:
    """Refuse what YAML makes of an unquoted `20:00`: the base-60 number 1200, which pydantic reads as seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        hours, minutes = divmod(int(value), 60)
        if isinstance(value, int) and 0 <= value < 24 * 60:
            raise ValueError(f"got the number {value} (YAML reads an unquoted {hours}:{minutes:02d} as a base-60 "
                             f'number); write the time in quotes as HH:MM, e.g. "{hours:02d}:{minutes:02d}"')
        raise ValueError(f"got the number {value!r}; write the time in quotes as HH:MM, e.g. \"08:00\"")
    return value


def _no_offset(value: time) -> time:
    """Site hours are wall-clock times in the site's timezone, so an offset would contradict it."""
    if value.tzinfo is not None:
        raise ValueError(f"{value.isoformat()!r} has a timezone offset; write the local time in quotes as HH:MM")
    return value


#: A local wall-clock time written "HH:MM" (the schema says so instead of JSON Schema's offset-bearing `time`).
ClockTime = Annotated[
    time,
    BeforeValidator(_no_number),
    AfterValidator(_no_offset),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2})?$",
                    "description": 'local time "HH:MM" (quoted in YAML)'}),
]


#: Validation context for data read back from the service's own store: written before today's rules, so the
#: text rules (formula text, id pattern) are not applied again; exports neutralise such text instead.
STORED = {"stored": True}


def _trusted(info: ValidationInfo | None) -> bool:
    return bool(info is not None and isinstance(info.context, dict) and info.context.get("stored"))


def check_text(value: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate cannot be stored or sent as UTF-8)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text (it holds a lone surrogate)") from None
    return value


def _check_all_text(value: Any, info: ValidationInfo | None) -> None:
    if isinstance(value, str):
        check_text(value)
        if not _trusted(info) and formula_like(value):
            raise ValueError(formula_message(value))
    elif isinstance(value, list):
        for item in value:
            _check_all_text(item, info)
    elif isinstance(value, dict):
        for key in value:
            _check_all_text(key, info)


def check_input_text(value: str) -> str:
    """The text rules of every model (valid Unicode, not formula-looking) for text outside the models, such as
    an operation's name in the service."""
    _check_all_text(value, None)
    return value


#: Coded ids (case, household, flight, testing site, escort, aircraft type): letters, digits, `.`, `_`, `-`,
#: starting with a letter or digit, at most 64 characters, so they are safe in a URL path, a file name and a
#: spreadsheet cell (docs/input.md, "Ids").
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_CODE = re.compile(CODE_PATTERN)


def _check_code(value: str, info: ValidationInfo) -> str:
    if not _trusted(info) and not _CODE.match(value):
        raise ValueError("use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


Code = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"pattern": CODE_PATTERN}),
                 AfterValidator(_check_code)]

#: Instants and days the planner works with: years 1900 to 2199, so that shifting a flight by days or reading
#: a date at the end of the calendar can never overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def _plausible_year(value: Any) -> Any:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_year)]
Day = Annotated[date, AfterValidator(_plausible_year)]


class Model(BaseModel):
    """Strict base: unknown keys are errors, so a typo in a scenario file is reported, not ignored.

    Every text value must be valid Unicode and must not look like a spreadsheet formula
    (planner.io.cell_rules, docs/input.md), whichever door it comes through: a file, the CLI or the service."""

    model_config = ConfigDict(extra="forbid", frozen=False)

    @field_validator("*", mode="after")
    @classmethod
    def _text_rules(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str | list | dict):
            _check_all_text(value, info)
        return value


class Person(Model):
    """One returnee, as in a row of the people file (docs/architecture.md#people-file)."""

    case_id: Code
    household_id: Code
    given_name: str = Field(default="", max_length=200)
    family_name: str = Field(default="", max_length=200)
    name_native: str = Field(default="", max_length=200)
    sex: Sex
    date_of_birth: Day
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    destination: str = Field(pattern=r"^[A-Z]{3}$")
    location: str = Field(min_length=1, max_length=100)
    testing_site: str | None = Field(default=None, max_length=64)  # overrides the location's sites
    consent: Consent
    consent_date: Day | None = None
    consent_note: str = Field(default="", max_length=2000)
    document_type: DocumentType
    document_number: str = Field(default="", max_length=64)
    document_expiry: Day | None = None
    # advance passenger information (docs/airline.md): the state that issued the document, ISO 3166-1 alpha-3
    document_issuing_state: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    country_of_birth: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    place_of_birth: str = Field(default="", max_length=100)
    exit_cleared: bool = False
    fitness: Fitness = "pending"
    mobility: Mobility = "none"
    pregnant: bool = False
    evacuation_capable: bool = True
    unaccompanied_minor: bool = False
    best_interests_approved: bool = False
    reception_contact: str = Field(default="", max_length=500)
    vaccinated: bool = False
    last_positive_test: Day | None = None
    last_test_sample: Moment | None = None
    last_test_result: TestResult | None = None
    registered_on: Day | None = None
    vulnerabilities: list[str] = Field(default_factory=list, max_length=len(TYPED_VULNERABILITIES) * 4)
    notes: str = Field(default="", max_length=4000)

    @field_validator("vulnerabilities")
    @classmethod
    def _typed_codes_only(cls, codes: list[str]) -> list[str]:
        for code in codes:
            if code in DERIVED_VULNERABILITIES:
                raise ValueError(f"'{code}' is derived from the data and must not be typed in")
            if code not in TYPED_VULNERABILITIES:
                raise ValueError(f"unknown vulnerability code '{code}' (allowed: {', '.join(TYPED_VULNERABILITIES)})")
        return sorted(set(codes))


class DateRange(Model):
    """An inclusive range of local dates."""

    from_: Day = Field(alias="from")
    to: Day

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def contains(self, day: date) -> bool:
        return self.from_ <= day <= self.to


class DestinationRule(Model):
    """The 2021 entry test rule of one destination airport (docs/rules.md#test-windows)."""

    test: Literal["PCR", "antigen", "none"] = "PCR"
    window_hours: int = Field(default=72, ge=1, le=24 * 14)
    anchor: Literal["departure", "arrival"] = "departure"
    exempt_under_years: int = Field(default=0, ge=0, le=18)
    vaccinated_exempt: bool = False


class SeatingRules(Model):
    distancing: list[Distancing] = Field(default_factory=list)
    isolation_rows_rear: int = Field(default=1, ge=0, le=10)
    exit_row_min_age: int = Field(default=15, ge=0, le=30)
    child_seating_age: int = Field(default=12, ge=0, le=18)
    lap_infant_max_months: int = Field(default=24, ge=0, le=36)
    lap_carrier_min_age: int = Field(default=18, ge=12, le=30)
    infants_per_mask_block: int = Field(default=1, ge=0, le=4)


class EscortRules(Model):
    operational_per_passengers: int = Field(default=50, ge=1, le=10_000)
    medical_per_cases: int = Field(default=2, ge=1, le=10_000)
    uasc_per_escort: int = Field(default=2, ge=1, le=10_000)
    turnaround_hours: int = Field(default=24, ge=0, le=24 * 30)


class Weights(Model):
    base: int = Field(default=10, ge=0, le=10_000)
    per_week: int = Field(default=1, ge=0, le=10_000)
    elderly_age: int = Field(default=60, ge=40, le=100)
    vulnerability: dict[str, int] = Field(
        default_factory=lambda: {
            "medical": 8,
            "disability": 6,
            "elderly": 5,
            "pregnant": 5,
            "single_parent": 4,
            "uasc": 8,
            "trafficking": 6,
            "torture": 6,
            "border_exposure": 4,
            "infant": 3,
        }
    )

    @field_validator("vulnerability")
    @classmethod
    def _known_codes(cls, points: dict[str, int]) -> dict[str, int]:
        for code, value in points.items():
            if code not in VULNERABILITY_CODES:
                raise ValueError(f"unknown vulnerability code '{code}'")
            if not 0 <= value <= 10_000:
                raise ValueError(f"points for '{code}' must be between 0 and 10000")
        return points


class Protocol(Model):
    """The operation's COVID-19 and movement protocol; every number is a parameter."""

    covid: bool = True
    lab_turnaround_hours: int = Field(default=24, ge=0, le=240)
    delay_margin_hours: int = Field(default=6, ge=0, le=72)
    positive_isolation_days: int = Field(default=10, ge=0, le=60)
    isolate_household: bool = True
    require_exit_clearance: bool = True
    destinations: dict[str, DestinationRule] = Field(default_factory=dict)
    seating: SeatingRules = Field(default_factory=SeatingRules)
    escorts: EscortRules = Field(default_factory=EscortRules)
    weights: Weights = Field(default_factory=Weights)


class Slot(Model):
    """An explicitly listed sampling slot of a testing site."""

    start: Moment
    end: Moment
    capacity: int | None = Field(default=None, ge=0, le=100_000)


class TestingSite(Model):
    """A place where samples are taken, for people staying at the locations it serves."""

    __test__ = False  # not a pytest class

    id: Code
    serves: list[str] = Field(min_length=1, max_length=1000)
    days: DateRange
    open: ClockTime = time(8, 0)
    close: ClockTime = time(18, 0)
    slot_minutes: int = Field(default=60, ge=5, le=24 * 60)
    capacity_per_slot: int = Field(default=20, ge=0, le=100_000)
    daily_capacity: int | None = Field(default=None, ge=0, le=1_000_000)
    timezone: str | None = Field(default=None, max_length=64)
    slots: list[Slot] | None = None
    closed: list[Slot] = Field(default_factory=list)  # periods with no sampling (e.g. cancelled slots)


class Escort(Model):
    id: Code
    role: EscortRole
    available: DateRange | None = None
    location: str | None = None
    testing_site: str | None = None
    vaccinated: bool = False


#: A seat row number in a list or mapping: bounded against absurd numbers only, so that the seat map's own
#: checks name the row that is outside the cabin (planner.seating.seatmaps).
RowNumber = Annotated[int, Field(ge=-1000, le=1000)]


class RowRange(Model):
    first: int = Field(ge=1, le=120)
    last: int = Field(ge=1, le=120)
    skip: list[RowNumber] = Field(default_factory=list)


class AircraftType(Model):
    """A seat map (docs/architecture.md#seat-maps). Library types ship with the package; scenarios may add their own."""

    type: Code
    description: str = Field(default="", max_length=2000)
    rows: RowRange
    layout: str = Field(min_length=1, max_length=40)
    row_layouts: dict[RowNumber, str] = Field(default_factory=dict)
    exit_rows: list[RowNumber] = Field(default_factory=list)
    blocked_seats: list[str] = Field(default_factory=list)
    mask_blocks: list[list[str]] | None = None
    movable_armrests: list[str] | None = None
    stretcher_zone: list[str] | None = None
    bassinet_rows: list[RowNumber] = Field(default_factory=list)
    door_rows: list[RowNumber] | None = None


class Stop(Model):
    airport: str = Field(pattern=r"^[A-Z]{3}$")
    arrival: Moment


class OptionalFlight(Model):
    cost: int = Field(default=0, ge=0, le=1_000_000_000)


class Flight(Model):
    id: Code
    aircraft: str = Field(min_length=1, max_length=64)
    origin: str = Field(pattern=r"^[A-Z]{3}$")
    departure: Moment
    check_in_minutes: int = Field(default=180, ge=0, le=24 * 60)
    stops: list[Stop] = Field(min_length=1)
    blocked_seats: list[str] = Field(default_factory=list)
    optional: OptionalFlight | None = None


class _ScenarioHead(Model):
    """Everything of a scenario but its people, shared by the in-memory `Scenario` and `scenario.yaml`."""

    format: Literal["charterplan.scenario/1"] = "charterplan.scenario/1"
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    as_of: Moment
    notes: str = ""
    protocol: Protocol = Field(default_factory=Protocol)
    testing_sites: list[TestingSite] = Field(default_factory=list)
    escorts: list[Escort] = Field(default_factory=list)
    aircraft: list[AircraftType] = Field(default_factory=list)
    flights: list[Flight] = Field(default_factory=list)


class Scenario(_ScenarioHead):
    """A whole operation at one instant `as_of`: the planner's complete input."""

    people: list[Person] = Field(default_factory=list)


class ScenarioFile(_ScenarioHead):
    """The shape of `scenario.yaml`: like `Scenario`, but `people` names the people file."""

    people: str = "people.csv"


@cache
def local_date(moment: datetime, tz: str) -> date:
    """The calendar date of `moment` in timezone `tz` (ages and document validity use it)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).date()
