"""Children next to an adult (docs/rules.md#children-next-to-an-adult).

A child under `child_seating_age` (`protocol.seating`) sits in the same row as an adult of their household or an
escort who serves them (either side of the aisle), or in the same seat block of the row directly ahead or
behind; a child with no such partner on the flight at all breaks the rule too. No reason code of its own: a
household whose child could have no partner is `seating.no_fit` (`without_partner`). Violation id:
`child.adult_nearby`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from planner.model.caseload import Household, age_years
from planner.model.scenario import Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, SeatCheck, SeatContext, violation
from planner.seating.seatmaps import Seat

REASON = "seating.no_fit"


def is_child(age: int, scenario: Scenario) -> bool:
    return age < scenario.protocol.seating.child_seating_age


def child_near(child: Seat, adult: Seat) -> bool:
    """Same row (either side of the aisle), or the same block of the row directly ahead or behind."""
    if child.row_index == adult.row_index:
        return True
    return abs(child.row_index - adult.row_index) == 1 and child.block == adult.block


def without_partner(household: Household, on: date, scenario: Scenario) -> list[str]:
    """Children of a household who could have no partner on board: under the seating age, with no household adult
    (18+), and not unaccompanied children (who fly with a UASC escort serving them). Such a household cannot be
    planned as it is."""
    if any(age_years(m.date_of_birth, on) >= 18 for m in household.members):
        return []
    return [m.case_id for m in household.members
            if is_child(age_years(m.date_of_birth, on), scenario) and not m.unaccompanied_minor]


def check_partner_on_board(ctx: Context) -> Iterator[Violation]:
    """Seated or not, every child under the seating age has a household adult or a serving escort on the flight."""
    age = ctx.scenario.protocol.seating.child_seating_age
    for fp, flight in ctx.known_flights():
        on = ctx.on(flight)
        adults = {p.household_id for p in ctx.on_board(fp) if age_years(p.date_of_birth, on) >= 18}
        served = {pid for e in fp.escorts for pid in e.serves}
        for p in ctx.on_board(fp):
            child = is_child(age_years(p.date_of_birth, on), ctx.scenario)
            if child and p.household_id not in adults and p.case_id not in served:
                yield violation("child.adult_nearby", f"a child under {age} with no household adult or escort "
                                                      "serving them on this flight", fp.flight_id, p.case_id)


def _child(ctx: SeatContext) -> Iterator[Violation]:
    """Seated: a partner on board sits near the child."""
    age = ctx.scenario.protocol.seating.child_seating_age
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if not occ.child or pid not in ctx.seat_of:
            continue
        partners = [o.id for o in ctx.facts.partners(occ) if o.id in ctx.seat_of]
        if partners and not any(child_near(ctx.seat_of[pid], ctx.seat_of[a]) for a in partners):
            yield ctx.v("child.adult_nearby", f"a child under {age} with no household adult or escort in the same "
                                              "row or the same block of the row directly ahead or behind", pid)


CHECKS = (PlanCheck(("child.adult_nearby",), check_partner_on_board),)
SEAT_CHECKS = (SeatCheck("child.adult_nearby", _child),)
