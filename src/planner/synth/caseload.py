"""Synthetic people, household by household: origin, names, consent, documents, exit clearance, health
(planner.synth.health) and the details of unaccompanied minors."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.io.airports import airport
from planner.model.scenario import Person
from planner.synth.baggage import baggage_fields
from planner.synth.document_sources import requested_document
from planner.synth.draws import age_on, pick
from planner.synth.health import Outbreak, draw_health
from planner.synth.households import Member, fit_size, household_shape
from planner.synth.languages import notice_language
from planner.synth.names import DOCUMENT_PREFIX, FOREIGN, NAME_POOLS
from planner.synth.rates import PROXY_NOTES, RELATIVES, TOWNS, UASC_PROXY_NOTE, Rates
from planner.synth.reception import reception_fields


@dataclass
class Household:
    """A household's id and its people, in case-id order."""

    id: str
    members: list[Person]


class CaseloadBuilder:
    """Draws households and people; kept as a class so the many shared draws read top to bottom."""

    def __init__(self, rng: random.Random, rates: Rates, as_of: datetime, tz: str, last_day: date,
                 destinations: Mapping[str, float], locations: Mapping[str, float], foreign_share: float):
        self.rng = rng
        self.rates = rates
        self.tz = tz
        self.as_of = as_of
        self.today = as_of.astimezone(ZoneInfo(tz)).date()
        self.first_day = self.today + timedelta(days=1)
        self.last_day = last_day
        self.destinations = destinations
        self.locations = locations
        self.foreign_share = foreign_share

    def build(self, count: int) -> list[Household]:
        """Households until `count` people are drawn; the last one is cut to fit exactly."""
        rng, rates = self.rng, self.rates
        width = max(4, len(str(count)))
        out: list[Household] = []
        made = 0
        while made < count:
            kind = str(pick(rng, rates.households))
            shape = household_shape(rng, kind, rates, self.today)
            if made + len(shape) > count:
                kind, shape = "family", fit_size(rng, count - made, self.today)
            hid = f"H{len(out) + 1:0{width}d}"
            first = made + 1
            people = self._people(hid, kind, shape, [f"C{first + i:0{width}d}" for i in range(len(shape))])
            out.append(Household(hid, people))
            made += len(shape)
        return out

    # -- one household

    def _people(self, hid: str, kind: str, shape: list[Member], case_ids: list[str]) -> list[Person]:
        """The household's people: shared origin, place, registration, consent state and documents profile,
        then each member's own draws."""
        rng, rates, today = self.rng, self.rates, self.today
        nationality, destination, pool_key = self._origin()
        pool = NAME_POOLS[pool_key]
        family = rng.choice(list(pool.family))
        location = str(pick(rng, self.locations))
        low, high, mode = rates.registered_days
        registered = today - timedelta(days=round(rng.triangular(low, high, mode)))
        consent_date = min(today, registered + timedelta(days=rng.randint(0, 6)))
        consent_state = "explicit"
        roll = rng.random()
        if roll < rates.consent_none_household:
            consent_state = "none"
        elif roll < rates.consent_none_household + rates.consent_withdrawn_household:
            consent_state = "withdrawn"
        documents = str(pick(rng, rates.documents))
        exit_household = rng.random() >= rates.exit_refused_household
        outbreak = rng.random() < rates.outbreak_household
        outbreak_day = today - timedelta(days=rng.randint(0, 16))
        household_outbreak = Outbreak(outbreak, outbreak_day)
        border = location.startswith(("BRUZGI", "HRODNA"))
        people: list[Person] = []
        used_given: set[str] = set()
        for member, case_id in zip(shape, case_ids, strict=True):
            age = age_on(member.born, today)
            names = pool.male if member.sex == "M" else pool.female
            choices = [n for n in names if n not in used_given and n != family] or list(names)
            given = rng.choice(choices)
            used_given.add(given)
            native = f"{names[given]} {pool.family[family]}".strip() if names[given] else ""
            values: dict[str, object] = {
                "case_id": case_id, "household_id": hid, "given_name": given, "family_name": family,
                "name_native": native, "sex": member.sex, "date_of_birth": member.born,
                "nationality": nationality, "destination": destination, "location": location,
                "registered_on": registered,
            }
            values.update(self._consent(consent_state, consent_date, member, kind))
            values.update(self._document(documents, nationality, registered))
            values.update(_birth_and_issuer(values, nationality, destination))
            values["language"] = notice_language(pool_key, family)  # docs/notices.md
            values["exit_cleared"] = exit_household and rng.random() >= rates.exit_refused_person
            values.update(draw_health(rng, rates, member, age, border, household_outbreak, today, self.tz))
            values.update(self._uasc(kind, destination))
            values.update(reception_fields(values, destination))
            values.update(baggage_fields(values))
            people.append(Person.model_validate(values))
        return people

    def _origin(self) -> tuple[str, str, str]:
        """Nationality, destination airport and name pool of a household."""
        rng = self.rng
        if rng.random() < self.foreign_share:
            nationality = str(pick(rng, {k: v[0] for k, v in FOREIGN.items()}))
            _share, home, pool, krg = FOREIGN[nationality]
            served = [d for d in ("EBL", "ISU") if d in self.destinations]
            if served and rng.random() < krg:
                return nationality, served[0], pool
            return nationality, home, pool
        destination = str(pick(rng, self.destinations))
        kurdish = destination in ("EBL", "ISU") or rng.random() < 0.2
        return "IRQ", destination, "ku" if kurdish else "ar"

    def _consent(self, state: str, when: date, member: Member, kind: str) -> dict[str, object]:
        """Consent fields: none, withdrawn (the household's or one adult's), by proxy, or explicit."""
        rng, rates = self.rng, self.rates
        if state == "none":
            return {"consent": "none", "notes": "Not yet counselled on voluntary return"}
        if state == "withdrawn" or (member.role != "minor" and age_on(member.born, self.today) >= 18
                                    and rng.random() < rates.consent_withdrawn_person):
            day = min(self.today, when + timedelta(days=rng.randint(1, 10)))
            return {"consent": "none", "consent_date": when,
                    "notes": f"Consent withdrawn on {day.isoformat()}"}
        if kind == "uasc" and rng.random() < 0.6:
            return {"consent": "proxy", "consent_date": when, "consent_note": UASC_PROXY_NOTE}
        if member.role in ("head", "spouse", "elder", "adult") and rng.random() < (
                rates.consent_proxy_adult * (4 if member.role == "elder" else 1)):
            return {"consent": "proxy", "consent_date": when, "consent_note": rng.choice(PROXY_NOTES)}
        return {"consent": "explicit", "consent_date": when}

    def _document(self, profile: str, nationality: str, registered: date) -> dict[str, object]:
        """Travel document fields for the household's documents profile; a few expire during the operation."""
        rng, rates, today = self.rng, self.rates, self.today
        if profile == "mixed":
            profile = "passport" if rng.random() < 0.6 else "none"
        if profile == "none":
            return requested_document(nationality, registered, today)
        if rng.random() < rates.expiring_mid_operation and self.last_day > self.first_day:
            span = (self.last_day - self.first_day).days
            expiry = self.first_day + timedelta(days=rng.randint(1, span))
        elif profile == "etd":
            expiry = max(today, registered) + timedelta(days=rng.randint(*rates.etd_days))
        elif rng.random() < rates.passport_expired:
            expiry = today - timedelta(days=rng.randint(10, 700))
        else:
            expiry = today + timedelta(days=rng.randint(120, 8 * 365))
        if profile == "etd":
            return {"document_type": "etd", "document_number": f"LP-{rng.randrange(10**6, 10**7)}",
                    "document_expiry": expiry}
        prefix = DOCUMENT_PREFIX.get(nationality, "X")
        return {"document_type": "passport", "document_number": f"{prefix}{rng.randrange(10**7, 10**8)}",
                "document_expiry": expiry}

    def _uasc(self, kind: str, destination: str) -> dict[str, object]:
        """For unaccompanied minors: the best-interests decision and, mostly, a reception contact."""
        rng, rates = self.rng, self.rates
        if kind != "uasc":
            return {}
        out: dict[str, object] = {"unaccompanied_minor": True,
                                  "best_interests_approved": rng.random() < rates.uasc_bid_approved}
        if rng.random() < rates.uasc_contact:
            town = rng.choice(TOWNS.get(destination, ("home town",)))
            out["reception_contact"] = f"{rng.choice(RELATIVES)}, {town} (phone on file)"
        return out


def _birth_and_issuer(values: dict[str, object], nationality: str, destination: str) -> dict[str, object]:
    """Advance passenger information without a draw (so every other draw stays as it was): born in the country
    of nationality; a passport issued by that state, a laissez-passer (`etd`) by the destination's state, which
    issues it for the return (docs/airline.md)."""
    out: dict[str, object] = {"country_of_birth": nationality}
    if values.get("document_type") == "passport":
        out["document_issuing_state"] = nationality
    elif values.get("document_type") == "etd":
        place = airport(destination)
        out["document_issuing_state"] = place.country if place is not None else nationality
    return out
