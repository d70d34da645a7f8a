"""Pre-embarkation health checks as a general part of the protocol (docs/health-checks.md).

A check is something every passenger it applies to must have done, at one of its providers, inside a window
before departure (or before arrival at their destination), with the result in before check-in closes: a PCR or
antigen test, a fit-to-travel medical examination, a TB screening, a vaccination check. The 2021 COVID-19 fields
of the protocol (`covid`, `destinations`, `lab_turnaround_hours`, `delay_margin_hours`) are read as one
configuration of such checks (`planner.rules.testing_windows.covid_checks`), so existing scenarios keep their
meaning. This module only declares the data; the rules that use it are `planner.rules.testing_windows` (windows,
bookings), `planner.rules.lab_capacity` (provider capacity) and `planner.rules.health_checks` (prerequisites).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from planner.model.fields import Code, Day, Model

CheckKind = Literal["pcr", "antigen", "fit_to_travel", "tb_screening", "vaccination_check"]


class CheckPeriod(Model):
    """Inclusive local departure dates a check applies to."""

    from_: Day = Field(alias="from")
    to: Day

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def contains(self, day: date) -> bool:
        return self.from_ <= day <= self.to


class HealthCheck(Model):
    """One check: to whom it applies, its window, its exemptions, its providers and its turnaround.

    The sample or examination starts at most `window_hours` before the anchor (departure, or arrival at the
    passenger's destination) and ends at least `closes_hours` before it; its result, `turnaround_hours` after
    it ends, is in before check-in closes. `providers` are testing sites (their slots, hours and daily capacity)
    that do this check and no other; `prerequisite` names a check whose result must be in before this one
    starts (e.g. a doctor's fitness clearance before a PCR sample)."""

    id: Code
    kind: CheckKind
    destinations: list[str] = Field(default_factory=list, max_length=200)  # empty: every destination
    period: CheckPeriod | None = None  # flights departing (local date) in it; None: every flight
    window_hours: int = Field(ge=1, le=24 * 365)
    closes_hours: int = Field(default=0, ge=0, le=24 * 365)
    anchor: Literal["departure", "arrival"] = "departure"
    turnaround_hours: int = Field(default=0, ge=0, le=24 * 30)
    robust_margin_hours: int = Field(default=0, ge=0, le=72)  # prefer slots a delay this long would not void
    exempt_under_years: int = Field(default=0, ge=0, le=18)
    exempt_vaccinated: bool = False  # a documented vaccination exempts (e.g. a vaccination check)
    providers: list[Code] = Field(default_factory=list, max_length=200)
    prerequisite: Code | None = None

    @model_validator(mode="after")
    def _window_opens_before_it_closes(self) -> HealthCheck:
        if self.closes_hours >= self.window_hours:
            raise ValueError(f"check {self.id}: closes_hours ({self.closes_hours}) must be below window_hours "
                             f"({self.window_hours})")
        for airport in self.destinations:
            if len(airport) != 3 or not airport.isupper():
                raise ValueError(f"check {self.id}: destination {airport!r} is not a three-letter airport code")
        return self

    def applies(self, destination: str, on: date) -> bool:
        """Whether a passenger to `destination` on a flight departing (local date) `on` needs this check."""
        if self.destinations and destination not in self.destinations:
            return False
        return self.period is None or self.period.contains(on)


class PersonSymptoms(Model):
    """The people file's columns about a symptomatic case (docs/health-checks.md#symptomatic-cases): the first
    day with symptoms, and the first day without them (empty while the person still has symptoms)."""

    symptom_onset: Day | None = None
    symptom_free_since: Day | None = None

    @model_validator(mode="after")
    def _free_after_onset(self) -> PersonSymptoms:
        if self.symptom_free_since is not None and self.symptom_onset is None:
            raise ValueError("symptom_free_since needs symptom_onset (the first day with symptoms)")
        if self.symptom_onset and self.symptom_free_since and self.symptom_free_since <= self.symptom_onset:
            raise ValueError("symptom_free_since must be after symptom_onset")
        return self


class HealthChecks(Model):
    """The protocol's health checks beyond the COVID-19 configuration (docs/health-checks.md)."""

    checks: list[HealthCheck] = Field(default_factory=list, max_length=50)
    #: `least_max_share`: among equally good bookings, the least maximum daily load share of any site
    #: (planner.rules.lab_peaks); unset: samples stay where the flow puts them.
    lab_peak_objective: Literal["least_max_share"] | None = None
    #: A symptomatic case is released `symptomatic_release_days` after symptom onset *and* after
    #: `symptom_free_days` days without symptoms (planner.rules.symptoms, WHO 2020 criteria).
    symptomatic_release_days: int = Field(default=10, ge=0, le=60)
    symptom_free_days: int = Field(default=3, ge=0, le=60)

    @model_validator(mode="after")
    def _consistent_checks(self) -> HealthChecks:
        ids = [c.id for c in self.checks]
        if len(ids) != len(set(ids)):
            raise ValueError("checks: ids must be unique")
        owner: dict[str, str] = {}
        for c in self.checks:
            if not c.providers:
                raise ValueError(f"check {c.id}: list its providers (testing sites that do this check)")
            for site in c.providers:
                if owner.setdefault(site, c.id) != c.id:
                    raise ValueError(f"checks {owner[site]} and {c.id} both name provider {site}; a provider does "
                                     "one check, so that each booking says which check it is")
        by_id = {c.id: c for c in self.checks}
        for c in self.checks:
            seen = {c.id}
            step = c
            while step.prerequisite is not None:
                if step.prerequisite not in by_id:
                    raise ValueError(f"check {step.id}: prerequisite {step.prerequisite} is not a check")
                if step.prerequisite in seen:
                    raise ValueError(f"check {c.id}: prerequisites go round in a circle")
                seen.add(step.prerequisite)
                step = by_id[step.prerequisite]
        return self

    def check_of_site(self) -> dict[str, str]:
        """Provider site id -> the id of the check it does."""
        return {site: c.id for c in self.checks for site in c.providers}
