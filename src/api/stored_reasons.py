"""Reasons as the service stores them with each person's assignment row: said once per reason with the flights it
applies to, as in the plan (docs/rules.md#explanations). Rows stored before reasons were grouped (one reason per
flight, with `flight_id`) are grouped when read, so every reader sees one shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from planner.model.plan import ALL_FLIGHTS, Unassigned


def grouped(raw: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The row's reasons in the grouped shape (`code`, `message`, `flights`), whichever shape they were stored in."""
    items = list(raw)
    if not any("flight_id" in r for r in items):
        return items
    return [r.model_dump(mode="json") for r in Unassigned.model_validate({"person_id": "-", "reasons": items}).reasons]


def flights_of(reason: dict[str, Any], serving: list[str] | None) -> list[str] | None:
    """The flights one grouped reason applies to: None for a flight-independent one; "all" spelled out as
    `serving` (the flights to the person's destination), or left as it is without them."""
    flights = reason.get("flights")
    if flights == ALL_FLIGHTS:
        return list(serving) if serving is not None else None
    return list(flights) if flights else None


def in_words(reason: dict[str, Any], destination: str | None = None) -> str:
    """One reason in plain words, once, with the flights it applies to."""
    flights = reason.get("flights")
    if flights == ALL_FLIGHTS:
        where = f" (every flight to {destination})" if destination else " (every flight to the destination)"
    elif flights:
        where = f" ({'flight' if len(flights) == 1 else 'flights'} {', '.join(flights)})"
    else:
        where = ""
    return f"{reason.get('message', '')}{where}"
