"""Planning gates (docs/rules.md#gates): the checks a person must pass before they can be put on a flight.

Each gate is a named unit with a reason code from the registry; `first_failure` evaluates them in registry
order, which makes "the reasons that apply" deterministic. Household unity is applied on top by
`planner.rules.household`: a household flies only if every member passes.

Parameters: `protocol.require_exit_clearance`, `positive_isolation_days`, `isolate_household`. Reason codes:
the `gate.*` codes of `GATES`, and `flight.no_destination`. Violation ids: `gates` (the message starts with the
failed gate's code), `destination_served`, `provisional`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from planner.model.caseload import Household, departure_date
from planner.model.documents import document_ready_on
from planner.model.plan import Reason
from planner.model.reasons import reason
from planner.model.scenario import Flight, Person, Scenario
from planner.model.violations import Violation
from planner.rules.base import Context, PlanCheck, violation
from planner.rules.symptoms import release_words, symptomatic_release


@dataclass(frozen=True)
class GateContext:
    scenario: Scenario
    household: Household
    on: date  # local departure date at the origin


@dataclass(frozen=True)
class Gate:
    code: str
    description: str
    check: Callable[[Person, GateContext], str | None]  # detail text when the gate fails, else None


def _consent(p: Person, ctx: GateContext) -> str | None:
    if p.consent == "none":
        return " (consent withdrawn or never given)"
    if p.consent == "proxy" and not p.consent_note.strip():
        return " (proxy consent without a justification)"
    return None


def _document(p: Person, ctx: GateContext) -> str | None:
    if p.document_status == "refused":
        return " (document refused by the issuing authority)"
    if p.document_status == "requested":
        return None if _ready_on(p, ctx.scenario) is not None else " (requested from an unknown issuing authority)"
    if p.document_status == "none":
        return " (no document, and none requested)"
    if p.document_status == "issued":
        return None if p.document_expiry is None or p.document_expiry >= ctx.on else \
            f" (expires {p.document_expiry}, departure {ctx.on})"
    if p.document_type == "none":
        return " (no passport or emergency travel document)"
    if p.document_expiry is None:
        return " (document expiry date missing)"
    if p.document_expiry < ctx.on:
        return f" (expires {p.document_expiry}, departure {ctx.on})"
    return None


def _ready_on(p: Person, scenario: Scenario) -> date | None:
    return document_ready_on(p, scenario.protocol, scenario.as_of.date())


def _document_pending(p: Person, ctx: GateContext) -> str | None:
    """A requested or issued document counts from the day it is in the officer's hand (docs/documents-pipeline.md)."""
    ready = _ready_on(p, ctx.scenario)
    if ready is None or ready <= ctx.on:
        return None
    return f"{ready} (departure {ctx.on})"


def document_pending(p: Person, on: date, scenario: Scenario) -> bool:
    """The person flies on `on` on a document that is requested but not yet issued: provisional on document."""
    ready = _ready_on(p, scenario) if p.document_status == "requested" else None
    return ready is not None and ready <= on


def _exit_clearance(p: Person, ctx: GateContext) -> str | None:
    return "" if ctx.scenario.protocol.require_exit_clearance and not p.exit_cleared else None


def _fitness(p: Person, ctx: GateContext) -> str | None:
    return " (pre-embarkation check: unfit)" if p.fitness == "unfit" else None


def _uasc(p: Person, ctx: GateContext) -> str | None:
    if not p.unaccompanied_minor:
        return None
    missing = []
    if not p.best_interests_approved:
        missing.append("a best-interests decision approving return")
    if not p.reception_contact.strip():
        missing.append("a reception contact at the destination")
    return " and ".join(missing) or None


def positive_date(p: Person) -> date | None:
    """The date of a person's most recent positive test, from either column."""
    dates = [p.last_positive_test] if p.last_positive_test else []
    if p.last_test_result == "positive" and p.last_test_sample is not None:
        dates.append(p.last_test_sample.date())
    return max(dates) if dates else None


def isolation_end(p: Person, household: Household, scenario: Scenario) -> date | None:
    """First local date a person may fly (and be sampled again) after a positive test in the person or,
    when the protocol isolates households, in any member (WHO 2020 criteria,
    docs/rules.md#isolation-after-a-positive-test [S63])."""
    people = household.members if scenario.protocol.isolate_household else (p,)
    dates = [d for d in (positive_date(m) for m in people) if d is not None]
    ends = [max(dates) + timedelta(days=scenario.protocol.positive_isolation_days)] if dates else []
    symptomatic = symptomatic_release(p, scenario)  # a symptomatic case's own release (rules/symptoms.py)
    if symptomatic is not None:
        ends.append(symptomatic)
    return max(ends, default=None)


