"""Additions and deletions lists (ADL): what changed for a flight since the plan its PNL (or last ADL) was
sent from, person by person (docs/airline.md, "ADL").

A passenger who left the flight is deleted (DEL), one who joined is added (ADD), one whose seat, special
service requests or lap infant changed is changed (CHG, with the full new lines). A change of destination,
booking or name cannot be a change, since those identify the passenger: it is a deletion and an addition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from planner.airline.pnl import Addressing, header_for, stops_of
from planner.airline.roster import PaxRecord, flight_roster
from planner.airline.teletype import PART_MAX_CHARS, Entry, pax_block, split_parts, totals_line
from planner.model.plan import Plan
from planner.model.scenario import Scenario

SECTIONS = ("DEL", "ADD", "CHG")


@dataclass
class Changes:
    """The passengers to delete, add and change, each in the state the message sends."""

    deleted: list[PaxRecord] = field(default_factory=list)
    added: list[PaxRecord] = field(default_factory=list)
    changed: list[PaxRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.deleted or self.added or self.changed)


def diff_records(before: Sequence[PaxRecord], after: Sequence[PaxRecord]) -> Changes:
    """The per-person difference of two rosters of the same flight, matched by case number."""
    old = {r.case_id: r for r in before}
    new = {r.case_id: r for r in after}
    changes = Changes()
    for case_id, record in old.items():
        if case_id not in new:
            changes.deleted.append(record)
        elif new[case_id].key != record.key:
            changes.deleted.append(record)
            changes.added.append(new[case_id])
        elif new[case_id] != record:
            changes.changed.append(new[case_id])
    changes.added += [record for case_id, record in new.items() if case_id not in old]
    return changes


def adl_body(changes: Changes, current: Sequence[PaxRecord], stops: Sequence[str]) -> list[Entry]:
    """Each destination's current totals line, then its DEL, ADD and CHG sections (empty ones left out)."""
    body: list[Entry] = []
    for stop in stops:
        body.append(Entry("dest", (totals_line(stop, sum(1 for r in current if r.destination == stop)),)))
        for name, records in zip(SECTIONS, (changes.deleted, changes.added, changes.changed), strict=True):
            here = [r for r in records if r.destination == stop]
            if here:
                body.append(Entry("section", (name,)))
                body += [Entry("pax", pax_block(r)) for r in here]
    return body


def adl_message(scenario: Scenario, plan: Plan, since: Plan, flight_id: str, addressing: Addressing,
                since_scenario: Scenario | None = None, part_max: int = PART_MAX_CHARS) -> list[str]:
    """The ADL of a flight from the plan `since` (whose people are `since_scenario`, by default today's
    scenario) to `plan`; a flight `since` did not have yet starts from no passengers."""
    before_scenario = since_scenario or scenario
    has_flight = any(f.flight_id == flight_id for f in since.flights)
    before = flight_roster(before_scenario, since, flight_id) if has_flight else []
    current = flight_roster(scenario, plan, flight_id)
    header = header_for("ADL", scenario, plan, flight_id, addressing)
    body = adl_body(diff_records(before, current), current, stops_of(scenario, flight_id))
    return split_parts(header, body, part_max)
