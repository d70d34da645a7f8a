"""The seating rules of docs/rules.md#cabin-rules as an independent checker: `seating_violations(scenario, plan)`.

No solver code here: each rule is a small named function over the seats a plan gives, so the validator can
check any plan (ours, an officer's edit, a pinned seat) the same way. The facts each rule needs (who is a
child, who may sit in an exit row, who escorts whom) are derived here, once per flight, from the caseload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from math import ceil

from planner.model.caseload import (
    ESCORT_MOBILITY,
    WHEELCHAIR_AISLE,
    Household,
    age_months,
    age_years,
    departure_date,
    households,
    is_able_bodied_adult,
    is_medical_case,
    is_special_category,
)
from planner.model.plan import FlightPlan, Plan
from planner.model.scenario import Flight, Person, Scenario
from planner.model.violations import Violation
from planner.seating.seatmaps import Seat, SeatMap, SeatMapError, isolation_rows, resolve_aircraft

ESCORT_HOUSEHOLD = "escort:"


@dataclass(frozen=True)
class Occupant:
    """Someone who takes a seat on a flight (a returnee or an escort), with the facts the seating rules use."""

    id: str
    escort: bool
    household: str  # household_id, or "escort:<id>" for an escort
    age: int  # years at the local departure date (escorts: 99, they are adults by definition)
    adult: bool  # 18 or over
    child: bool = False  # under child_seating_age: sits near a household adult or their escort
    exit_barred: bool = False  # may not sit in an exit seat (docs/rules.md#exit-rows exit rows)
    wheelchair: bool = False  # WCHC/WCHP: aisle seat, companion next to them
    stretcher: bool = False  # STCR
    uasc: bool = False
    medical: bool = False  # a medical case (needs a medical escort)
    mobility: str = "none"
    infants: int = 0  # lap infants carried
    stop: int = 0  # index of the destination among the flight's stops (0 = first stop)
    escorts: tuple[str, ...] = ()  # escorts on this flight who serve this person
    role: str | None = None  # escort role
    serves: tuple[str, ...] = ()


@dataclass
class FlightFacts:
    """Everything about one flight's occupants that the seating rules and the seating solver need."""

    flight: Flight
    seat_map: SeatMap
    occupants: dict[str, Occupant]  # seated returnees and escorts, by id
    lap: dict[str, str]  # lap infant id -> carrier id (as the plan gives it)
    unusable: set[str]  # operator-blocked seats and rear isolation rows
    isolation: set[str]  # seats of the rear isolation rows
    carries_stretcher: bool
    persons: dict[str, Person] = field(default_factory=dict)
    special_categories: int = 0
    able_bodied: int = 0

    def household_adults(self, occ: Occupant) -> list[Occupant]:
        return [
            o
            for o in self.occupants.values()
            if not o.escort and o.household == occ.household and o.adult and o.id != occ.id
        ]

    def partners(self, occ: Occupant) -> list[Occupant]:
        """Who a child may sit near: household adults on board and the escorts who serve the child."""
        return self.household_adults(occ) + [self.occupants[e] for e in occ.escorts if e in self.occupants]

    def companions(self, occ: Occupant) -> list[Occupant]:
        """Who may sit next to a WCHC/WCHP passenger: an escort serving them or a household adult."""
        return self.partners(occ)

    def exempt(self, a: str, b: str) -> bool:
        """No distancing between members of one household, nor between an escort and whom they serve."""
        oa, ob = self.occupants[a], self.occupants[b]
        return oa.household == ob.household or b in oa.serves or a in ob.serves


def exit_barred(p: Person, household: Household, on, rules, lap_carrier: bool) -> bool:
    """Exit seats: never under exit_row_min_age, a special category, pregnant, an adult with a young household
    member, or not evacuation capable (14 CFR 121.585; EASA operator rules, docs/rules.md#exit-rows)."""
    young = any(age_years(m.date_of_birth, on) < rules.exit_row_min_age for m in household.members)
    return (
        young or p.pregnant or not p.evacuation_capable or lap_carrier or is_special_category(p, household, on, False)
    )


