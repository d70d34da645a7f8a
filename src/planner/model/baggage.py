"""Baggage, passenger masses and aircraft load limits.

Only declares the data; the payload rule lives in `planner.rules.payload` and the load summary in
`planner.report.load_summary` (docs/load.md, docs/rules.md#payload).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from planner.model.fields import Code, Model

#: A mobility aid carried in the hold: a wheelchair and its battery type (IATA's dangerous-goods classes for
#: battery-powered mobility aids: non-spillable dry or gel, spillable wet, lithium-ion; docs/load.md).
MobilityAid = Literal["none", "wheelchair_manual", "wheelchair_dry_battery", "wheelchair_wet_battery",
                      "wheelchair_lithium_ion"]
#: Masses used for an aid whose `mobility_aid_kg` is blank (illustrative figures for common models, docs/load.md).
AID_DEFAULT_KG: dict[MobilityAid, float] = {"none": 0.0, "wheelchair_manual": 15.0, "wheelchair_dry_battery": 80.0,
                                            "wheelchair_wet_battery": 90.0, "wheelchair_lithium_ion": 60.0}
#: Passenger categories of a standard-masses table (a lap infant travels on its carrier's mass).
PassengerCategory = Literal["male", "female", "adult", "child", "infant"]

#: The EASA source of the default standard masses (docs/load.md#standard-masses).
EASA_STANDARD_MASSES = ("EASA AMC1 CAT.POL.MAB.100(e) Table 1, aircraft with 30 or more passenger seats, "
                        "'all adult' for flights other than holiday charters; hand baggage and lap infants included")


class PersonBaggage(Model):
    """The people file's columns about a person's baggage and mobility aids carried in the hold.

    Blank columns take the protocol's allowance (`BaggageRules`); `checked_bag_kg` is the total of all
    checked bags, `mobility_aid_kg` the aid's mass with its battery."""

    checked_bags: int | None = Field(default=None, ge=0, le=10)
    checked_bag_kg: float | None = Field(default=None, ge=0, le=300)
    cabin_bag_kg: float | None = Field(default=None, ge=0, le=50)
    mobility_aid: MobilityAid = "none"
    mobility_aid_kg: float | None = Field(default=None, ge=0, le=300)

    @field_validator("checked_bag_kg")
    @classmethod
    def _kg_needs_a_bag(cls, kg: float | None, info: ValidationInfo) -> float | None:
        if kg and info.data.get("checked_bags") == 0:
            raise ValueError(f"is {kg:g} but checked_bags is 0 (leave it blank or give the number of bags)")
        return kg

    @field_validator("mobility_aid_kg")
    @classmethod
    def _kg_needs_an_aid(cls, kg: float | None, info: ValidationInfo) -> float | None:
        if kg and info.data.get("mobility_aid") == "none":  # absent: its own error is reported
            raise ValueError(f"is {kg:g} but mobility_aid is 'none' (name the aid, e.g. wheelchair_manual)")
        return kg


class StandardMasses(Model):
    """An authority's standard passenger masses in kg (defaults: EASA's 'all adult' table, `source`).

    `male` and `female`, when both set, replace `adult` for passengers of that sex (EASA Table 1 for 20 or more
    seats: 88 and 70). Children are from 2 years up to `child_under_years`; a lap infant's mass is in its carrier's
    (`infant` 0, EASA), an infant with a seat of its own counts as a child. `include_cabin_baggage`: the masses
    already hold hand baggage (EASA: yes), so cabin bags are listed in the load summary but not added again."""

    source: str = Field(default=EASA_STANDARD_MASSES, max_length=500)
    adult: int = Field(default=84, ge=1, le=300)
    male: int | None = Field(default=None, ge=1, le=300)
    female: int | None = Field(default=None, ge=1, le=300)
    child: int = Field(default=35, ge=0, le=300)
    infant: int = Field(default=0, ge=0, le=100)
    child_under_years: int = Field(default=12, ge=2, le=18)
    include_cabin_baggage: bool = True

    @model_validator(mode="after")
    def _both_sexes(self) -> StandardMasses:
        if (self.male is None) != (self.female is None):
            raise ValueError("standard masses: give both male and female, or neither (then 'adult' is used)")
        return self

    def mass(self, category: PassengerCategory) -> int:
        value = getattr(self, category)
        return self.adult if value is None else int(value)


class BaggageRules(Model):
    """The protocol's baggage allowance (used where a person's columns are blank), default aid masses and the
    standard passenger masses of the operation (docs/load.md)."""

    checked_bags_allowance: int = Field(default=1, ge=0, le=10)
    checked_kg_allowance: float = Field(default=20.0, ge=0, le=300)
    cabin_kg_allowance: float = Field(default=6.0, ge=0, le=50)
    mobility_aid_default_kg: dict[MobilityAid, float] = Field(default_factory=lambda: dict(AID_DEFAULT_KG))
    standard_masses: StandardMasses = Field(default_factory=StandardMasses)


class CabinZone(Model):
    """A block of rows whose passengers move the aircraft's balance the same way (a load sheet's cabin section).

    `index_per_passenger` is the balance index change one standard passenger causes in this zone (negative
    forward of the reference, positive aft); `max_passengers` is the aircraft's limit for the zone, if any."""

    id: Code
    first_row: int = Field(ge=1, le=120)
    last_row: int = Field(ge=1, le=120)
    max_passengers: int | None = Field(default=None, ge=0, le=1000)
    index_per_passenger: float = Field(default=0.0, ge=-100.0, le=100.0)


class AircraftLoad(Model):
    """An aircraft type's payload limit (the most traffic load, kg: passengers, baggage and hold items, for the
    operator's planned fuel and take-off mass), the standard masses it is loaded with when they differ from the
    protocol's, and its cabin zones."""

    payload_limit_kg: int | None = Field(default=None, ge=0, le=200_000)
    standard_masses: StandardMasses | None = None
    zones: list[CabinZone] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _zones_apart(self) -> AircraftLoad:
        seen: dict[int, str] = {}
        for z in self.zones:
            if z.last_row < z.first_row:
                raise ValueError(f"zones: zone {z.id} ends (last_row {z.last_row}) before it starts "
                                 f"(first_row {z.first_row})")
            for row in range(z.first_row, z.last_row + 1):
                if row in seen:
                    raise ValueError(f"zones: row {row} is in zone {seen[row]} and in zone {z.id}")
                seen[row] = z.id
        return self
