"""The plan the planner emits (docs/architecture.md#plan-json). People are named by `case_id`, seats as
"<row><letter>"."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

PlanStatus = Literal["optimal", "feasible", "stopped", "greedy"]


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Passenger(PlanModel):
    """A seated passenger (`seat` set once seating ran) or a lap infant (`lap_of` set, no seat)."""

    person_id: str
    seat: str | None = None
    lap_of: str | None = None


class EscortOnBoard(PlanModel):
    escort_id: str
    seat: str | None = None
    serves: list[str] = Field(default_factory=list)


class FlightPlan(PlanModel):
    flight_id: str
    passengers: list[Passenger] = Field(default_factory=list)
    escorts: list[EscortOnBoard] = Field(default_factory=list)
    provisional: list[str] = Field(default_factory=list)
    locked: bool = False  # published: a re-plan keeps it as it is unless unlocked on purpose


class TestBooking(PlanModel):
    """A sample taken at `site_id` in the slot [start, end), for a person or an escort."""

    __test__ = False

    person_id: str | None = None
    escort_id: str | None = None
    flight_id: str | None = None  # the flight the sample is for (escorts may fly several)
    site_id: str
    start: AwareDatetime
    end: AwareDatetime


class Transfer(PlanModel):
    """A vehicle trip taking households from their location to their flight's airport (docs/transfers.md)."""

    vehicle_id: str
    flight_id: str
    location: str
    airport: str
    depart: AwareDatetime  # leaves the location
    arrive: AwareDatetime  # reaches the airport
    households: list[str] = Field(default_factory=list)
    people: int = 0


ALL_FLIGHTS: Literal["all"] = "all"