@dataclass(frozen=True)
class CaseIndex:
    """People and households of a scenario by id, built once per plan rather than once per flight (a caseload
    of thousands made the per-flight rebuild the bulk of checking a plan)."""

    people: dict[str, Person]
    households: dict[str, Household]


def case_index(scenario: Scenario) -> CaseIndex:
    return CaseIndex({p.case_id: p for p in scenario.people}, {h.id: h for h in households(scenario)})


def flight_facts(scenario: Scenario, flight_plan: FlightPlan, index: CaseIndex | None = None) -> FlightFacts:
    """Derive the seating facts of one flight of a plan (`index`: the scenario's case index, when at hand)."""
    flight = next(f for f in scenario.flights if f.id == flight_plan.flight_id)
    seat_map = resolve_aircraft(flight.aircraft, scenario)
    rules = scenario.protocol.seating
    on = departure_date(flight, scenario)
    index = index or case_index(scenario)
    people = index.people
    by_household = index.households
    stops = [s.airport for s in flight.stops]
    lap = {p.person_id: p.lap_of for p in flight_plan.passengers if p.lap_of is not None}
    infants_of: dict[str, int] = {}
    for carrier in lap.values():
        infants_of[carrier] = infants_of.get(carrier, 0) + 1
    served_by: dict[str, list[str]] = {}
    for e in flight_plan.escorts:
        for pid in e.serves:
            served_by.setdefault(pid, []).append(e.escort_id)
    roles = {e.id: e.role for e in scenario.escorts}
    occupants: dict[str, Occupant] = {}
    special = able = 0
    for entry in flight_plan.passengers:
        p = people.get(entry.person_id)
        if p is None:
            continue
        hh = by_household[p.household_id]
        if entry.person_id in lap:
            special += 1  # a lap infant is a special category and takes no seat
            continue
        age = age_years(p.date_of_birth, on)
        carrier = p.case_id in infants_of
        medical = is_medical_case(p, hh, on)
        occupants[p.case_id] = Occupant(
            id=p.case_id,
            escort=False,
            household=p.household_id,
            age=age,
            adult=age >= 18,
            child=age < rules.child_seating_age,
            exit_barred=exit_barred(p, hh, on, rules, carrier),
            wheelchair=p.mobility in WHEELCHAIR_AISLE,
            stretcher=p.mobility == "STCR",
            uasc=p.unaccompanied_minor,
            medical=medical,
            mobility=p.mobility,
            infants=infants_of.get(p.case_id, 0),
            stop=stops.index(p.destination) if p.destination in stops else 0,
            escorts=tuple(sorted(served_by.get(p.case_id, []))),
        )
        special += is_special_category(p, hh, on, False)
        able += is_able_bodied_adult(p, hh, on, carrier)
    for e in flight_plan.escorts:
        occupants[e.escort_id] = Occupant(
            id=e.escort_id,
            escort=True,
            household=ESCORT_HOUSEHOLD + e.escort_id,
            age=99,
            adult=True,
            role=roles.get(e.escort_id),
            serves=tuple(e.serves),
        )
        able += 1  # escorts count as able-bodied adults (docs/rules.md#cabin-rules)
    unusable = {s.id for s in seat_map.seats if s.blocked} | set(flight.blocked_seats)
    isolation: set[str] = set()
    if scenario.protocol.covid:
        rows = set(isolation_rows(seat_map, rules.isolation_rows_rear))
        isolation = {s.id for s in seat_map.seats if s.row in rows}
    return FlightFacts(
        flight=flight,
        seat_map=seat_map,
        occupants=occupants,
        lap=lap,
        unusable=unusable | isolation,
        isolation=isolation,
        carries_stretcher=any(o.stretcher for o in occupants.values()),
        persons={pid: people[pid] for pid in occupants if pid in people}
        | {pid: people[pid] for pid in lap if pid in people},
        special_categories=special,
        able_bodied=able,
    )


