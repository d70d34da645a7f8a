"""A synthetic person's health: fitness to fly, mobility, vulnerabilities, pregnancy, vaccination and the
last test, drawn with the profile's rates (older people are more often unfit or need a wheelchair).

The draws run in a fixed order, one after the other, on the run's single `random.Random`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from planner.model.health_checks import HealthCheck
from planner.model.scenario import Scenario, TestingSite
from planner.synth.draws import at
from planner.synth.households import Member
from planner.synth.rates import Rates

#: Mobility codes and their share among people under 60 (ten times that from 60, except stretchers).
MOBILITY_SHARES = (("WCHR", 0.006), ("WCHS", 0.002), ("WCHC", 0.001), ("WCHP", 0.001), ("STCR", 0.0004))


@dataclass(frozen=True)
class Outbreak:
    """Whether the person's household had an outbreak, and the day it was found."""

    happened: bool
    day: date


def draw_health(rng: random.Random, rates: Rates, member: Member, age: int, border: bool, outbreak: Outbreak,
                today: date, tz: str) -> dict[str, object]:
    """Person fields for health: fitness, mobility, vulnerabilities, pregnancy, vaccination, last test."""
    elder = age >= 60
    codes: list[str] = []
    out: dict[str, object] = {"fitness": _fitness(rng, rates, elder)}
    if out["fitness"] == "fit_with_escort":
        codes.append("medical")
    _mobility(rng, age, elder, out, codes)
    codes += _vulnerabilities(rng, rates, member, age, elder, border)
    if codes:
        out["vulnerabilities"] = sorted(set(codes))
    if member.sex == "F" and 18 <= age <= 42 and member.role in ("spouse", "head", "adult") \
            and rng.random() < rates.pregnant * (1 if member.role == "spouse" else 0.3):
        out["pregnant"] = True
    if age >= 18:
        out["vaccinated"] = rng.random() < rates.vaccinated_adult * (1.5 if elder else 1)
    elif age >= 12:
        out["vaccinated"] = rng.random() < 0.05
    out.update(_last_test(rng, rates, outbreak, today, tz))
    return out


def _fitness(rng: random.Random, rates: Rates, elder: bool) -> str:
    """Fitness to fly; unfit and escort-needing are five times as likely from 60."""
    roll = rng.random()
    scale = 5 if elder else 1
    if roll < rates.unfit * scale:
        return "unfit"
    if roll < (rates.unfit + rates.fit_with_escort) * scale:
        return "fit_with_escort"
    if roll < (rates.unfit + rates.fit_with_escort) * scale + rates.pending:
        return "pending"
    return "fit"


def _mobility(rng: random.Random, age: int, elder: bool, out: dict[str, object], codes: list[str]) -> None:
    """A mobility code (none for infants, who are carried); wheelchairs beyond WCHR cannot evacuate alone, and a
    stretcher needs a medical escort."""
    roll = rng.random()
    mobility = "none"
    for code, share in MOBILITY_SHARES:
        if roll < share * (10 if elder and code != "STCR" else 1):
            mobility = code
            break
        roll -= share * (10 if elder and code != "STCR" else 1)
    if age < 2:
        mobility = "none"
    if mobility == "none":
        return
    out["mobility"] = mobility
    if mobility in ("WCHC", "WCHP", "STCR") or rng.random() < 0.3:
        codes.append("disability")
    if mobility != "WCHR":
        out["evacuation_capable"] = False
    if mobility == "STCR":
        out["fitness"] = "fit_with_escort"
        codes.append("medical")


def _vulnerabilities(rng: random.Random, rates: Rates, member: Member, age: int, elder: bool,
                     border: bool) -> list[str]:
    """Vulnerability codes other than mobility: medical, border exposure, trafficking, torture."""
    codes: list[str] = []
    if rng.random() < (0.2 if elder else 0.03):
        codes.append("medical")
    if age >= 2 and rng.random() < rates.border_exposure * (1 if border else 0.5):
        codes.append("border_exposure")
    if age >= 16 and rng.random() < (0.008 if member.sex == "F" else 0.002):
        codes.append("trafficking")
    if age >= 18 and rng.random() < 0.004:
        codes.append("torture")
    return codes


def _last_test(rng: random.Random, rates: Rates, outbreak: Outbreak, today: date, tz: str) -> dict[str, object]:
    """A recent positive test (most of an outbreak household, and a few others), or now and then a recent
    negative or pending one."""
    out: dict[str, object] = {}
    positive = (outbreak.happened and rng.random() < 0.6) or rng.random() < rates.positive_person
    if positive:
        day = outbreak.day if outbreak.happened else today - timedelta(days=rng.randint(0, 20))
        out["last_positive_test"] = day
        out["last_test_sample"] = at(day, time(10, rng.randrange(0, 60, 5)), tz)
        out["last_test_result"] = "positive"
    elif rng.random() < 0.04:
        day = today - timedelta(days=rng.randint(1, 12))
        out["last_test_sample"] = at(day, time(rng.randint(8, 17), 0), tz)
        out["last_test_result"] = "pending" if day >= today - timedelta(days=1) else "negative"
    return out


# ---------------------------------------------------------------- a fit-to-travel examination (docs/health-checks.md)

#: The fit-to-travel examination of the synthetic operations: 24-72 h before departure, its certificate an hour
#: after the examination (docs/health-checks.md, "A fit-to-travel variant").
FIT_TO_TRAVEL = {"id": "FIT-TO-TRAVEL", "kind": "fit_to_travel", "window_hours": 72, "closes_hours": 24,
                 "turnaround_hours": 1}


def fit_to_travel_clinics(scenario: Scenario, ratio: float = 1.5) -> list[TestingSite]:
    """One examination clinic beside each testing site, serving the same locations on the same days, open
    09:00-17:00 in 60-minute slots, its daily capacity `ratio` times the site's people per flight day (everyone
    is examined: no age or vaccination exemption)."""
    count: dict[str, int] = {}
    for p in scenario.people:
        count[p.location] = count.get(p.location, 0) + 1
    flight_days = len({f.departure.date() for f in scenario.flights}) or 1
    clinics = []
    for site in sorted(scenario.testing_sites, key=lambda s: s.id):
        people = sum(count.get(loc, 0) for loc in site.serves)
        daily = max(4, math.ceil(people / flight_days * ratio))
        clinics.append(TestingSite(id=f"{site.id.removesuffix('-LAB')}-CLINIC", serves=list(site.serves),
                                   days=site.days, open=time(9, 0), close=time(17, 0), slot_minutes=60,
                                   capacity_per_slot=math.ceil(daily / 8), daily_capacity=daily))
    return clinics


def with_fit_to_travel(scenario: Scenario, covid: bool = True, ratio: float = 1.5, smooth: bool = True
                       ) -> Scenario:
    """The scenario with a fit-to-travel examination for every passenger at clinics of its own (and, with
    `covid=False`, without the COVID-19 tests; with `smooth`, lab peaks smoothed, planner.rules.lab_peaks): the
    benchmark's and the variant's health checks."""
    clinics = fit_to_travel_clinics(scenario, ratio)
    check = HealthCheck.model_validate({**FIT_TO_TRAVEL, "providers": [c.id for c in clinics]})
    protocol = scenario.protocol.model_copy(update={
        "covid": covid and scenario.protocol.covid, "checks": [*scenario.protocol.checks, check],
        "lab_peak_objective": "least_max_share" if smooth else scenario.protocol.lab_peak_objective})
    return scenario.model_copy(update={"protocol": protocol, "testing_sites": [*scenario.testing_sites, *clinics]})
