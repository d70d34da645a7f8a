"""Facts derived from the caseload: ages, households, vulnerabilities and priority weights.

Everything here is a pure function of the scenario (and a flight's departure date where ages matter), so the
solver, the greedy baseline, the validator and the explanations all derive the same facts. What a rule says about
a person (lap infant, medical case, special category) lives with its rule family in `planner.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from planner.io.airports import airport
from planner.model.scenario import Flight, Person, Scenario, local_date

WHEELCHAIR_AISLE = ("WCHC", "WCHP")


def age_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_months(born: date, on: date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


def departure_date(flight: Flight, scenario: Scenario) -> date:
    """The local departure date at the origin: ages and document validity are taken on it
    (docs/architecture.md#time-dates-and-identity)."""
    origin = airport(flight.origin)
    return local_date(flight.departure, origin.timezone if origin else scenario.timezone)


@dataclass(frozen=True)
class Household:
    id: str
    members: tuple[Person, ...]

    @property
    def destination(self) -> str:
        return self.members[0].destination

    @property
    def size(self) -> int:
        return len(self.members)

    @cached_property
    def member_ids(self) -> tuple[str, ...]:
        return tuple(p.case_id for p in self.members)


_grouped: tuple[tuple[int, ...], list[Household]] | None = None


def households(scenario: Scenario) -> list[Household]:
    """Households in id order, members in case_id order.

    Stages, the seating checker and the validator all ask for them, a hundred times per solve at 7,000
    people; the last grouping is reused while the people list holds the same Person objects (the cache keeps
    them alive, so their ids cannot be reused; members are the objects themselves, so edits show through)."""
    global _grouped
    key = tuple(map(id, scenario.people))
    if _grouped is None or _grouped[0] != key:
        groups: dict[str, list[Person]] = {}
        for p in scenario.people:
            groups.setdefault(p.household_id, []).append(p)
        _grouped = key, [Household(hid, tuple(sorted(ms, key=lambda p: p.case_id)))
                         for hid, ms in sorted(groups.items())]
    return list(_grouped[1])


def derived_vulnerabilities(person: Person, household: Household, scenario: Scenario) -> list[str]:
    """Typed codes plus those derived from the data at `as_of` (elderly, pregnant, UASC, single parent, infant)."""
    return household_vulnerabilities(household, scenario)[person.case_id]


def household_vulnerabilities(household: Household, scenario: Scenario) -> dict[str, list[str]]:
    """`derived_vulnerabilities` of every member (case_id -> sorted codes), the members' ages taken once: the
    single-parent rule reads the whole household, so member by member it was quadratic in the household."""
    on = local_date(scenario.as_of, scenario.timezone)
    elderly_age = scenario.protocol.weights.elderly_age
    ages = [age_years(m.date_of_birth, on) for m in household.members]
    adults = [m.case_id for m, age in zip(household.members, ages, strict=True) if age >= 18]
    single_parent = adults[0] if len(adults) == 1 and len(household.members) - 1 >= 2 else None
    out: dict[str, list[str]] = {}
    for person, age in zip(household.members, ages, strict=True):
        codes = set(person.vulnerabilities)
        if age >= elderly_age:
            codes.add("elderly")
        if person.pregnant:
            codes.add("pregnant")
        if person.unaccompanied_minor:
            codes.add("uasc")
        if age < 2 and age_months(person.date_of_birth, on) < 24:
            codes.add("infant")
        if person.case_id == single_parent:
            codes.add("single_parent")
        out[person.case_id] = sorted(codes)
    return out


def household_weight(household: Household, scenario: Scenario) -> int:
    """Integer priority weight of docs/rules.md#priority-weights level 1: members' base + vulnerability points +
    waiting weeks."""
    w = scenario.protocol.weights
    total = 0
    for codes in household_vulnerabilities(household, scenario).values():
        total += w.base + sum(w.vulnerability.get(c, 0) for c in codes)
    registered = [p.registered_on for p in household.members if p.registered_on is not None]
    if registered:
        waited = (local_date(scenario.as_of, scenario.timezone) - min(registered)).days
        total += max(0, waited) // 7 * w.per_week
    return total

