"""A rough estimate of who could fly, used only to size seats, lab and escorts (never for planning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from planner.model.scenario import Person
from planner.synth.caseload import Household
from planner.synth.draws import age_on
from planner.synth.operation_2021 import RULES_2021


@dataclass
class Demand:
    seats: dict[str, int]  # destination -> seats needed by plannable households
    tests: dict[str, int]  # location -> tests needed by plannable households
    medical: int
    uasc: int
    plannable_people: int


def passes(p: Person, middle: date, last_day: date, isolation_days: int) -> bool:
    """Whether a person would clear the docs/rules.md#gates gates at mid-operation (sizing estimate only)."""
    blocked = (
        p.consent == "none"
        or p.document_type == "none"
        or not p.exit_cleared
        or p.fitness == "unfit"
        or (p.document_expiry is not None and p.document_expiry < middle)
        or (p.unaccompanied_minor and not (p.best_interests_approved and p.reception_contact))
        or (p.last_positive_test is not None
            and p.last_positive_test + timedelta(days=isolation_days) > last_day)
    )
    return not blocked


def estimate(households: list[Household], served: list[str], today: date, middle: date,
              last_day: date, isolation_days: int) -> Demand:
    """A rough view of who could fly: the gates of docs/rules.md#gates at mid-operation. Sizing only, not planning."""
    seats = dict.fromkeys(served, 0)
    tests: dict[str, int] = {}
    medical = uasc = plannable = 0
    for h in households:
        dest = h.members[0].destination
        if dest not in seats:
            continue
        if not all(passes(p, middle, last_day, isolation_days) for p in h.members):
            continue
        adults = sum(1 for p in h.members if age_on(p.date_of_birth, today) >= 18)
        infants = sum(1 for p in h.members if age_on(p.date_of_birth, today) < 2)
        seats[dest] += len(h.members) - min(adults, infants)
        rule = RULES_2021.get(dest, RULES_2021["BGW"])
        for p in h.members:
            age = age_on(p.date_of_birth, today)
            if age >= rule.exempt_under_years and not (rule.vaccinated_exempt and p.vaccinated):
                tests[p.location] = tests.get(p.location, 0) + 1
            if p.fitness == "fit_with_escort" or p.mobility == "STCR":
                medical += 1
            uasc += p.unaccompanied_minor
        plannable += len(h.members)
    return Demand(seats, tests, medical, uasc, plannable)