class Reason(PlanModel):
    """One reason a person is not on a flight, in the registry's words (docs/rules.md#explanations), said once
    with every flight it applies to, so that a plan grows with the people left out, not with people × flights.
    `flights`: None for a reason that concerns no particular flight (a gate evaluated at `as_of`, no flight to
    the destination, a variant's exclusion); "all" for every flight serving the person's destination that has
    not departed (`planner.model.reasons.serving_flights`); else the flight ids, in departure order."""

    code: str
    message: str
    flights: list[str] | Literal["all"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_flight_shape(cls, data: Any) -> Any:
        """Plans written before reasons were grouped gave one reason per flight, as `flight_id`."""
        if isinstance(data, dict) and "flight_id" in data:
            fid = data["flight_id"]
            data = {k: v for k, v in data.items() if k != "flight_id"}
            data.setdefault("flights", None if fid is None else [fid])
        return data

    @property
    def flight_id(self) -> str | None:
        """The flight of a reason built for one flight (`planner.model.reasons.reason`), None for a
        flight-independent one; a reason naming several flights has no single flight, and asking is a defect."""
        if self.flights is None:
            return None
        if isinstance(self.flights, str) or len(self.flights) != 1:
            raise ValueError(f"reason {self.code} names several flights, not one")
        return self.flights[0]

    def flight_ids(self, serving: Sequence[str]) -> list[str] | None:
        """The flights the reason applies to, "all" spelled out as `serving` (the destination's flights)."""
        if self.flights == ALL_FLIGHTS:
            return list(serving)
        return None if self.flights is None else list(self.flights)


def group_reasons(reasons: Iterable[Reason], serving: Sequence[str] | None = None) -> list[Reason]:
    """Reasons with the same code and words merged into one naming all their flights, in order of first
    appearance (deterministic for a deterministic input); flight-independent ones stay apart. With `serving`
    (the flights serving the person's destination), a reason naming exactly those says "all"."""
    groups: dict[tuple[str, str, bool], tuple[Reason, set[str]]] = {}
    for r in reasons:
        key = (r.code, r.message, r.flights is None)
        found = groups.get(key)
        if found is None:
            flights = r.flights if r.flights is None or isinstance(r.flights, str) else list(dict.fromkeys(r.flights))
            groups[key] = (Reason(code=r.code, message=r.message, flights=flights), set(flights or ()))
            continue
        group, seen = found
        if not isinstance(group.flights, list) or r.flights is None:
            continue  # flight-independent, or already every flight
        if isinstance(r.flights, str):
            group.flights = ALL_FLIGHTS
            continue
        for fid in r.flights:
            if fid not in seen:
                seen.add(fid)
                group.flights.append(fid)
    out = [group for group, _ in groups.values()]
    if serving:
        everyone = set(serving)
        for r in out:
            if isinstance(r.flights, list) and len(r.flights) == len(everyone) and set(r.flights) == everyone:
                r.flights = ALL_FLIGHTS
    return out


def _reasons_of_schema(schema: dict[str, Any]) -> None:
    """The file's `reasons_of` in the schema `charterplan schema plan` prints: the plan resolves it on reading
    (`Plan._shared_reasons`), so the model never holds it."""
    schema["properties"]["reasons_of"] = {
        "type": "string", "title": "Reasons Of",
        "description": "in a plan file: this person's reasons are word for word those of the person named, "
                       "an earlier one with reasons of their own (instead of reasons)"}


class Unassigned(PlanModel):
    """A person left out, with each reason once (`group_reasons`). Plans of the older shape, one reason per
    flight, load and are grouped on reading; only the grouped shape is written."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_reasons_of_schema)

    person_id: str
    reasons: list[Reason] = Field(default_factory=list)

    @field_validator("reasons", mode="after")
    @classmethod
    def _grouped(cls, reasons: list[Reason]) -> list[Reason]:
        keys = {(r.code, r.message, r.flights is None) for r in reasons}
        return reasons if len(keys) == len(reasons) else group_reasons(reasons)

    def flight_reasons(self, serving: Sequence[str]) -> Iterator[tuple[str | None, Reason]]:
        """Each (flight id, reason) pair the grouped reasons stand for, "all" spelled out as `serving` (the
        destination's flights); None as the flight of a flight-independent reason."""
        for r in self.reasons:
            ids = r.flight_ids(serving)
            if not ids:  # flight-independent (or naming none: never lost from a letter or a page)
                yield None, r
            else:
                for fid in ids:
                    yield fid, r


class ScenarioRef(PlanModel):
    name: str
    sha256: str


class Objective(PlanModel):
    """The solver's own values of the levels it optimised (docs/rules.md "Objective"); a level it did not run
    (seating off, or a plan written before the level was reported) is None. `planner.oracle.objective`
    scores any plan independently and must agree."""

    level1_value: int = 0
    level1_bound: int = 0
    gap: float = 0.0
    level1b_value: int = 0
    level2_spread: int | None = None  # Σ household spread in the cabins
    level4_non_robust: int | None = None  # samples in slots a delay of delay_margin_hours would invalidate
    level4_seat_cost: int | None = None  # Σ comfort cost of the seats taken


class Stages(PlanModel):
    allocation: str = "greedy"
    tests: str = "greedy"
    seating: dict[str, str] | None = None


class Kpis(PlanModel):
    people: int = 0
    moved: int = 0
    moved_by_vulnerability: dict[str, int] = Field(default_factory=dict)
    moved_by_destination: dict[str, int] = Field(default_factory=dict)
    households_deferred_by_reason: dict[str, int] = Field(default_factory=dict)
    unassigned_by_reason: dict[str, int] = Field(default_factory=dict)
    seats_used_by_flight: dict[str, int] = Field(default_factory=dict)
    passengers_by_flight: dict[str, int] = Field(default_factory=dict)
    tests_by_site_day: dict[str, dict[str, int]] = Field(default_factory=dict)
    lab_peak_ratio: float = 0.0
    escorts_used: int = 0
    flights_used: int = 0
    cleared_on: str | None = None


PLAN_FORMAT: Literal["charterplan.plan/2"] = "charterplan.plan/2"
#: Earlier formats this model still reads: /1 wrote every field of every record, indented one value a line.
OLDER_FORMATS = frozenset({"charterplan.plan/1"})


class Plan(PlanModel):
    format: Literal["charterplan.plan/2"] = PLAN_FORMAT
    scenario: ScenarioRef
    status: PlanStatus = "greedy"
    stages: Stages = Field(default_factory=Stages)
    objective: Objective = Field(default_factory=Objective)
    flights: list[FlightPlan] = Field(default_factory=list)
    tests: list[TestBooking] = Field(default_factory=list)
    unassigned: list[Unassigned] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    kpis: Kpis = Field(default_factory=Kpis)
    timings: dict[str, float] | None = None

    @field_validator("format", mode="before")
    @classmethod
    def _older_format(cls, value: Any) -> Any:
        """A plan of an older format reads as the current one: what it spells out is what /2 leaves to the
        defaults (docs/architecture.md#plan-json)."""
        return PLAN_FORMAT if value in OLDER_FORMATS else value

    @field_validator("unassigned", mode="before")
    @classmethod
    def _shared_reasons(cls, records: Any) -> Any:
        """A person left out whose reasons are word for word an earlier person's is written `reasons_of` that
        person (`_shared`); read back, they get those reasons, so the model never sees the reference."""
        if not isinstance(records, list) or not any(isinstance(u, dict) and "reasons_of" in u for u in records):
            return records
        said: dict[Any, Any] = {}  # the first record of a person, as `_shared` names it
        for u in records:
            if isinstance(u, dict) and "reasons_of" not in u and u.get("reasons"):
                said.setdefault(u.get("person_id"), u["reasons"])
        out = []
        for u in records:
            if isinstance(u, dict) and "reasons_of" in u:
                ref = u["reasons_of"]
                if ref not in said or "reasons" in u:
                    raise ValueError(f"person {u.get('person_id')}: reasons_of {ref!r} names no person left out with "
                                     "reasons of their own, or reasons are given as well")
                u = {**{k: v for k, v in u.items() if k != "reasons_of"}, "reasons": said[ref]}
            out.append(u)
        return out

    def to_json(self) -> str:
        """Canonical JSON (docs/architecture.md#plan-json): sorted keys, so a deterministic solve gives
        byte-identical files; the records (passengers, escorts, test bookings, people left out, transfers) one
        a line with the fields at their defaults left out, which the model restores on reading. Indenting
        every value on its own line made 40 % of a 50,000-person plan whitespace."""
        data = self.model_dump(mode="json", exclude=_LEAN)
        lean = self.model_dump(mode="json", exclude_defaults=True, include=_LEAN)
        for fp, lean_fp in zip(data["flights"], lean.get("flights", ()), strict=True):
            fp["passengers"] = lean_fp.get("passengers", [])
        for key in ("tests", "unassigned", "transfers"):
            data[key] = lean.get(key, [])
        out: list[str] = []
        _write(data, "", out)
        out.append("\n")
        return "".join(out)


#: The lists whose items are records written one a line.
RECORDS = frozenset({"passengers", "escorts", "tests", "unassigned", "transfers"})
#: The records written without the fields at their defaults (pydantic's `exclude_defaults`), which the model
#: restores on reading; escorts are written whole, as the service's manifests read their `seat` and `serves` from
#: the file, and there are a few per flight.
_LEAN: Any = {"flights": {"__all__": {"passengers"}}, "tests": True, "unassigned": True, "transfers": True}
_RECORD = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _shared(records: list[dict[str, Any]]) -> list[str]:
    """The lines of the people left out, a person whose reasons are word for word an earlier person's saying
    `reasons_of` that person instead: a household's members, and households of one size kept off the same full
    flights, share them, and said again they were half of a 50,000-person plan (docs/architecture.md#plan-json)."""
    first: dict[str, str] = {}
    lines = []
    for u in records:
        reasons = u.get("reasons")
        if not reasons or set(u) != {"person_id", "reasons"}:
            lines.append(_RECORD(u))
            continue
        said = _RECORD(reasons)
        pid = json.dumps(u["person_id"], ensure_ascii=False)
        ref = first.setdefault(said, pid)
        lines.append(f'{{"person_id": {pid}, "reasons": {said}}}' if ref == pid else
                     f'{{"person_id": {pid}, "reasons_of": {ref}}}')
    return lines


def _write(value: Any, indent: str, out: list[str]) -> None:
    """Append `value` as indented JSON with sorted keys; the lists named in RECORDS one item a line."""
    if isinstance(value, dict) and value:
        inner = indent + "  "
        out.append("{")
        for i, k in enumerate(sorted(value)):
            out.append(("," if i else "") + "\n" + inner + json.dumps(k, ensure_ascii=False) + ": ")
            v = value[k]
            if k in RECORDS and isinstance(v, list) and v:
                deeper = inner + "  "
                out.append("[\n" + deeper)
                out.append((",\n" + deeper).join(_shared(v) if k == "unassigned" else map(_RECORD, v)))
                out.append("\n" + inner + "]")
            else:
                _write(v, inner, out)
        out.append("\n" + indent + "}")
    elif isinstance(value, list) and value:
        inner = indent + "  "
        out.append("[")
        for i, v in enumerate(value):
            out.append(("," if i else "") + "\n" + inner)
            _write(v, inner, out)
        out.append("\n" + indent + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))
