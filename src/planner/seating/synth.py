"""Synthetic flights for seating tests and the seating benchmark: households, escorts and a plan to seat.

Deliberately small and self-contained (the scenario generator proper lives elsewhere): a seeded random mix
of household sizes close to the Belarus 2021 caseload (families of up to six, many single travellers), with
optional lap infants, reduced mobility, medical cases and unaccompanied children, and the escorts
docs/rules.md#escort-ratios
asks for, listed with whom they serve.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from planner.model.caseload import households
from planner.model.plan import EscortOnBoard, FlightPlan, Passenger, Plan, ScenarioRef
from planner.model.scenario import AircraftType, Escort, Flight, Person, Protocol, Scenario, SeatingRules, Stop
from planner.rules.lap_infants import lap_pairs

DEPARTURE = datetime(2021, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=3)))
DAY = DEPARTURE.date()


def person(case_id: str, household: str, age_years: float, *, destination: str = "EBL", **extra: object) -> Person:
    """A returnee of the given age (in years, fractions allowed for infants) at the departure date."""
    born = DAY - timedelta(days=int(age_years * 365.25) + 1)
    fields: dict[str, object] = {
        "case_id": case_id,
        "household_id": household,
        "sex": "F" if sum(map(ord, case_id)) % 2 else "M",
        "date_of_birth": born,
        "nationality": "IRQ",
        "destination": destination,
        "location": "BRUZGI",
        "consent": "explicit",
        "document_type": "passport",
        "exit_cleared": True,
        "fitness": "fit",
    }
    return Person.model_validate(fields | extra)


def scenario_with(
    people: list[Person],
    *,
    aircraft: str | AircraftType = "A320-180Y",
    flights: int = 1,
    distancing: list[str] | None = None,
    isolation_rows: int = 1,
    escorts: list[Escort] | None = None,
    stops: list[str] | None = None,
    covid: bool = True,
    **rules: object,
) -> Scenario:
    custom = [aircraft] if isinstance(aircraft, AircraftType) else []
    type_id = aircraft.type if isinstance(aircraft, AircraftType) else aircraft
    stops = stops or ["EBL"]
    flight_list = [
        Flight(
            id=f"F{i + 1:02d}",
            aircraft=type_id,
            origin="MSQ",
            departure=DEPARTURE,
            stops=[Stop(airport=a, arrival=DEPARTURE + timedelta(hours=4 + 2 * k)) for k, a in enumerate(stops)],
        )
        for i in range(flights)
    ]
    protocol = Protocol(
        covid=covid,
        seating=SeatingRules.model_validate(
            {"distancing": distancing or [], "isolation_rows_rear": isolation_rows, **rules}
        ),
    )
    return Scenario(
        name="synthetic seating",
        timezone="Europe/Minsk",
        as_of=DEPARTURE - timedelta(days=3),
        protocol=protocol,
        escorts=escorts or [],
        aircraft=custom,
        flights=flight_list,
        people=people,
    )


def plan_for(
    scenario: Scenario,
    assignment: dict[str, list[str]] | None = None,
    escorts: dict[str, list[tuple[str, list[str]]]] | None = None,
) -> Plan:
    """A plan putting households on flights (default: everyone on the first flight), seats unset."""
    hh = {h.id: h for h in households(scenario)}
    assignment = assignment or {scenario.flights[0].id: sorted(hh)}
    flights = []
    for f in scenario.flights:
        passengers = []
        for hid in assignment.get(f.id, []):
            laps = lap_pairs(hh[hid], DAY, scenario)
            passengers += [Passenger(person_id=p.case_id, lap_of=laps.get(p.case_id)) for p in hh[hid].members]
        esc = [EscortOnBoard(escort_id=e, serves=s) for e, s in (escorts or {}).get(f.id, [])]
        flights.append(FlightPlan(flight_id=f.id, passengers=passengers, escorts=esc))
    return Plan(scenario=ScenarioRef(name=scenario.name, sha256="0" * 64), flights=flights)


def random_households(
    rng: random.Random, seats: int, prefix: str = "H", *, specials: bool = True, stops: list[str] | None = None
) -> list[Person]:
    """Households filling about `seats` seats, with a realistic mix of sizes and some special needs."""
    people: list[Person] = []
    used = 0
    k = 0
    sizes = [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6]
    while True:
        n = rng.choice(sizes)
        if used + n > seats:
            break
        k += 1
        hid = f"{prefix}{k:04d}"
        dest = rng.choice(stops) if stops else "EBL"
        for i in range(n):
            cid = f"{hid}-{i + 1}"
            if i < min(n, 2):
                age = rng.uniform(19, 60)
            elif i == 2 and specials and rng.random() < 0.25:
                age = rng.uniform(0.2, 1.8)  # lap infant
            else:
                age = rng.uniform(2, 17)
            extra: dict[str, object] = {}
            if specials and i == 0 and n >= 2 and rng.random() < 0.03:
                extra["mobility"] = "WCHC"
            people.append(person(cid, hid, age, destination=dest, **extra))
        used += n - sum(1 for p in people[-n:] if (DAY - p.date_of_birth).days < 700 and n > 2)
    return people


def mix_within_distancing_limit(rng: random.Random, distancing: list[str]) -> Scenario:
    """Adult households of random sizes on one A320, added while the allocation's distancing limit admits
    them: a load the capacity model says fits, close to full (tests and the seating benchmark)."""
    from planner.rules.capacity import distancing_usage, flight_limits

    probe = scenario_with([person("P", "P", 30)], distancing=distancing)
    f = probe.flights[0]
    rhs = {x.name: x.rhs for x in flight_limits(probe, f)}["distancing_units"]
    people: list[Person] = []
    used = h = 0
    for _ in range(400):
        n = rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6])
        if used + distancing_usage(probe, f, n) > rhs:
            continue
        used += distancing_usage(probe, f, n)
        h += 1
        people += [person(f"H{h:03d}-{i}", f"H{h:03d}", 30) for i in range(n)]
    return scenario_with(people, distancing=distancing)
