"""Small seeded draws and date helpers the generator's modules share; every draw takes the one
`random.Random` of the run, so output depends only on the arguments."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from typing import TypeVar
from zoneinfo import ZoneInfo

K = TypeVar("K")


def pick(rng: random.Random, shares: Mapping[K, float]) -> K:
    """One key drawn with probability proportional to its share (keys in insertion order)."""
    keys = list(shares)
    return rng.choices(keys, weights=[shares[k] for k in keys], k=1)[0]


def age_on(born: date, on: date) -> int:
    """Completed years on `on`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def born(rng: random.Random, years: int, on: date) -> date:
    """A birth date making someone exactly `years` old on `on`."""
    latest = date(on.year - years, on.month, min(on.day, 28))
    return latest - timedelta(days=rng.randrange(365))


def born_months(rng: random.Random, months: int, on: date) -> date:
    """A birth date making an infant `months` (0..23) old on `on`."""
    return on - timedelta(days=months * 30 + rng.randrange(28) + 1)


def fixed(moment: datetime) -> datetime:
    """The same instant with a fixed UTC offset, so files show `+03:00` and compare byte for byte."""
    offset = moment.utcoffset()
    assert offset is not None
    return moment.astimezone(timezone(offset))


def at(day: date, clock: time, tz: str) -> datetime:
    """A local wall-clock time in `tz`, with its fixed offset."""
    return fixed(datetime.combine(day, clock, tzinfo=ZoneInfo(tz)))