# ---------------------------------------------------------------- geometry, written out independently


def _next_to(a: Seat, b: Seat) -> bool:
    """Same row and block, adjacent position: "next to" for companions and escorts."""
    return a.row_index == b.row_index and a.block == b.block and abs(a.column - b.column) == 1


def _across(a: Seat, b: Seat, layout: str) -> bool:
    lo, hi = sorted((a.column, b.column))
    return hi - lo == 2 and layout[lo + 1] == " "


def related(a: Seat, b: Seat, relation: str, layout: str, across_on: bool) -> bool:
    """Whether seats a and b are neighbours under one distancing relation (docs/rules.md#cabin-rules)."""
    if relation == "side":
        return _next_to(a, b)
    if relation == "across-aisle":
        return a.row_index == b.row_index and _across(a, b, layout)
    consecutive = abs(a.row_index - b.row_index) == 1
    if relation == "front-back":
        return consecutive and a.letter == b.letter
    if relation == "diagonal":
        if not consecutive:
            return False
        lo, hi = sorted((a.column, b.column))
        return (hi - lo == 1 and layout[lo] != " " and layout[hi] != " ") or (across_on and _across(a, b, layout))
    raise ValueError(relation)


def stretcher_adjacent(seat: Seat, zone: set[str], seat_map: SeatMap) -> bool:
    """A seat outside the stretcher zone touching it: next to, across the aisle, or directly ahead/behind."""
    if seat.id in zone:
        return False
    for z in zone:
        other = seat_map.by_id().get(z)
        if other is None:
            continue
        if _next_to(seat, other) or (seat.row_index == other.row_index and _across(seat, other, seat_map.layout)):
            return True
        if abs(seat.row_index - other.row_index) == 1 and seat.column == other.column:
            return True
    return False


def child_near(child: Seat, adult: Seat) -> bool:
    """Same row (either side of the aisle), or the same block of the row directly ahead or behind."""
    if child.row_index == adult.row_index:
        return True
    return abs(child.row_index - adult.row_index) == 1 and child.block == adult.block


# ---------------------------------------------------------------- the rules


@dataclass
class Ctx:
    scenario: Scenario
    plan: FlightPlan
    facts: FlightFacts
    seat_of: dict[str, Seat]  # occupant id -> seat (only seats that exist)

    @property
    def fid(self) -> str:
        return self.plan.flight_id

    def v(self, rule: str, message: str, person: str | None = None) -> Violation:
        return Violation(rule=rule, message=message, flight_id=self.fid, person_id=person)


