"""Exit rows (docs/rules.md#exit-rows): who may not sit in an exit seat.

An exit seat is a seat of an exit row between the exit and the first aisle inboard (`Seat.exit`). Nobody may sit
there who is under `exit_row_min_age` (`protocol.seating`), in a household with a member under that age, a
special category, pregnant, carrying a lap infant, or not evacuation capable (14 CFR 121.585). Reason code:
`seating.no_fit` (the allocation's `non_exit_seats` limit); violation id: `exit.barred`.

Staffed exits (optional, `protocol.seating.staffed_exits`): each exit row with a usable exit seat has at least one
able-bodied adult (an adult who may sit in an exit seat) in one of its exit seats (docs/seating.md#comfort-and-
safety). Seating keeps it whenever the flight carries as many such adults as exit rows; with fewer, the check names
the shortage (the fix belongs to allocation). Violation id: `exit.staffed`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from planner.model.caseload import WHEELCHAIR_AISLE, Household, age_years
from planner.model.scenario import Person, SeatingRules
from planner.model.violations import Violation
from planner.rules.base import Context, Occupant, PlanCheck, SeatCheck, SeatContext, violation
from planner.rules.escorts import is_medical_case
from planner.rules.seats import free_seats
from planner.rules.special_categories import is_special_category
from planner.seating.seatmaps import Seat

REASON = "seating.no_fit"


def exit_barred(p: Person, household: Household, on: date, rules: SeatingRules, lap_carrier: bool) -> bool:
    """May not sit in an exit seat: under the exit-row age or with a household member under it, a special
    category, pregnant, carrying a lap infant, or not evacuation capable."""
    young = any(age_years(m.date_of_birth, on) < rules.exit_row_min_age for m in household.members)
    return (young or p.pregnant or not p.evacuation_capable or lap_carrier
            or is_special_category(p, household, on, False))


def barred_usage(household: Household, seated: list[Person], carriers: set[str], on: date,
                 rules: SeatingRules) -> int:
    """Seats outside exit rows a household needs: its barred members, plus whoever must sit beside one of them
    (the escort of each medical case or unaccompanied child, counted per case, and a wheelchair user's
    companion)."""
    barred = {p.case_id for p in seated if exit_barred(p, household, on, rules, p.case_id in carriers)}
    free_adults = sum(1 for p in seated if p.case_id not in barred and age_years(p.date_of_birth, on) >= 18)
    wheelchairs = sum(1 for p in seated if p.mobility in WHEELCHAIR_AISLE)
    escorted = sum(1 for p in seated if p.unaccompanied_minor or is_medical_case(p, household, on))
    return len(barred) + escorted + min(free_adults, wheelchairs)


def check_exit_count(ctx: Context) -> Iterator[Violation]:
    """Before seating: the passengers barred from exit seats fit in the non-exit seats."""
    rules = ctx.scenario.protocol.seating
    for fp, flight, _sm, free in free_seats(ctx):
        on = ctx.on(flight)
        carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of is not None}
        laps = {pa.person_id for pa in fp.passengers if pa.lap_of}  # once per flight, not once per passenger
        seated = [p for p in ctx.on_board(fp) if p.case_id not in laps]
        barred = sum(exit_barred(p, ctx.household_of[p.case_id], on, rules, p.case_id in carriers) for p in seated)
        non_exit = sum(1 for s in free if not s.exit)
        if barred > non_exit:
            yield violation("exit.barred", f"exit rows: {barred} passengers may not sit in an exit seat, "
                                           f"{non_exit} non-exit seats", fp.flight_id)


def _exit(ctx: SeatContext) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.exit and ctx.facts.occupants[pid].exit_barred:
            yield ctx.v("exit.barred", f"seat {seat.id} is an exit seat, and this passenger may not sit there "
                                       "(under the exit-row age, special category, pregnant, with a young household "
                                       "member, or not evacuation capable)", pid)


def staffs_exit(occ: Occupant) -> bool:
    """An able-bodied adult for a staffed exit row: an adult who may sit in an exit seat."""
    return occ.adult and not occ.exit_barred


def staffed_rows(seats: Iterable[Seat]) -> list[int]:
    """The exit rows that must be staffed: those with an exit seat among `seats` (the usable ones)."""
    return sorted({s.row for s in seats if s.exit})


def _staffed(ctx: SeatContext) -> Iterator[Violation]:
    if not ctx.scenario.protocol.seating.staffed_exits or not ctx.seat_of:
        return
    usable = [s for s in ctx.facts.seat_map.seats if s.id not in ctx.facts.unusable]
    rows = staffed_rows(usable)
    able = sum(1 for o in ctx.facts.occupants.values() if staffs_exit(o))
    staffed = {seat.row for pid, seat in ctx.seat_of.items() if seat.exit and staffs_exit(ctx.facts.occupants[pid])}
    short = f" (the flight carries {able} able-bodied adults for {len(rows)} exit rows)" if able < len(rows) else ""
    for r in rows:
        if r not in staffed:
            yield ctx.v("exit.staffed", f"exit row {r} has no able-bodied adult in an exit seat{short}")


CHECKS = (PlanCheck(("exit.barred",), check_exit_count),)
SEAT_CHECKS = (SeatCheck("exit.barred", _exit), SeatCheck("exit.staffed", _staffed))
