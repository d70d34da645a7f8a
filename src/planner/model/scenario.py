"""Domain model of a scenario: people, flights, aircraft, testing sites, escorts and the protocol.

These pydantic models are the planner's only input. Loading from files (with row-level error reports) lives in
`planner.io.loading`; derived facts (ages, households, weights) live in the modules that need them. Parts of a
scenario with a home of their own (travel documents, ground transport, baggage and load, comfort,
reception, notices) are declared in their modules and joined here by inheritance, so the people file stays one
flat row per person.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from planner.model.baggage import AircraftLoad, BaggageRules, PersonBaggage
from planner.model.comfort import SeatingComfort
from planner.model.documents import DocumentSources, PersonDocument
from planner.model.fields import (
    DERIVED_VULNERABILITIES,
    TYPED_VULNERABILITIES,
    VULNERABILITY_CODES,
    ClockTime,
    Code,
    Consent,
    Day,
    Distancing,
    DocumentType,
    EscortRole,
    Fitness,
    Mobility,
    Model,
    Moment,
    Sex,
    TestResult,
)
from planner.model.ground import GroundTransport, PersonTravel
from planner.model.health_checks import HealthChecks, PersonSymptoms
from planner.model.notices import NoticeSettings, PersonLanguage
from planner.model.reception import PersonReception


class _PersonCore(Model):
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


class Person(PersonSymptoms, PersonLanguage, PersonReception, PersonTravel, PersonBaggage, PersonDocument,
             _PersonCore):
    """One returnee with every column of the people file: the core fields first, then each part's own."""



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


class _SeatingCore(Model):
    distancing: list[Distancing] = Field(default_factory=list)
    isolation_rows_rear: int = Field(default=1, ge=0, le=10)
    exit_row_min_age: int = Field(default=15, ge=0, le=30)
    child_seating_age: int = Field(default=12, ge=0, le=18)
    lap_infant_max_months: int = Field(default=24, ge=0, le=36)
    lap_carrier_min_age: int = Field(default=18, ge=12, le=30)
    infants_per_mask_block: int = Field(default=1, ge=0, le=4)


class SeatingRules(SeatingComfort, _SeatingCore):
    """Seating rules of the protocol (docs/seating.md)."""



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


class _ProtocolCore(Model):
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


class Protocol(HealthChecks, NoticeSettings, BaggageRules, DocumentSources, _ProtocolCore):
    """The operation's protocol: the core rules, then each part's settings."""



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


class _AircraftCore(Model):
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


class AircraftType(AircraftLoad, _AircraftCore):
    """A seat map with its load limits (docs/architecture.md#seat-maps)."""



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


class _HeadCore(Model):
    """The core of a scenario's head: name, time, protocol, sites, escorts, aircraft and flights."""

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


class _ScenarioHead(GroundTransport, _HeadCore):
    """Everything of a scenario but its people, shared by the in-memory `Scenario` and `scenario.yaml`."""


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