def _isolation(p: Person, ctx: GateContext) -> str | None:
    end = isolation_end(p, ctx.household, ctx.scenario)
    return release_words(p, end, ctx.scenario) if end is not None and ctx.on < end else None


GATES: list[Gate] = [
    Gate("gate.consent", "informed voluntary consent recorded (explicit, or proxy with a justification)", _consent),
    Gate("gate.document", "passport or emergency travel document valid on the departure date", _document),
    Gate("gate.document_pending", "a requested or issued travel document in hand by the departure date",
         _document_pending),
    Gate("gate.exit_clearance", "exit clearance from the host authorities when the protocol requires it",
         _exit_clearance),
    Gate("gate.fitness", "pre-embarkation fitness not 'unfit'", _fitness),
    Gate("gate.uasc", "unaccompanied child: best-interests decision and reception contact", _uasc),
    Gate("gate.isolation", "not within the isolation period after a positive test", _isolation),
]


def first_failure(person: Person, household: Household, flight: Flight | None, scenario: Scenario
                  ) -> Reason | None:
    """The first gate (registry order) the person fails for `flight` (as_of date when no flight)."""
    on = departure_date(flight, scenario) if flight is not None else scenario.as_of.date()
    ctx = GateContext(scenario, household, on)
    for gate in GATES:
        detail = gate.check(person, ctx)
        if detail is not None:
            return reason(gate.code, flight.id if flight else None, detail=detail)
    return None


def failure_signature(household: Household, on: date, scenario: Scenario) -> tuple[tuple[str, str, str], ...]:
    """(member, gate code, detail) of each member's first failing gate on `on`, without building reasons: equal
    signatures give equal `household_failure` reasons, so a planner building them for many dates builds each
    distinct set once."""
    ctx = GateContext(scenario, household, on)
    out = []
    for p in household.members:
        for gate in GATES:
            detail = gate.check(p, ctx)
            if detail is not None:
                out.append((p.case_id, gate.code, detail))
                break
    return tuple(out)


GATE_CHECKS = {g.code: g for g in GATES}


def serves(flight: Flight, destination: str) -> bool:
    """The flight stops at the destination airport."""
    return any(s.airport == destination for s in flight.stops)


def gate_fails(ctx: Context, person: Person, code: str, flight_id: str | None) -> tuple[bool, date]:
    """Whether `person` fails gate `code` on the flight's local departure date (as_of's date without a flight,
    as `first_failure` takes it), and that date."""
    flight = ctx.flights.get(flight_id) if flight_id else None
    on = ctx.on(flight) if flight is not None else ctx.scenario.as_of.date()
    key = (person.case_id, code, on)
    fails = ctx.gate_fails_on.get(key)
    if fails is None:
        gate = GATE_CHECKS[code]
        fails = ctx.gate_fails_on[key] = gate.check(
            person, GateContext(ctx.scenario, ctx.household_of[person.case_id], on)) is not None
    return fails, on


def check_gates(ctx: Context) -> Iterator[Violation]:
    """Every passenger passes every planning gate for the date of their flight."""
    for fp, flight in ctx.known_flights():
        for p in ctx.on_board(fp):
            failure = first_failure(p, ctx.household_of[p.case_id], flight, ctx.scenario)
            if failure is not None:
                yield violation("gates", f"{failure.code}: {failure.message}", fp.flight_id, p.case_id)


def check_destination(ctx: Context) -> Iterator[Violation]:
    """The flight stops at the passenger's destination airport."""
    for fp, flight in ctx.known_flights():
        for p in ctx.on_board(fp):
            if not serves(flight, p.destination):
                yield violation("destination_served", f"flight does not stop at {p.destination}", fp.flight_id,
                                p.case_id)


def check_provisional(ctx: Context) -> Iterator[Violation]:
    """`provisional` lists exactly the passengers whose fitness is `pending`, so the pre-embarkation check list
    is complete. Departed flights are history (copied as they were) and are not rechecked."""
    for fp, flight in ctx.known_flights():
        if ctx.departed(flight):
            continue
        pending = {p.case_id for p in ctx.on_board(fp) if p.fitness == "pending"}
        listed = set(fp.provisional)
        for pid in sorted(pending - listed):
            yield violation("provisional", "fitness pending but not listed as provisional", fp.flight_id, pid)
        for pid in sorted(listed - pending):
            yield violation("provisional", "listed as provisional but not a passenger with fitness pending",
                            fp.flight_id, pid)


CHECKS = (PlanCheck(("gates",), check_gates), PlanCheck(("destination_served",), check_destination),
          PlanCheck(("provisional",), check_provisional))
SEAT_CHECKS = ()

