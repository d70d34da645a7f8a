"""Lap infants and mask blocks (docs/rules.md#lap-infants-and-mask-blocks).

A child under `lap_infant_max_months` at departure may ride on the lap of an adult of their household aged at
least `lap_carrier_min_age` and without reduced mobility, one infant per adult; at most
`infants_per_mask_block` lap infants per mask block (`protocol.seating`). Reason code: `capacity.infants`.
Violation ids: `lap.carrier` (who carries whom) and `lap.mask_block` (the block count before seating, the
blocks themselves after).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from datetime import date

from planner.model.caseload import Household, age_months, age_years
from planner.model.plan import FlightPlan
from planner.model.scenario import Flight, Person, Scenario, SeatingRules
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, SeatCheck, SeatContext, violation
from planner.rules.seats import free_seats
from planner.seating.seatmaps import SeatMap

REASON = "capacity.infants"


def is_lap_age(person: Person, on: date, scenario: Scenario) -> bool:
    return age_months(person.date_of_birth, on) < scenario.protocol.seating.lap_infant_max_months


def may_carry(adult: Person, infant: Person, on: date, rules: SeatingRules) -> bool:
    """An adult may hold this infant: same household, old enough, no reduced mobility (the planner's pairing
    and the validator both ask this)."""
    return (adult.case_id != infant.case_id and adult.household_id == infant.household_id
            and age_years(adult.date_of_birth, on) >= rules.lap_carrier_min_age and adult.mobility == "none")


def lap_pairs(household: Household, on: date, scenario: Scenario) -> dict[str, str]:
    """Lap infants of a household mapped to their carrying adult (one infant per adult).

    The youngest infant is placed first, women carry first; an infant with no free lap takes a seat.
    """
    infants = sorted((p for p in household.members if is_lap_age(p, on, scenario)),
                     key=lambda p: (p.date_of_birth, p.case_id), reverse=True)
    rules = scenario.protocol.seating
    carriers = [p for p in household.members if infants and may_carry(p, infants[0], on, rules)]
    carriers.sort(key=lambda p: (p.sex != "F", p.case_id))
    return {inf.case_id: adult.case_id for inf, adult in zip(infants, carriers, strict=False)}


def usable_mask_blocks(seat_map: SeatMap, carrier_seats: Collection[str]) -> int:
    """Mask blocks with at least one seat a carrier may take."""
    return sum(1 for blk in seat_map.mask_blocks if any(sid in carrier_seats for sid in blk))


def lap_limit(seat_map: SeatMap, carrier_seats: Collection[str], rules: SeatingRules) -> int:
    """How many lap infants a cabin takes: usable mask blocks × `infants_per_mask_block`."""
    return usable_mask_blocks(seat_map, carrier_seats) * rules.infants_per_mask_block


# ---------------------------------------------------------------- checks


def _carrier_problems(ctx: Context, fp: FlightPlan, flight: Flight) -> Iterator[Violation]:
    rules = ctx.scenario.protocol.seating
    on = ctx.on(flight)
    on_board = {pa.person_id: pa for pa in fp.passengers}
    carried: Counter[str] = Counter()
    for pa in fp.passengers:
        infant = ctx.people.get(pa.person_id)
        if pa.lap_of is None or infant is None:
            continue
        adult = ctx.people.get(pa.lap_of)
        if pa.seat is not None:
            yield violation("lap.carrier", "a lap infant has a seat", fp.flight_id, pa.person_id)
        if age_months(infant.date_of_birth, on) >= rules.lap_infant_max_months:
            yield violation("lap.carrier", f"not under {rules.lap_infant_max_months} months at departure",
                            fp.flight_id, pa.person_id)
        if adult is None or pa.lap_of not in on_board or on_board[pa.lap_of].lap_of is not None:
            yield violation("lap.carrier", f"carrier {pa.lap_of} is not a seated passenger of this flight",
                            fp.flight_id, pa.person_id)
            continue
        if not may_carry(adult, infant, on, rules):
            yield violation("lap.carrier", f"carrier {adult.case_id} may not hold them (an adult of the infant's "
                                           f"household, {rules.lap_carrier_min_age} or over, without reduced "
                                           "mobility)", fp.flight_id, pa.person_id)
        carried[adult.case_id] += 1
    for adult_id, n in sorted(carried.items()):
        if n > 1:
            yield violation("lap.carrier", f"carries {n} infants (one per adult)", fp.flight_id, adult_id)


def check_carriers(ctx: Context) -> Iterator[Violation]:
    """Lap infants are of lap age and ride on a household adult who may carry them, one each."""
    for fp, flight in ctx.known_flights():
        yield from _carrier_problems(ctx, fp, flight)


def check_mask_block_count(ctx: Context) -> Iterator[Violation]:
    """Before seating: lap infants ≤ usable mask blocks × the per-block limit (seated flights: `_mask_block`)."""
    rules = ctx.scenario.protocol.seating
    for fp, _flight, sm, free in free_seats(ctx):
        laps = sum(1 for pa in fp.passengers if pa.lap_of)
        non_exit = {s.id for s in free if not s.exit}
        if laps > lap_limit(sm, non_exit, rules):
            yield violation("lap.mask_block", f"mask blocks: {laps} lap infants, {usable_mask_blocks(sm, non_exit)} "
                                              f"usable mask blocks × {rules.infants_per_mask_block} infant(s) each",
                            fp.flight_id)


def _mask_block(ctx: SeatContext) -> Iterator[Violation]:
    """At most `infants_per_mask_block` lap infants in one mask block (one spare oxygen mask per block)."""
    limit = ctx.scenario.protocol.seating.infants_per_mask_block
    per_block: dict[int, list[str]] = {}
    for infant, carrier in sorted(ctx.facts.lap.items()):
        if carrier in ctx.seat_of:
            per_block.setdefault(ctx.seat_of[carrier].mask_block, []).append(infant)
    for b, infants in sorted(per_block.items()):
        if len(infants) > limit:
            seats = ", ".join(ctx.facts.seat_map.mask_blocks[b])
            yield ctx.v("lap.mask_block", f"{len(infants)} lap infants in the mask block {seats} "
                                          f"(at most {limit}: one spare oxygen mask per block)", infants[limit])


CHECKS = (PlanCheck(("lap.carrier",), check_carriers), PlanCheck(("lap.mask_block",), check_mask_block_count))
SEAT_CHECKS = (SeatCheck("lap.mask_block", _mask_block),)
