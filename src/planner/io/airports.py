"""The bundled IATA airport table (code, name, country, timezone), used to check codes and local times."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Airport:
    iata: str
    name: str
    city: str
    country: str
    timezone: str


@cache
def airports() -> dict[str, Airport]:
    text = resources.files("planner").joinpath("data/airports.csv").read_text(encoding="utf-8")
    return {row["iata"]: Airport(**row) for row in csv.DictReader(text.splitlines())}


def airport(code: str) -> Airport | None:
    return airports().get(code)
