"""Pins (docs/rules.md#pins): an officer holds a person, and so their whole household, on a flight (and optionally a
seat) that the next solve keeps; a pin that breaks a rule is not applied and the household gets
`pin.conflict` with the rule it would break."""

from __future__ import annotations

from typing import Any

from planner.allocation.problem import AllocationProblem
from planner.model.options import Pin
from planner.model.plan import FlightPlan, Passenger, Plan, Reason
from planner.model.reasons import ORDER, reason


def parse_pins(raw: list[dict[str, Any]] | None) -> tuple[Pin, ...]:
    """Pins as the service stores them (dicts) to `Pin`s."""
    return tuple([Pin(p["case_id"], p["flight_id"], p.get("seat")) for p in raw or []])


def apply_pins(problem: AllocationProblem, pins: list[Pin]) -> dict[str, Reason]:
    """Fix pinned households on their flights in `problem`; return the conflicts by household id."""
    household_of = {p.case_id: p.household_id for p in problem.scenario.people}
    infos = problem.infos
    active = {f.flight.id for f in problem.flights}
    known = {f.id for f in problem.scenario.flights}
    conflicts: dict[str, Reason] = {}
    problem.expand(household_of[p.case_id] for p in pins if p.case_id in household_of)  # a pin may move it
    for pin in sorted(pins, key=lambda p: (p.case_id, p.flight_id)):
        hid = household_of.get(pin.case_id)
        if hid is None or hid not in infos:
            continue  # unknown or excluded person: nothing to hold
        info = infos[hid]
        if pin.flight_id not in known:  # the reason cannot name a flight the scenario does not have
            conflicts[hid] = reason("pin.conflict", None,
                                    detail=f" (flight {pin.flight_id} is unknown or cancelled)")
            continue
        if pin.flight_id not in active:
            detail = " (the flight has already departed)"
        elif pin.flight_id in info.options:
            if problem.fixed.households.get(hid, pin.flight_id) != pin.flight_id:
                detail = " (another member is pinned to a different flight)"
            else:
                problem.fixed.households[hid] = pin.flight_id
                continue
        elif pin.flight_id in info.blocked:
            first = min(info.blocked[pin.flight_id].reasons.values(), key=lambda r: ORDER[r.code])
            detail = f" ({first.code}: {first.message})"
        else:
            detail = " (the flight does not stop at the household's destination)"
        conflicts[hid] = reason("pin.conflict", pin.flight_id, detail=detail)
    for hid in conflicts:  # an officer's hold that cannot be honoured is not silently moved elsewhere
        problem.fixed.households.pop(hid, None)
        infos[hid].options = {}
    return conflicts


def unkept(problem: AllocationProblem, pins: tuple[Pin, ...], flight_of: dict[str, str]) -> dict[str, Reason]:
    """Pinned households the allocation could not keep (cabin, escorts or lab full)."""
    household_of = {p.case_id: p.household_id for p in problem.scenario.people}
    out: dict[str, Reason] = {}
    for pin in pins:
        hid = household_of.get(pin.case_id)
        if hid is None:
            continue  # unknown person: nothing was held
        if problem.fixed.households.get(hid) == pin.flight_id and flight_of.get(hid) != pin.flight_id:
            out[hid] = reason("pin.conflict", pin.flight_id,
                              detail=" (the flight's seats, escorts or testing capacity cannot take the household)")
    return out


def seat_pins(pins: tuple[Pin, ...], previous: dict[str, FlightPlan]) -> dict[str, FlightPlan]:
    """Previous seating per flight with pinned seats laid over it, for the seating stage to keep."""
    out = {fid: fp.model_copy(deep=True) for fid, fp in previous.items()}
    for pin in pins:
        if pin.seat is None:
            continue
        fp = out.setdefault(pin.flight_id, FlightPlan(flight_id=pin.flight_id))
        fp.passengers = [p for p in fp.passengers if p.person_id != pin.case_id and p.seat != pin.seat]
        fp.passengers.append(Passenger(person_id=pin.case_id, seat=pin.seat))
    return out


def pinned_start(previous: Plan, pins: list[dict[str, Any]] | None) -> Plan:
    """The plan a re-plan starts from, with the officers' seat pins laid over it.

    Kept passengers keep their seats (the validator's `seats_kept`), but a seat pin moves one on purpose: checked
    against this plan, the pinned seat is the one to keep, and whoever held it before may be seated anew."""
    moves = [p for p in parse_pins(pins) if p.seat is not None]
    if not moves:
        return previous
    flights = []
    for fp in previous.flights:
        wanted = {p.case_id: p.seat for p in moves if p.flight_id == fp.flight_id}
        if not wanted:
            flights.append(fp)
            continue
        given = set(wanted.values())
        passengers = [pa.model_copy(update={"seat": wanted[pa.person_id]}) if pa.person_id in wanted
                      else pa.model_copy(update={"seat": None}) if pa.seat in given else pa for pa in fp.passengers]
        flights.append(fp.model_copy(update={"passengers": passengers}))
    return previous.model_copy(update={"flights": flights})
