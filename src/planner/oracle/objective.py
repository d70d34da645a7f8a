"""The objective as an oracle: every level of docs/rules.md "Objective", scored from a plan and its scenario.

Nothing here calls solver code: the levels are recomputed from the plan, the scenario's rules (priority
weights, test windows) and the seat maps' geometry, so that a plan from any source gets the same score and
the values the solver reports about its own plan (`Plan.objective`) can be checked against it.

The weights live here, one place for the solver stages and the oracle alike (docs/rules.md "Objective").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from planner.model.caseload import Household, departure_date, household_weight, households
from planner.model.plan import FlightPlan, Plan, TestBooking
from planner.model.scenario import DestinationRule, Escort, Flight, Person, Scenario, local_date
from planner.rules.base import next_to
from planner.rules.escorts import is_medical_case
from planner.rules.zones import balance_tenths
from planner.seating.seatmaps import Seat, SeatMap, aircraft_spec, resolve_aircraft

W_UNPLACED = 1_000_000_000
"""Seating: per person left without a seat (ranked above every other seating term)."""
W_LEVEL2 = 100_000
"""Level 2: per unit of household spread (2 per extra row block, 1 per row between a household's ends)."""
NON_ROBUST_COST = 1_000
"""Level 4: per sample in a slot that a delay of `delay_margin_hours` would invalidate."""
COST_NOT_WINDOW = 3
"""Level 4: a single traveller away from the window."""
COST_NO_BASSINET = 2
"""Level 4: a lap-infant carrier outside a bassinet row, when the map has bassinet rows."""
COST_STRANGER_DISTANCED = 4
"""Level 4, under distancing: two returnees of different households in seats next to each other (where the
protocol's relations allow it, i.e. without `side`)."""
COST_AISLE_STRANGER = 1
"""Level 4: a returnee on an aisle seat with a returnee of another household in the seat next to them."""
COST_BALANCE = 1
"""Level 4: per tenth of a balance index unit of |Σ zone passengers × index per passenger| (aircraft zones)."""
COST_PER_DOOR_ROW = 1
"""Level 4: per row between the nearest door row and a reduced-mobility passenger, a medical case or an
unaccompanied child."""


@dataclass(frozen=True)
class Stability:
    """Level 3 against a previous plan: people on a flight there who keep flight and seat, who fly on
    another flight or seat, and who no longer fly."""

    kept: int = 0
    moved: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class Score:
    """A plan's objective, level by level (docs/rules.md "Objective"); flights departed before `as_of` are
    history and count in no level."""

    level1a: int  # Σ priority weight of the households flown
    level1b: int  # Σ weight × day index of their flight
    level2_spread: int  # Σ household spread in the cabins
    level3: Stability | None  # only against a previous plan
    level4_non_robust: int  # samples a delay would invalidate
    level4_seat_cost: int  # comfort costs of the seats taken

    @property
    def seating_cost(self) -> int:
        """Levels 2 and 4 of seating in the seating stage's own single number (without unplaced people)."""
        return W_LEVEL2 * self.level2_spread + self.level4_seat_cost


def _active(plan: Plan, scenario: Scenario) -> list[tuple[Flight, FlightPlan]]:
    """The plan's flights that have not departed, with their scenario flight."""
    flights = {f.id: f for f in scenario.flights}
    return [(flights[fp.flight_id], fp) for fp in plan.flights
            if fp.flight_id in flights and flights[fp.flight_id].departure >= scenario.as_of]


def level1(plan: Plan, scenario: Scenario) -> tuple[int, int]:
    """(1a, 1b): Σ weight of the households with a member on an active flight, Σ weight × the flight's day
    index (local departure date at the origin minus the local date of `as_of`)."""
    today = local_date(scenario.as_of, scenario.timezone)
    household_of = {p.case_id: p.household_id for p in scenario.people}
    day_of: dict[str, int] = {}
    for flight, fp in _active(plan, scenario):
        day = (departure_date(flight, scenario) - today).days
        for pa in fp.passengers:
            if pa.person_id in household_of:
                day_of[household_of[pa.person_id]] = day
    a = b = 0
    for hh in households(scenario):
        if hh.id in day_of:
            w = household_weight(hh, scenario)
            a += w
            b += w * day_of[hh.id]
    return a, b


def _spread(seats: list[Seat]) -> int:
    if len(seats) < 2:
        return 0
    blocks = {(s.row_index, s.block) for s in seats}
    rows = [s.row_index for s in seats]
    return 2 * (len(blocks) - 1) + max(rows) - min(rows)


def _door_rows(seat_map: SeatMap) -> list[int]:
    """Physical row indices of the door rows."""
    order = {r: i for i, r in enumerate(seat_map.rows)}
    return [order[r] for r in seat_map.door_rows if r in order]


def _seat_cost(person: Person, seat: Seat, seat_map: SeatMap, flight: Flight, single: bool,
               carries: bool, near_door: bool) -> int:
    """Level-4 cost of a returnee in a seat (docs/rules.md "Level 4: comfort and operations")."""
    cost = 0
    if single and not seat.window:
        cost += COST_NOT_WINDOW
    doors = _door_rows(seat_map)
    if near_door and doors:
        cost += COST_PER_DOOR_ROW * min(abs(seat.row_index - d) for d in doors)
    stops = [s.airport for s in flight.stops]
    if len(stops) > 1 and (person.destination not in stops or stops.index(person.destination) == 0):
        cost += seat.row_index
    if carries and seat_map.bassinet_rows and not seat.bassinet:
        cost += COST_NO_BASSINET
    return cost


def _strangers_cost(seated: list[tuple[Person, Seat]], distanced: bool) -> int:
    """Level 4: returnees of different households in seats next to each other, per pair: under distancing,
    and for each of the two on an aisle seat (docs/seating.md#comfort-and-safety)."""
    by_row: dict[int, list[tuple[Person, Seat]]] = {}
    for p, s in seated:
        by_row.setdefault(s.row_index, []).append((p, s))
    cost = 0
    for row in by_row.values():
        for i, (p, a) in enumerate(row):
            for q, b in row[i + 1:]:
                if p.household_id != q.household_id and next_to(a, b):
                    cost += (COST_STRANGER_DISTANCED if distanced else 0) + COST_AISLE_STRANGER * (a.aisle + b.aisle)
    return cost


def flight_seating(scenario: Scenario, flight: Flight, fp: FlightPlan) -> tuple[int, int]:
    """(level-2 spread, level-4 seat cost) of one flight's seats; people without a seat count in neither. The
    seat cost holds each returnee's seat, strangers side by side and the zones' balance (escorts counted)."""
    seat_map = resolve_aircraft(flight.aircraft, scenario)
    by_id = seat_map.by_id()
    people = {p.case_id: p for p in scenario.people}
    household = {p.case_id: h for h in households(scenario) for p in h.members}
    on = departure_date(flight, scenario)
    carriers = {pa.lap_of for pa in fp.passengers if pa.lap_of}
    seated: dict[str, list[tuple[Person, Seat]]] = {}
    for pa in fp.passengers:
        p = people.get(pa.person_id)
        if p is not None and pa.lap_of is None and pa.seat in by_id:
            seated.setdefault(p.household_id, []).append((p, by_id[pa.seat]))
    spread = cost = 0
    for members in seated.values():
        spread += _spread([s for _, s in members])
        single = len(members) == 1
        cost += sum(_seat_cost(p, s, seat_map, flight, single, p.case_id in carriers,
                               _near_door(p, household[p.case_id], on)) for p, s in members)
    everyone = [m for ms in seated.values() for m in ms]
    cost += _strangers_cost(everyone, bool(scenario.protocol.seating.distancing))
    cabin = [s for _, s in everyone] + [by_id[e.seat] for e in fp.escorts if e.seat in by_id]
    cost += COST_BALANCE * balance_tenths(aircraft_spec(flight.aircraft, scenario), cabin)
    return spread, cost


def _near_door(person: Person, household: Household, on: date) -> bool:
    """Reduced mobility, a medical case or an unaccompanied child: seated near a door (level 4)."""
    return person.mobility != "none" or person.unaccompanied_minor or is_medical_case(person, household, on)


def seating_levels(plan: Plan, scenario: Scenario) -> tuple[int, int]:
    """(level 2, level-4 seat cost) over the active flights."""
    spread = cost = 0
    for flight, fp in _active(plan, scenario):
        s, c = flight_seating(scenario, flight, fp)
        spread += s
        cost += c
    return spread, cost


def _anchor(rule: DestinationRule, flight: Flight, airport: str) -> datetime:
    if rule.anchor == "arrival":
        arrival = next((s.arrival for s in flight.stops if s.airport == airport), None)
        return arrival or flight.departure
    return flight.departure


def _robust_from(scenario: Scenario, flight: Flight, person: Person | None, escort: Escort | None
                 ) -> datetime | None:
    """The earliest sample start a delay of `delay_margin_hours` leaves valid (None: no test needed)."""
    margin = timedelta(hours=scenario.protocol.delay_margin_hours)
    destinations = scenario.protocol.destinations
    if person is not None:
        rule = destinations.get(person.destination)
        if rule is None or rule.test == "none":
            return None
        return _anchor(rule, flight, person.destination) - timedelta(hours=rule.window_hours) + margin
    starts = [_anchor(r, flight, s.airport) - timedelta(hours=r.window_hours)
              for s in flight.stops if (r := destinations.get(s.airport)) is not None and r.test != "none"
              and not (r.vaccinated_exempt and escort is not None and escort.vaccinated)]
    return max(starts) + margin if starts else None


def non_robust_samples(plan: Plan, scenario: Scenario) -> int:
    """Samples for active flights taken before their robust start (level 4)."""
    active = {fp.flight_id: (flight, fp) for flight, fp in _active(plan, scenario)}
    flight_of = {pa.person_id: fid for fid, (_, fp) in active.items() for pa in fp.passengers}
    people = {p.case_id: p for p in scenario.people}
    escorts = {e.id: e for e in scenario.escorts}
    count = 0
    other_checks = {site for c in scenario.protocol.checks for site in c.providers}  # docs/health-checks.md
    for b in plan.tests:
        fid = b.flight_id or (flight_of.get(b.person_id) if b.person_id else None)
        if fid not in active or b.site_id in other_checks:
            continue
        robust = _booking_robust_start(scenario, active[fid][0], b, people, escorts)
        if robust is not None and b.start < robust:
            count += 1
    return count


def _booking_robust_start(scenario: Scenario, flight: Flight, b: TestBooking, people: dict[str, Person],
                          escorts: dict[str, Escort]) -> datetime | None:
    if b.person_id is not None:
        person = people.get(b.person_id)
        return _robust_from(scenario, flight, person, None) if person is not None else None
    escort = escorts.get(b.escort_id or "")
    return _robust_from(scenario, flight, None, escort)


def stability(plan: Plan, previous: Plan, scenario: Scenario) -> Stability:
    """Level 3: people of the previous plan's active flights, kept (same flight and seat), moved or dropped."""
    now = {pa.person_id: (fp.flight_id, pa.seat) for fp in plan.flights for pa in fp.passengers}
    kept = moved = dropped = 0
    for _, fp in _active(previous, scenario):
        for pa in fp.passengers:
            where = now.get(pa.person_id)
            if where is None:
                dropped += 1
            elif where == (fp.flight_id, pa.seat):
                kept += 1
            else:
                moved += 1
    return Stability(kept, moved, dropped)


def score(plan: Plan, scenario: Scenario, previous: Plan | None = None) -> Score:
    """Every level of the objective of `plan` (level 3 only when a `previous` plan is given)."""
    a, b = level1(plan, scenario)
    spread, seat_cost = seating_levels(plan, scenario)
    return Score(level1a=a, level1b=b, level2_spread=spread,
                 level3=stability(plan, previous, scenario) if previous is not None else None,
                 level4_non_robust=non_robust_samples(plan, scenario), level4_seat_cost=seat_cost)