Rule = Callable[[Ctx], Iterator[Violation]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def _raw_seats(ctx: Ctx) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = [(p.person_id, p.seat) for p in ctx.plan.passengers if p.lap_of is None]
    return out + [(e.escort_id, e.seat) for e in ctx.plan.escorts]


@rule("seat.missing")
def _missing(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in _raw_seats(ctx):
        if seat is None:
            yield ctx.v("seat.missing", "has no seat on a flight that has been seated", pid)


@rule("seat.unknown")
def _unknown(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in _raw_seats(ctx):
        if seat is not None and seat not in ctx.facts.seat_map.by_id():
            yield ctx.v("seat.unknown", f"seat {seat} does not exist on {ctx.facts.seat_map.type}", pid)


@rule("seat.double")
def _double(ctx: Ctx) -> Iterator[Violation]:
    holders: dict[str, list[str]] = {}
    for pid, seat in _raw_seats(ctx):
        if seat is not None:
            holders.setdefault(seat, []).append(pid)
    for seat, ids in sorted(holders.items()):
        if len(ids) > 1:
            yield ctx.v(
                "seat.double", f"seat {seat} is given to {len(ids)} people: {', '.join(sorted(ids))}", sorted(ids)[1]
            )


@rule("seat.blocked")
def _blocked(ctx: Ctx) -> Iterator[Violation]:
    blocked = ctx.facts.unusable - ctx.facts.isolation
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in blocked:
            yield ctx.v("seat.blocked", f"seat {seat.id} is blocked by the operator", pid)


@rule("seat.isolation_row")
def _isolation(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in ctx.facts.isolation:
            yield ctx.v(
                "seat.isolation_row",
                f"seat {seat.id} is in a rear isolation row, which stays empty under COVID-19",
                pid,
            )


@rule("stretcher.zone")
def _stretcher_zone(ctx: Ctx) -> Iterator[Violation]:
    zone = set(ctx.facts.seat_map.stretcher_zone)
    cases = [pid for pid, s in sorted(ctx.seat_of.items()) if ctx.facts.occupants[pid].stretcher]
    for pid in cases:
        if not zone:
            yield ctx.v("stretcher.zone", f"stretcher case but {ctx.facts.seat_map.type} has no stretcher zone", pid)
        elif ctx.seat_of[pid].id not in zone:
            yield ctx.v(
                "stretcher.zone", f"stretcher case in seat {ctx.seat_of[pid].id}, outside the stretcher zone", pid
            )
    in_zone = [pid for pid in cases if ctx.seat_of[pid].id in zone]
    for pid in in_zone[1:]:
        yield ctx.v("stretcher.zone", "a second stretcher case in the same zone (one case per zone)", pid)


@rule("stretcher.zone_occupied")
def _zone_occupied(ctx: Ctx) -> Iterator[Violation]:
    if not ctx.facts.carries_stretcher:
        return
    zone = set(ctx.facts.seat_map.stretcher_zone)
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.id in zone and not ctx.facts.occupants[pid].stretcher:
            yield ctx.v(
                "stretcher.zone_occupied",
                f"seat {seat.id} is in the stretcher zone, blocked on a flight carrying a stretcher case",
                pid,
            )


@rule("stretcher.escort")
def _stretcher_escort(ctx: Ctx) -> Iterator[Violation]:
    zone = set(ctx.facts.seat_map.stretcher_zone)
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if not occ.stretcher or pid not in ctx.seat_of:
            continue
        medics = [e for e in occ.escorts if ctx.facts.occupants[e].role == "medical" and e in ctx.seat_of]
        if not any(stretcher_adjacent(ctx.seat_of[e], zone, ctx.facts.seat_map) for e in medics):
            yield ctx.v(
                "stretcher.escort",
                "no medical escort serving this stretcher case sits next to the zone"
                + ("" if medics else " (none serves them on this flight)"),
                pid,
            )


@rule("lap.carrier")
def _lap_carrier(ctx: Ctx) -> Iterator[Violation]:
    rules = ctx.scenario.protocol.seating
    on = departure_date(ctx.facts.flight, ctx.scenario)
    count: dict[str, int] = {}
    for infant, carrier in sorted(ctx.facts.lap.items()):
        count[carrier] = count.get(carrier, 0) + 1
        baby = ctx.facts.persons.get(infant)
        adult = ctx.facts.persons.get(carrier)
        if adult is None or carrier not in ctx.facts.occupants:
            yield ctx.v("lap.carrier", f"carried by {carrier}, who is not a seated passenger of this flight", infant)
            continue
        if baby is not None and age_months(baby.date_of_birth, on) >= rules.lap_infant_max_months:
            yield ctx.v(
                "lap.carrier",
                f"is {age_months(baby.date_of_birth, on)} months old at departure: only "
                f"infants under {rules.lap_infant_max_months} months travel on a lap",
                infant,
            )
        if baby is not None and adult.household_id != baby.household_id:
            yield ctx.v("lap.carrier", f"carrier {carrier} is not of the infant's household", infant)
        if age_years(adult.date_of_birth, on) < rules.lap_carrier_min_age:
            yield ctx.v("lap.carrier", f"carrier {carrier} is under {rules.lap_carrier_min_age}", infant)
        if count[carrier] == 2:
            yield ctx.v("lap.carrier", f"carrier {carrier} holds more than one infant (one infant per adult)", infant)


@rule("lap.mask_block")
def _mask_block(ctx: Ctx) -> Iterator[Violation]:
    limit = ctx.scenario.protocol.seating.infants_per_mask_block
    per_block: dict[int, list[str]] = {}
    for infant, carrier in sorted(ctx.facts.lap.items()):
        if carrier in ctx.seat_of:
            per_block.setdefault(ctx.seat_of[carrier].mask_block, []).append(infant)
    for b, infants in sorted(per_block.items()):
        if len(infants) > limit:
            seats = ", ".join(ctx.facts.seat_map.mask_blocks[b])
            yield ctx.v(
                "lap.mask_block",
                f"{len(infants)} lap infants in the mask block {seats} "
                f"(at most {limit}: one spare oxygen mask per block)",
                infants[limit],
            )


@rule("child.adult_nearby")
def _child(ctx: Ctx) -> Iterator[Violation]:
    age = ctx.scenario.protocol.seating.child_seating_age
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if not occ.child or pid not in ctx.seat_of:
            continue
        partners = [o.id for o in ctx.facts.partners(occ) if o.id in ctx.seat_of]
        if not any(child_near(ctx.seat_of[pid], ctx.seat_of[a]) for a in partners):
            yield ctx.v(
                "child.adult_nearby",
                f"a child under {age} with no household adult or escort in the same "
                "row or the same block of the row directly ahead or behind"
                + ("" if partners else " (none on this flight)"),
                pid,
            )


@rule("exit.barred")
def _exit(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        if seat.exit and ctx.facts.occupants[pid].exit_barred:
            yield ctx.v(
                "exit.barred",
                f"seat {seat.id} is an exit seat, and this passenger may not sit there "
                "(under the exit-row age, special category, pregnant, with a young household member, or not "
                "evacuation capable)",
                pid,
            )


@rule("mobility.aisle")
def _aisle(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        occ = ctx.facts.occupants[pid]
        if occ.wheelchair and not (seat.aisle and seat.armrest):
            yield ctx.v(
                "mobility.aisle",
                f"{occ.mobility} passenger in seat {seat.id}, which is not an aisle seat"
                + (" with a movable armrest" if seat.aisle else ""),
                pid,
            )


@rule("mobility.companion")
def _companion(ctx: Ctx) -> Iterator[Violation]:
    for pid, seat in sorted(ctx.seat_of.items()):
        occ = ctx.facts.occupants[pid]
        if not occ.wheelchair:
            continue
        near = [c.id for c in ctx.facts.companions(occ) if c.id in ctx.seat_of]
        if not any(_next_to(seat, ctx.seat_of[c]) for c in near):
            yield ctx.v(
                "mobility.companion",
                f"{occ.mobility} passenger with neither their escort nor a household adult in the seat next to them",
                pid,
            )


def _escort_next_to(ctx: Ctx, occ: Occupant, roles: tuple[str, ...]) -> bool:
    seat = ctx.seat_of[occ.id]
    return any(
        ctx.facts.occupants[e].role in roles and e in ctx.seat_of and _next_to(seat, ctx.seat_of[e])
        for e in occ.escorts
    )


@rule("uasc.escort_adjacent")
def _uasc(ctx: Ctx) -> Iterator[Violation]:
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if occ.uasc and pid in ctx.seat_of and not _escort_next_to(ctx, occ, ("uasc", "operational", "medical")):
            yield ctx.v(
                "uasc.escort_adjacent",
                "unaccompanied child not seated next to their escort"
                + ("" if occ.escorts else " (no escort serves them on this flight)"),
                pid,
            )


@rule("medical.escort_adjacent")
def _medical(ctx: Ctx) -> Iterator[Violation]:
    for pid, occ in sorted(ctx.facts.occupants.items()):
        if occ.medical and not occ.stretcher and pid in ctx.seat_of and not _escort_next_to(ctx, occ, ("medical",)):
            yield ctx.v("medical.escort_adjacent", "medical case not seated next to a medical escort serving them", pid)


@rule("special_categories.cap")
def _special(ctx: Ctx) -> Iterator[Violation]:
    f = ctx.facts
    if f.special_categories > f.able_bodied:
        yield ctx.v(
            "special_categories.cap",
            f"{f.special_categories} special-category passengers but only "
            f"{f.able_bodied} able-bodied adults (EASA AMC1 CAT.OP.MPA.155)",
        )


def _distancing(relation: str) -> Rule:
    def check(ctx: Ctx) -> Iterator[Violation]:
        rel = ctx.scenario.protocol.seating.distancing
        if relation not in rel:
            return
        across_on = "across-aisle" in rel
        layout = ctx.facts.seat_map.layout
        items = sorted(ctx.seat_of.items(), key=lambda kv: (kv[1].row_index, kv[1].column, kv[0]))
        for i, (a, sa) in enumerate(items):
            for b, sb in items[i + 1 :]:
                if sb.row_index > sa.row_index + 1:
                    break
                if related(sa, sb, relation, layout, across_on) and not ctx.facts.exempt(a, b):
                    yield ctx.v(
                        f"distancing.{relation.replace('-', '_')}",
                        f"seats {sa.id} and {sb.id} are {relation} neighbours but hold different households "
                        f"({a} and {b})",
                        b,
                    )

    return check


for _relation in ("side", "across-aisle", "front-back", "diagonal"):
    RULES[f"distancing.{_relation.replace('-', '_')}"] = _distancing(_relation)


def flight_violations(scenario: Scenario, flight_plan: FlightPlan, index: CaseIndex | None = None
                      ) -> list[Violation]:
    """Every seating rule broken on one flight of a plan."""
    try:
        facts = flight_facts(scenario, flight_plan, index)
    except SeatMapError as exc:
        return [Violation(rule="seat.unknown", message=str(exc), flight_id=flight_plan.flight_id)]
    by_id = facts.seat_map.by_id()
    seat_of = {
        pid: by_id[s]
        for pid, s in _raw_seats(Ctx(scenario, flight_plan, facts, {}))
        if s is not None and s in by_id and pid in facts.occupants
    }
    ctx = Ctx(scenario, flight_plan, facts, seat_of)
    out: list[Violation] = []
    for fn in RULES.values():
        out.extend(fn(ctx))
    return out


def seating_violations(scenario: Scenario, plan: Plan, index: CaseIndex | None = None) -> list[Violation]:
    """Check every seating rule of docs/rules.md#cabin-rules on the flights of `plan` whose seats are set."""
    out: list[Violation] = []
    ids = {f.id for f in scenario.flights}
    index = index or case_index(scenario)
    for fp in sorted(plan.flights, key=lambda f: f.flight_id):
        if fp.flight_id not in ids:
            continue
        seated = any(p.seat is not None for p in fp.passengers) or any(e.seat is not None for e in fp.escorts)
        ran = plan.stages.seating is not None and fp.flight_id in plan.stages.seating
        if seated or ran:
            out.extend(flight_violations(scenario, fp, index))
    return out


def escorts_needed(seated: int, laps: int, medical: int, uasc: int, scenario: Scenario) -> dict[str, int]:
    """Escort counts docs/rules.md#cabin-rules asks for (shown on the seat map legend)."""
    r = scenario.protocol.escorts
    return {
        "operational": ceil((seated + laps) / r.operational_per_passengers),
        "medical": ceil(medical / r.medical_per_cases),
        "uasc": ceil(uasc / r.uasc_per_escort),
    }


__all__ = ["ESCORT_MOBILITY", "RULES", "CaseIndex", "FlightFacts", "Occupant", "case_index", "flight_facts",
           "seating_violations"]
