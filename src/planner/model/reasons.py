"""The closed registry of reason codes (docs/rules.md#explanations), in registry order, with their message templates.

Gates, capacity checks, the validator and the explanations all speak through this table, so that a person
sees the same words whichever part of the planner found the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.model.plan import Reason
from planner.model.scenario import Scenario


@dataclass(frozen=True)
class ReasonCode:
    code: str
    template: str

    def reason(self, flight_id: str | None = None, **details: object) -> Reason:
        """The reason for one flight (or none); `planner.model.plan.group_reasons` merges a person's."""
        return Reason(code=self.code, message=self.template.format(**details),
                      flights=None if flight_id is None else [flight_id])


_CODES = [
    ReasonCode("gate.consent", "no informed voluntary consent recorded{detail}"),
    ReasonCode("gate.document", "no travel document valid on the departure date{detail}"),
    ReasonCode("gate.document_pending", "travel document requested, expected in hand on {detail}"),
    ReasonCode("gate.exit_clearance", "no exit clearance from the host authorities"),
    ReasonCode("gate.fitness", "not fit to travel{detail}"),
    ReasonCode("gate.uasc", "unaccompanied or separated child without {detail}"),
    ReasonCode("gate.isolation", "in isolation after a positive test until {detail}"),
    ReasonCode("household.held_back", "household held back: member {member} cannot travel ({member_code})"),
    ReasonCode("flight.no_destination", "no flight serves destination {destination}"),
    ReasonCode("test.no_valid_slot", "no testing slot valid for this flight{detail}"),
    ReasonCode("capacity.seats", "no seats left on this flight{detail}"),
    ReasonCode("capacity.lab", "testing slots or lab capacity for this flight are full{detail}"),
    ReasonCode("capacity.escorts", "not enough escorts available for this flight{detail}"),
    ReasonCode("capacity.special_categories", "special-category passengers would outnumber able-bodied adults"),
    ReasonCode("capacity.infants", "no free lap or mask block for a lap infant{detail}"),
    ReasonCode("capacity.payload", "the aircraft's payload limit would be exceeded{detail}"),
    ReasonCode("transfer.none", "no ground transfer to the airport in time for check-in{detail}"),
    ReasonCode("seating.no_fit", "seating could not place the household on this flight{detail}"),
    ReasonCode("pin.conflict", "pinned assignment breaks a rule{detail}"),
    ReasonCode("variant.excluded", "excluded by the variant's caseload filter{detail}"),
]

REGISTRY: dict[str, ReasonCode] = {c.code: c for c in _CODES}
ORDER: dict[str, int] = {c.code: i for i, c in enumerate(_CODES)}


def reason(code: str, flight_id: str | None = None, **details: object) -> Reason:
    """Build a Reason from the registry; unknown codes are a programming error."""
    details.setdefault("detail", "")
    return REGISTRY[code].reason(flight_id=flight_id, **details)


def serving_flights(scenario: Scenario, destination: str) -> list[str]:
    """The flights a reason is owed for, and what a reason's "all" stands for: those not departed at `as_of`
    that stop at `destination`, in departure order (as `planner.rules.base.Context.serving` lists them)."""
    return [f.id for f in sorted(scenario.flights, key=lambda f: (f.departure, f.id))
            if f.departure >= scenario.as_of and any(s.airport == destination for s in f.stops)]
