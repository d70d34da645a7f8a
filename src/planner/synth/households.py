"""Household shapes: who lives together (sex, birth date, role) for each kind of household."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from planner.synth.draws import born, born_months, pick
from planner.synth.rates import Rates


@dataclass
class Member:
    """One member of a household shape, before names and case details are drawn."""

    sex: str
    born: date
    role: str  # head, spouse, child, elder, adult, minor


def household_shape(rng: random.Random, kind: str, rates: Rates, on: date) -> list[Member]:
    """Members (sex, birth date, role) of one household of the given kind, at most eight."""
    if kind == "single_man":
        return [_adult(rng, "M", 18, 45, "head", on)]
    if kind == "single_woman":
        return [_adult(rng, "F", 19, 50, "head", on)]
    if kind == "adults":
        return [_adult(rng, "M" if rng.random() < 0.85 else "F", 18, 40, "adult", on)
                for _ in range(rng.randint(2, 3))]
    if kind == "uasc":
        return [_adult(rng, "M" if rng.random() < 0.85 else "F", 13, 17, "minor", on)
                for _ in range(1 if rng.random() < 0.75 else 2)]
    return _family(rng, kind, rates, on)[:8]


def _family(rng: random.Random, kind: str, rates: Rates, on: date) -> list[Member]:
    """A parent or a couple with children; an extended family adds one or two elders."""
    head_age = rng.randint(24, 52)
    if kind == "single_parent":
        mother = rng.random() < 0.7
        members = [_adult(rng, "F" if mother else "M", max(22, head_age - 4), head_age, "head", on)]
        return members + _children(rng, rates, head_age, rng.randint(1, 4), on)
    members = [_adult(rng, "M", head_age, head_age, "head", on)]
    wife_age = max(18, head_age - rng.randint(0, 8))
    members.append(_adult(rng, "F", wife_age, wife_age, "spouse", on))
    if kind == "family":
        members += _children(rng, rates, wife_age, pick(rng, rates.children), on)
    elif kind == "extended":
        members += _children(rng, rates, wife_age, rng.randint(0, 4), on)
        for _ in range(rng.randint(1, 2)):
            if len(members) < 8:
                members.append(_adult(rng, rng.choice("MF"), max(60, head_age + 22), 82, "elder", on))
    return members


def _adult(rng: random.Random, sex: str, low: int, high: int, role: str, on: date) -> Member:
    """A member aged `low`..`high` years (minors of an unaccompanied group included)."""
    return Member(sex, born(rng, rng.randint(low, high), on), role)


def _children(rng: random.Random, rates: Rates, mother_age: int, count: int, on: date) -> list[Member]:
    """`count` children one to four years apart, the eldest born when the mother was at least 17; the
    youngest is sometimes an infant."""
    out: list[Member] = []
    age = -1
    for i in range(count):
        if i == 0 and rng.random() < rates.infant_share:
            out.append(Member(rng.choice("MF"), born_months(rng, rng.randrange(24), on), "child"))
            age = 1
            continue
        age = age + rng.randint(1, 4) if age >= 0 else rng.randint(1, 9)
        age = min(age, mother_age - 17, 24)
        out.append(Member(rng.choice("MF"), born(rng, max(age, 0), on), "child"))
    return out


def fit_size(rng: random.Random, size: int, on: date) -> list[Member]:
    """The last household, cut to exactly `size` members (a couple and children, or one adult)."""
    members = [Member("M", born(rng, rng.randint(22, 45), on), "head")]
    if size >= 2:
        members.append(Member("F", born(rng, rng.randint(20, 40), on), "spouse"))
    for _ in range(size - 2):
        members.append(Member(rng.choice("MF"), born(rng, rng.randint(0, 14), on), "child"))
    return members
