"""A stored person row and the planner's Person, both ways, and what erasure leaves of a row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from api import models as m
from planner.model import scenario as sc
from planner.model.fields import STORED

PERSON_FIELDS = list(sc.Person.model_fields)
ERASED = "[erased]"


COLUMNS = [f for f in PERSON_FIELDS if f in m.Person.model_fields]
EXTRA_FIELDS = [f for f in PERSON_FIELDS if f not in m.Person.model_fields]

#: What an erased person's tombstone keeps of the planner's fields: only the case_id, so that plans (which keep
#: their own anonymous counts) still name a known case and an erased case cannot be imported again.
ERASURE_KEEPS = ("case_id",)
#: Neutral values for the NOT NULL columns that are not simply blank ("" / False).
_NEUTRAL = {"fitness": "pending", "mobility": "none", "evacuation_capable": True}


def _erasure_values() -> dict[str, Any]:
    """Every person column except the tombstone's: names, birth date, sex, nationality, household, where the
    person stays, consent and its dates, documents, health (fitness, mobility, pregnancy, vaccination, test
    results), protection facts, contacts, notes and any newer planner field
    (docs/architecture.md#exports-and-data-protection). Derived from the
    table, so a column added later is erased too unless it is added to ERASURE_KEEPS."""
    out: dict[str, Any] = {}
    for column in m.table_of(m.Person).columns:
        name = column.name
        if (name not in COLUMNS and name != "extra") or name in ERASURE_KEEPS:
            continue
        if name in _NEUTRAL:
            out[name] = _NEUTRAL[name]
        elif name == "extra":
            out[name] = {}
        elif column.nullable:
            out[name] = None
        elif column.type.python_type is bool:
            out[name] = False
        else:
            out[name] = ""
    return out


#: Column values of an erased person (what erasure writes).
ERASURE_VALUES = _erasure_values()


def person_values(person: sc.Person) -> dict[str, Any]:
    """Column values of a planner Person (fields without a column go to `extra`)."""
    data = person.model_dump()
    data["vulnerabilities"] = ";" + ";".join(person.vulnerabilities) + ";" if person.vulnerabilities else ""
    sample = data.get("last_test_sample")
    data["last_test_sample"] = sample.isoformat() if sample is not None else None
    data["extra"] = {k: person.model_dump(mode="json", include={k})[k] for k in EXTRA_FIELDS
                     if data.get(k) is not None}
    for k in EXTRA_FIELDS:
        data.pop(k, None)
    return data


def extra_in(fields: Iterable[str]) -> bool:
    """Whether any of these fields is stored in `extra` (a change to one rewrites the row's `extra`)."""
    return any(f in EXTRA_FIELDS for f in fields)


def row_to_person_dict(row: Any) -> dict[str, Any]:
    """A stored row (ORM object or mapping) as the planner's Person fields."""
    get = row.__getitem__ if isinstance(row, dict) or hasattr(row, "keys") else (lambda k: getattr(row, k))
    out: dict[str, Any] = {name: get(name) for name in COLUMNS}
    out.update(get("extra") or {})
    out["vulnerabilities"] = [c for c in get("vulnerabilities").split(";") if c]
    return out


def row_to_person(row: m.Person) -> sc.Person:
    """A stored person; text stored before today's import rules is taken as it is (exports neutralise it)."""
    return sc.Person.model_validate(row_to_person_dict(row), context=STORED)


def comparable(values: dict[str, Any]) -> dict[str, Any]:
    """Column values normalised for the created / updated / unchanged comparison of an import."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
            if k in COLUMNS or k == "extra"}
