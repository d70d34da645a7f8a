"""The passenger name list (PNL) of one flight: every seated returnee by destination, with booking reference,
seat, special service requests and lap infants, in the teletype layout docs/airline.md describes
("PNL")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from planner.airline.roster import PaxRecord, flight_of, flight_roster
from planner.airline.teletype import PART_MAX_CHARS, Entry, Header, pax_block, split_parts, totals_line
from planner.model.plan import Plan
from planner.model.scenario import Scenario


@dataclass(frozen=True)
class Addressing:
    """The flight's designator (airline code and number) and when the message is sent (UTC)."""

    designator: str
    sent_at: datetime


def default_designator(scenario: Scenario, flight_id: str) -> str:
    """ZZ and the flight's position in the scenario, for when the airline's own designator is not given."""
    position = next((k for k, f in enumerate(scenario.flights, start=1) if f.id == flight_id), 0)
    return f"ZZ{position:04d}"


def header_for(kind: str, scenario: Scenario, plan: Plan, flight_id: str, addressing: Addressing) -> Header:
    flight, _ = flight_of(scenario, plan, flight_id)
    return Header(kind=kind, designator=addressing.designator, origin=flight.origin,
                  departure=flight.departure.astimezone(ZoneInfo(scenario.timezone)),
                  sent_at=addressing.sent_at.astimezone(UTC))


def stops_of(scenario: Scenario, flight_id: str) -> list[str]:
    flight = next(f for f in scenario.flights if f.id == flight_id)
    return [s.airport for s in flight.stops]


def pnl_body(records: Sequence[PaxRecord], stops: Sequence[str]) -> list[Entry]:
    """Each destination's totals line, then its passengers."""
    body: list[Entry] = []
    for stop in stops:
        here = [r for r in records if r.destination == stop]
        body.append(Entry("dest", (totals_line(stop, len(here)),)))
        body += [Entry("pax", pax_block(r)) for r in here]
    return body


def pnl_message(scenario: Scenario, plan: Plan, flight_id: str, addressing: Addressing,
                part_max: int = PART_MAX_CHARS) -> list[str]:
    """The PNL of a flight, as its parts (each a complete teletype message)."""
    header = header_for("PNL", scenario, plan, flight_id, addressing)
    records = flight_roster(scenario, plan, flight_id)
    return split_parts(header, pnl_body(records, stops_of(scenario, flight_id)), part_max)
