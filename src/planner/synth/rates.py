"""The shares that shape a synthetic caseload (docs/scenarios.md): one `Rates` per profile, and the texts
drawn for notes. All are synthetic guesses except where docs/scenarios.md cites a source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal


@dataclass(frozen=True)
class Rates:
    """Shares that shape a caseload; all synthetic guesses except where docs/scenarios.md cites a source."""

    households: Mapping[str, float]
    children: Mapping[int, float]
    consent_none_household: float
    consent_withdrawn_household: float
    consent_withdrawn_person: float
    consent_proxy_adult: float
    documents: Mapping[str, float]  # household profile: passport, etd, none, mixed
    passport_expired: float
    expiring_mid_operation: float
    etd_days: tuple[int, int]
    exit_refused_household: float
    exit_refused_person: float
    unfit: float
    fit_with_escort: float
    pending: float
    pregnant: float
    vaccinated_adult: float
    outbreak_household: float
    positive_person: float
    registered_days: tuple[int, int, int]  # triangular (low, high, mode) days before as_of
    uasc_bid_approved: float
    uasc_contact: float
    border_exposure: float
    infant_share: float


BORDER_2021 = Rates(
    households={"single_man": 0.36, "single_woman": 0.03, "couple": 0.07, "family": 0.36,
                "single_parent": 0.05, "extended": 0.06, "adults": 0.05, "uasc": 0.02},
    children={1: 0.2, 2: 0.25, 3: 0.22, 4: 0.17, 5: 0.1, 6: 0.06},
    consent_none_household=0.02, consent_withdrawn_household=0.01, consent_withdrawn_person=0.003,
    consent_proxy_adult=0.01,
    documents={"passport": 0.66, "etd": 0.285, "none": 0.04, "mixed": 0.015},
    passport_expired=0.008, expiring_mid_operation=0.01, etd_days=(14, 90),
    exit_refused_household=0.025, exit_refused_person=0.005,
    unfit=0.005, fit_with_escort=0.015, pending=0.12, pregnant=0.07, vaccinated_adult=0.22,
    outbreak_household=0.02, positive_person=0.004, registered_days=(1, 42, 12),
    uasc_bid_approved=0.7, uasc_contact=0.8, border_exposure=0.3, infant_share=0.3,
)

#: A curated IOM AVRR caseload a few days before departure: counselled, documented, cleared, mostly checked.
AVRR_2022 = replace(
    BORDER_2021,
    households={"single_man": 0.45, "single_woman": 0.03, "couple": 0.07, "family": 0.35,
                "single_parent": 0.04, "extended": 0.03, "adults": 0.03, "uasc": 0.0},
    children={1: 0.25, 2: 0.3, 3: 0.2, 4: 0.25},
    consent_none_household=0.0, consent_withdrawn_household=0.0, consent_withdrawn_person=0.0,
    consent_proxy_adult=0.01,
    documents={"passport": 0.35, "etd": 0.65, "none": 0.0, "mixed": 0.0},
    passport_expired=0.0, expiring_mid_operation=0.0, etd_days=(20, 60),
    exit_refused_household=0.0, exit_refused_person=0.0,
    unfit=0.0, fit_with_escort=0.01, pending=0.08, vaccinated_adult=0.45,
    outbreak_household=0.0, positive_person=0.0, registered_days=(20, 120, 90), border_exposure=0.35,
)

PROFILES = {"border": BORDER_2021, "avrr": AVRR_2022}
Profile = Literal["border", "avrr"]

PROXY_NOTES = (
    "Declaration signed by the spouse: person hospitalised in Hrodna",
    "Declaration signed by the adult son: person cannot give informed consent (dementia)",
    "Declaration signed by the brother: person under psychiatric care, assessed by IOM doctor",
)
UASC_PROXY_NOTE = "Declaration signed by the appointed guardian after the best-interests procedure"
RELATIVES = ("Paternal uncle", "Maternal uncle", "Older brother", "Grandmother", "Aunt", "Father")
TOWNS = {"EBL": ("Erbil", "Duhok", "Zakho", "Soran", "Akre"), "ISU": ("Sulaymaniyah", "Ranya", "Halabja"),
         "BGW": ("Baghdad", "Mosul", "Kirkuk", "Baqubah")}
