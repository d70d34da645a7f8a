"""The plan of an allocation before seating: flights with their passengers, escorts and whom they serve, and
the test bookings of the test-slot stage (docs/architecture.md#plan-json)."""

from __future__ import annotations

from planner.allocation.greedy import Allocation
from planner.allocation.problem import AllocationProblem
from planner.allocation.slot_booking import book_slots, solve_flow, test_demand
from planner.model.caseload import departure_date
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan, ScenarioRef, Stages, TestBooking
from planner.rules.escorts import is_medical_case
from planner.whatif.replan import Carried, kept_bookings


def _serves(escorts: list[str], roles: dict[str, str], queues: dict[str, tuple[list[str], int]],
            before: dict[str, list[str]]) -> dict[str, list[str]]:
    """Whom each escort serves: in a re-plan everyone keeps the escort they had (so kept seats still sit beside
    their escort, docs/rules.md#re-plan-stability), then the cases left are shared in order among escorts of the role
    with room."""
    out: dict[str, list[str]] = {eid: [] for eid in escorts}
    left = {role: list(queue) for role, (queue, _) in queues.items()}
    for eid in escorts:
        role = roles[eid]
        if role not in queues:
            continue
        per = queues[role][1]
        mine = [p for p in before.get(eid, []) if p in left[role]][:per]
        out[eid] = mine
        left[role] = [p for p in left[role] if p not in mine]
    for eid in escorts:
        role = roles[eid]
        if role not in queues:
            continue
        room = queues[role][1] - len(out[eid])
        if room > 0:
            out[eid] = out[eid] + left[role][:room]
            left[role] = left[role][room:]
    return out


def _carriers_apart(cases: list[str], carriers: set[str], per: int) -> list[str]:
    """The medical cases in the order escorts take them (`per` each), no two lap-infant carriers with one escort
    while there are cases without an infant to pair them with. A medical escort sits beside each case it serves,
    so its two cases share its mask block, which takes one lap infant (docs/rules.md#lap-infants-and-mask-blocks):
    two carriers with one escort could be seated nowhere, and both households lost their flight."""
    holding = [p for p in cases if p in carriers]
    if per < 2 or not holding:
        return cases
    others = [p for p in cases if p not in carriers]
    out: list[str] = []
    while holding or others:
        if holding:
            out.append(holding.pop(0))
        out += others[: per - 1]
        others = others[per - 1:]
    return out


def _flight_plans(problem: AllocationProblem, alloc: Allocation,
                  served_before: dict[str, dict[str, list[str]]] | None = None) -> list[FlightPlan]:
    """Flight plans of an allocation; `served_before` (flight -> escort -> people) keeps escort pairings."""
    served_before = served_before or {}
    scenario = problem.scenario
    infos = problem.infos
    rules = scenario.protocol.escorts
    by_flight: dict[str, list[str]] = {}
    for hid, fid in alloc.flight_of.items():
        by_flight.setdefault(fid, []).append(hid)
    out = []
    for f in problem.flights:
        fid = f.flight.id
        on = departure_date(f.flight, scenario)
        passengers: list[Passenger] = []
        provisional: list[str] = []
        medical: list[str] = []
        uasc: list[str] = []
        for hid in sorted(by_flight.get(fid, [])):
            info = infos[hid]
            laps = dict(info.options[fid].laps)
            for p in info.household.members:
                passengers.append(Passenger(person_id=p.case_id, lap_of=laps.get(p.case_id)))
                if p.fitness == "pending":
                    provisional.append(p.case_id)
                if is_medical_case(p, info.household, on):
                    medical.append(p.case_id)
                if p.unaccompanied_minor:
                    uasc.append(p.case_id)
        on_board = sorted(alloc.escorts_on.get(fid, []))
        carriers = {pa.lap_of for pa in passengers if pa.lap_of}
        served = _serves(on_board, {e.id: e.role for e in problem.escorts},
                         {"medical": (_carriers_apart(medical, carriers, rules.medical_per_cases),
                                      rules.medical_per_cases),
                          "uasc": (uasc, rules.uasc_per_escort)},
                         served_before.get(fid, {}))
        escorts = [EscortOnBoard(escort_id=eid, serves=served[eid]) for eid in on_board]
        out.append(FlightPlan(flight_id=fid, passengers=sorted(passengers, key=lambda x: x.person_id),
                              escorts=escorts, provisional=sorted(provisional)))
    return out


def _tests_of(plan: Plan, fp: FlightPlan) -> list[TestBooking]:
    people = {pa.person_id for pa in fp.passengers}
    escorts = {e.escort_id for e in fp.escorts}
    return [b for b in plan.tests
            if b.person_id in people or (b.escort_id in escorts and b.flight_id in (None, fp.flight_id))]


def draft(problem: AllocationProblem, alloc: Allocation, carried: Carried | None, previous: Plan | None,
          household_of: dict[str, str], prior: dict[str, FlightPlan], ref: ScenarioRef, *, book: bool = True) -> Plan:
    """The plan of an allocation before seating: flights, escorts and test bookings; escorts keep serving whom
    they served in `prior` (the previous plan, then the last seating round). `book` False leaves the bookings
    to the caller (`bookings`): seating does not read them, so they can be made while the flights are seated."""
    served_before = {fid: {e.escort_id: list(e.serves) for e in fp.escorts} for fid, fp in prior.items()}
    plan = Plan(scenario=ref,
                status=alloc.status, stages=Stages(allocation=alloc.status, tests="optimal"),
                flights=_flight_plans(problem, alloc, served_before),
                tests=bookings(problem, alloc, carried, previous, household_of) if book else [])
    if carried is not None and previous is not None:
        for fp in plan.flights:
            fp.locked = fp.flight_id in problem.fixed.locked
    return plan


def bookings(problem: AllocationProblem, alloc: Allocation, carried: Carried | None, previous: Plan | None,
             household_of: dict[str, str]) -> list[TestBooking]:
    """The test bookings of an allocation: new ones from the test-slot stage, those a re-plan keeps, and those of
    departed flights."""
    booked = book_slots(problem, alloc, solve_flow(problem, test_demand(problem, alloc)) or {})
    if carried is not None:
        booked = sorted(booked + kept_bookings(carried, alloc.flight_of, household_of),
                        key=lambda b: (b.site_id, b.start, b.person_id or "", b.escort_id or ""))
        if previous is not None:
            booked += [b for fp in carried.departed for b in _tests_of(previous, fp)]
    return booked
