"""Special categories of passenger and able-bodied adults (docs/rules.md#special-categories-and-able-bodied-adults).

On each flight, special-category passengers ≤ able-bodied adults (EASA AMC1 CAT.OP.MPA.155); every escort is one
more able-bodied adult. Reason code: `capacity.special_categories`; violation id: `special_categories`; the
allocation's limit of the same name counts `balance` per household, with −1 per escort.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from planner.model.caseload import Household, age_years
from planner.model.scenario import Person
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.escorts import is_medical_case

REASON = "capacity.special_categories"


def is_special_category(person: Person, household: Household, on: date, lap_infant: bool) -> bool:
    """A lap infant, an unaccompanied child, anyone with reduced mobility, or a medical case."""
    return (lap_infant or person.unaccompanied_minor or person.mobility != "none"
            or is_medical_case(person, household, on))


def is_able_bodied_adult(person: Person, household: Household, on: date, carries_infant: bool) -> bool:
    """18 or over, not a special category, not pregnant, not carrying a lap infant, evacuation capable."""
    return (age_years(person.date_of_birth, on) >= 18 and not person.pregnant and not carries_infant
            and person.evacuation_capable and not is_special_category(person, household, on, False))


def balance(people: Iterable[tuple[Person, Household]], on: date, laps: set[str], carriers: set[str]
            ) -> tuple[int, int]:
    """(special categories, able-bodied adults) among `people`; `laps` ride on a lap, `carriers` hold one."""
    special = able = 0
    for p, hh in people:
        special += is_special_category(p, hh, on, p.case_id in laps)
        able += is_able_bodied_adult(p, hh, on, p.case_id in carriers)
    return special, able


def check_special_categories(ctx: Context) -> Iterator[Violation]:
    """Special categories ≤ able-bodied adults + escorts, per flight."""
    for fp, flight in ctx.known_flights():
        laps = {pa.person_id for pa in fp.passengers if pa.lap_of}
        carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of}
        people = [(p, ctx.household_of[p.case_id]) for p in ctx.on_board(fp)]
        special, able = balance(people, ctx.on(flight), laps, carriers)
        if special > able + len(fp.escorts):
            yield violation("special_categories", f"{special} special-category passengers > {able} able-bodied "
                                                  f"adults + {len(fp.escorts)} escorts (EASA AMC1 CAT.OP.MPA.155)",
                            fp.flight_id)


CHECKS = (PlanCheck(("special_categories",), check_special_categories),)
SEAT_CHECKS = ()
