"""Synthetic scenarios shaped like the 2021–22 Belarus–Iraq return operation (docs/scenarios.md).

Every person is invented. The shape follows the public facts (docs/scenarios.md#public-facts-and-synthetic-figures,
planner.synth.operation_2021): mostly Iraqi Kurds housed at the Bruzgi transport-logistics centre, a Hrodna
facility and Minsk hotels, flying Minsk to Erbil, Baghdad and Sulaymaniyah under the 2021 Iraqi test rules.
Everything else (shares, ages, document states) is a plausible guess, kept in one place (`planner.synth.rates`)
so that tests and docs can name it.

Output depends only on the arguments: one `random.Random(seed)` drives every draw, iteration is over lists in
a fixed order, and the clock is never read. Capacity (seats, lab, escorts) is sized from the caseload it
generated (planner.synth.demand), so a good plan moves most eligible people while seats and the lab still bind
somewhere. The steps: households and people (planner.synth.caseload), charters (planner.synth.charters),
testing sites and escorts (planner.synth.capacity).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.io.airports import airport
from planner.model.scenario import (
    DestinationRule,
    Escort,
    EscortRules,
    Flight,
    Protocol,
    Scenario,
    SeatingRules,
    TestingSite,
    Weights,
)
from planner.synth.capacity import escort_pools, testing_sites
from planner.synth.caseload import CaseloadBuilder
from planner.synth.charters import charter_flights
from planner.synth.demand import Demand, estimate
from planner.synth.document_sources import authorities
from planner.synth.draws import fixed
from planner.synth.ground import ground_transport
from planner.synth.operation_2021 import BORDER_LOCATIONS, DEFAULT_AS_OF, IRAQ_DESTINATIONS, MINSK, RULES_2021
from planner.synth.rates import PROFILES, Profile


def generate_scenario(
    people: int,
    seed: int,
    *,
    flights: int | None = None,
    days: int = 14,
    name: str | None = None,
    as_of: datetime = DEFAULT_AS_OF,
    timezone_name: str = MINSK,
    sites: int = 3,
    seat_ratio: float = 0.95,
    lab_ratio: float = 1.1,
    destinations: Mapping[str, float] | None = None,
    locations: Mapping[str, float] | None = None,
    foreign_share: float = 0.035,
    profile: Profile = "border",
    ground: bool = True,
) -> Scenario:
    """A complete synthetic scenario of `people` returnees, identical for identical arguments.

    `flights` defaults to what the plannable caseload needs at about 190 seats a charter; `seat_ratio` is the
    total usable seats over the estimated plannable seat demand (below 1 makes seats bind), `lab_ratio` the
    lab's daily capacity over the average daily test demand (near 1 makes the lab bind on busy days).
    `profile` "border" is the messy November 2021 caseload, "avrr" a curated IOM caseload shortly before
    departure. Foreign nationals (`foreign_share`) mostly head for airports no flight serves. `ground` adds
    coaches from each location to the airport (docs/transfers.md).
    """
    _check_arguments(people, days, flights, as_of, destinations)
    rng = random.Random(seed)
    destinations = dict(destinations or IRAQ_DESTINATIONS)
    locations = dict(locations or BORDER_LOCATIONS)
    as_of = fixed(as_of)
    tz = timezone_name
    today = as_of.astimezone(ZoneInfo(tz)).date()
    last_day = today + timedelta(days=days)
    isolation_days = Protocol().positive_isolation_days

    builder = CaseloadBuilder(rng, PROFILES[profile], as_of, tz, last_day, destinations, locations, foreign_share)
    households = builder.build(people)
    middle = today + timedelta(days=days // 2 + 1)
    demand = estimate(households, list(destinations), today, middle, last_day, isolation_days)

    seat_demand = sum(demand.seats.values())
    count = flights if flights is not None else max(1, round(seat_ratio * seat_demand / 190))
    flight_list = charter_flights(rng, count, demand, seat_ratio, today, days, tz)
    site_list, escort_list = _ground(rng, demand, flight_list, locations, sites, today, lab_ratio)

    persons = [p for h in households for p in h.members]
    title = name or f"Synthetic caseload: {people} people, seed {seed}"
    notes = (f"Synthetic scenario from planner.synth.generate (profile {profile}, seed {seed}, {people} people, "
             f"{len(households)} households, {len(flight_list)} flights over {days} days). Every person is "
             f"invented; the test rules are the public 2021 Iraqi entry rules. See docs/scenarios.md.")
    vehicles, travel = ground_transport(Counter(p.location for p in persons)) if ground else ([], [])
    return Scenario(name=title, timezone=tz, as_of=as_of, notes=notes, vehicles=vehicles, travel_minutes=travel,
                    protocol=_protocol(flight_list, isolation_days, {p.nationality for p in persons}),
                    testing_sites=site_list,
                    escorts=escort_list, flights=flight_list, people=persons)


def _check_arguments(people: int, days: int, flights: int | None, as_of: datetime,
                     destinations: Mapping[str, float] | None) -> None:
    """Refuse arguments no operation can have, before anything is drawn."""
    if people < 1:
        raise ValueError("people must be at least 1")
    if days < 2:
        raise ValueError("days must be at least 2 (a test day, then a flight day)")
    if flights is not None and flights < 1:
        raise ValueError("flights must be at least 1")
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a timezone")
    for code in destinations or IRAQ_DESTINATIONS:
        if airport(code) is None:
            raise ValueError(f"unknown destination airport {code!r}")


def _ground(rng: random.Random, demand: Demand, flights: list[Flight], locations: Mapping[str, float],
            sites: int, today: date, lab_ratio: float) -> tuple[list[TestingSite], list[Escort]]:
    """Testing sites open until the day before the last flight (when that is after the first test day), and
    escorts based in Minsk (or the first location) until the last flight."""
    flight_days = len({f.departure.date() for f in flights})
    last_flight = max(f.departure.date() for f in flights)
    site_list = testing_sites(demand, list(locations), sites, today, last_flight - timedelta(days=1) if
                              last_flight > today + timedelta(days=1) else last_flight, flight_days, lab_ratio)
    minsk = [loc for loc in locations if loc.startswith("MINSK")]
    escort_location = minsk[0] if minsk else next(iter(locations))
    return site_list, escort_pools(rng, flights, demand, escort_location, today, last_flight)


def _protocol(flights: list[Flight], isolation_days: int, nationalities: set[str]) -> Protocol:
    """The 2021 protocol, with the test rules of the destinations some flight serves and the embassies that
    issue the caseload's emergency travel documents."""
    served_rules: dict[str, DestinationRule] = {d: RULES_2021[d] for d in ("EBL", "BGW", "ISU")
                    if d in RULES_2021 and any(d in [s.airport for s in f.stops] for f in flights)}
    return Protocol(
        lab_turnaround_hours=24, delay_margin_hours=6, positive_isolation_days=isolation_days,
        require_exit_clearance=True, destinations=served_rules,
        seating=SeatingRules(distancing=[], isolation_rows_rear=1, exit_row_min_age=15, child_seating_age=12),
        escorts=EscortRules(operational_per_passengers=50, medical_per_cases=2, uasc_per_escort=2,
                            turnaround_hours=24),
        weights=Weights(), document_authorities=authorities(nationalities),
    )
