"""What every rule family shares: the index of a scenario and plan that the checks read, and the check records.

A rule family (docs/rules.md) is one module of `planner.rules`: its parameters, the definitions the solver
stages use, its reason codes, and its checks. `CHECKS` are checks over the whole plan; `SEAT_CHECKS` (see
`planner.rules.occupants`) look at one seated flight. Every check names the violation ids it may report, and
the validator (`planner.oracle.validate`) refuses any other id, so the ids in docs/rules.md are the only ones.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from planner.model.caseload import Household, departure_date, households
from planner.model.plan import FlightPlan, Plan, Reason, TestBooking
from planner.model.scenario import Escort, Flight, Person, Scenario
from planner.model.violations import Violation
from planner.seating.seatmaps import Seat, SeatMap


@dataclass
class Context:
    """Indexes over the scenario and plan shared by every check.

    `previous` is the plan a re-plan started from (None: unknown). An empty plan means "a first plan:
    nothing may be carried over", which makes the past-booking and departed-flight rules exact.
    """

    scenario: Scenario
    plan: Plan
    previous: Plan | None = None
    people: dict[str, Person] = field(default_factory=dict)
    household_of: dict[str, Household] = field(default_factory=dict)
    flights: dict[str, Flight] = field(default_factory=dict)
    escorts: dict[str, Escort] = field(default_factory=dict)
    flight_of: dict[str, str] = field(default_factory=dict)
    plan_of: dict[str, FlightPlan] = field(default_factory=dict)
    bookings: dict[str, list[TestBooking]] = field(default_factory=dict)
    unassigned: dict[str, list[Reason]] = field(default_factory=dict)
    _serving: dict[str, list[Flight]] = field(default_factory=dict, repr=False)
    _boarded: dict[int, tuple[FlightPlan, list[Person]]] = field(default_factory=dict, repr=False)
    _departs_on: dict[str, date] = field(default_factory=dict, repr=False)
    #: (person, gate, date) -> whether the person fails the gate then: the reasons' checks ask it per person and
    #: flight, but it reads the flight only through its date (3.2 million asks, 30 s at 100,000 people)
    gate_fails_on: dict[tuple[str, str, date], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, scenario: Scenario, plan: Plan, previous: Plan | None = None) -> Context:
        ctx = cls(scenario, plan, previous)
        ctx.people = {p.case_id: p for p in scenario.people}
        ctx.household_of = {p.case_id: h for h in households(scenario) for p in h.members}
        ctx.flights = {f.id: f for f in scenario.flights}
        ctx.escorts = {e.id: e for e in scenario.escorts}
        for fp in plan.flights:
            ctx.plan_of.setdefault(fp.flight_id, fp)
            for pa in fp.passengers:
                ctx.flight_of.setdefault(pa.person_id, fp.flight_id)
        by: dict[str, list[TestBooking]] = defaultdict(list)
        for b in plan.tests:
            by[booking_key(b)].append(b)
        ctx.bookings = dict(by)
        for u in plan.unassigned:
            ctx.unassigned.setdefault(u.person_id, list(u.reasons))
        return ctx

    def known_flights(self) -> Iterator[tuple[FlightPlan, Flight]]:
        for fp in self.plan.flights:
            if fp.flight_id in self.flights:
                yield fp, self.flights[fp.flight_id]

    def departed(self, flight: Flight) -> bool:
        return flight.departure < self.scenario.as_of

    def on(self, flight: Flight) -> date:
        """The flight's local departure date: ages and documents are taken on it. Kept per flight id: a scenario's
        flight ids are unique (planner.io.scenario_checks refuses a duplicate before any plan is checked)."""
        on = self._departs_on.get(flight.id)
        if on is None:
            on = self._departs_on[flight.id] = departure_date(flight, self.scenario)
        return on

    def on_board(self, fp: FlightPlan) -> list[Person]:
        """The scenario's people on a flight of the plan (seated and lap infants). Listed once per flight plan,
        as a dozen checks ask for every flight; the list is shared, so read it only."""
        hit = self._boarded.get(id(fp))
        if hit is not None and hit[0] is fp:
            return hit[1]
        people = [self.people[pa.person_id] for pa in fp.passengers if pa.person_id in self.people]
        self._boarded[id(fp)] = (fp, people)
        return people

    def serving(self, destination: str) -> list[Flight]:
        """Flights not yet departed that stop at `destination`: the ones a reason must be given for."""
        if destination not in self._serving:  # asked once per unassigned person: thousands of times
            self._serving[destination] = sorted(
                (f for f in self.scenario.flights if not self.departed(f)
                 and any(s.airport == destination for s in f.stops)), key=lambda f: (f.departure, f.id))
        return self._serving[destination]


def booking_key(b: TestBooking) -> str:
    """A passenger's bookings by person id, an escort's by escort and flight (an escort flies several)."""
    return b.person_id or f"escort:{b.escort_id}:{b.flight_id}"


@dataclass(frozen=True)
class PlanCheck:
    """A check over the whole plan and the violation ids it may report."""

    ids: tuple[str, ...]
    check: Callable[[Context], Iterator[Violation]]


def violation(rule: str, message: str, flight_id: str | None = None, person_id: str | None = None) -> Violation:
    return Violation(rule=rule, message=message, flight_id=flight_id, person_id=person_id)


# ---------------------------------------------------------------- one seated flight


@dataclass(frozen=True)
class Occupant:
    """Someone who takes a seat on a flight (a returnee or an escort), with the facts the seating rules use."""

    id: str
    escort: bool
    household: str  # household_id, or "escort:<id>" for an escort
    age: int  # years at the local departure date (escorts: 99, they are adults by definition)
    adult: bool  # 18 or over
    child: bool = False  # under child_seating_age: sits near a household adult or their escort
    exit_barred: bool = False  # may not sit in an exit seat (docs/rules.md#exit-rows)
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
    _adults: dict[str, list[Occupant]] | None = field(default=None, init=False, repr=False)

    def household_adults(self, occ: Occupant) -> list[Occupant]:
        """The other adult returnees of the occupant's household on board, in occupant order (indexed by
        household on the first call: walking every occupant per child made checking a flight quadratic; the
        occupants are not changed once the facts are built)."""
        if self._adults is None:
            self._adults = {}
            for o in self.occupants.values():
                if not o.escort and o.adult:
                    self._adults.setdefault(o.household, []).append(o)
        return [o for o in self._adults.get(occ.household, ()) if o.id != occ.id]

    def partners(self, occ: Occupant) -> list[Occupant]:
        """Who a child may sit near, or sit next to a WCHC/WCHP passenger: household adults on board and the
        escorts who serve them."""
        return self.household_adults(occ) + [self.occupants[e] for e in occ.escorts if e in self.occupants]

    def companions(self, occ: Occupant) -> list[Occupant]:
        """Who may sit next to a WCHC/WCHP passenger: an escort serving them or a household adult."""
        return self.partners(occ)


@dataclass
class SeatContext:
    """One seated flight of a plan, as the seat-by-seat checks read it."""

    scenario: Scenario
    plan: FlightPlan
    facts: FlightFacts
    seat_of: dict[str, Seat]  # occupant id -> seat (only seats that exist)

    @property
    def fid(self) -> str:
        return self.plan.flight_id

    def v(self, rule: str, message: str, person: str | None = None) -> Violation:
        return Violation(rule=rule, message=message, flight_id=self.fid, person_id=person)


@dataclass(frozen=True)
class SeatCheck:
    """A seat-by-seat check of one seated flight, reporting under its one violation id."""

    id: str
    check: Callable[[SeatContext], Iterator[Violation]]


def next_to(a: Seat, b: Seat) -> bool:
    """Same row and block, adjacent position: "next to" for companions and escorts."""
    return a.row_index == b.row_index and a.block == b.block and abs(a.column - b.column) == 1


def across_aisle(a: Seat, b: Seat, layout: str) -> bool:
    """The two seats either side of one aisle (columns two apart with the aisle between)."""
    lo, hi = sorted((a.column, b.column))
    return hi - lo == 2 and layout[lo + 1] == " "
