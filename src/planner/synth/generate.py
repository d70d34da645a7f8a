"""Synthetic scenarios shaped like the 2021–22 Belarus–Iraq return operation (docs/scenarios.md).

Every person is invented. The shape follows the public facts (docs/scenarios.md#public-facts-and-synthetic-figures):
mostly Iraqi Kurds
housed at the Bruzgi transport-logistics centre, a Hrodna facility and Minsk hotels, flying Minsk to Erbil,
Baghdad and Sulaymaniyah under the 2021 Iraqi test rules. Everything else (shares, ages, document states) is a
plausible guess, kept in one place (`Rates`) so that tests and docs can name it.

Output depends only on the arguments: one `random.Random(seed)` drives every draw, iteration is over lists in
a fixed order, and the clock is never read. Capacity (seats, lab, escorts) is sized from the caseload it
generated, so a good plan moves most eligible people while seats and the lab still bind somewhere.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from planner.io.airports import airport
from planner.model.scenario import (
    DateRange,
    DestinationRule,
    Escort,
    EscortRules,
    Flight,
    Person,
    Protocol,
    Scenario,
    SeatingRules,
    Stop,
    TestingSite,
    Weights,
)
from planner.seating.seatmaps import resolve_aircraft

MINSK = "Europe/Minsk"
DEFAULT_AS_OF = datetime(2021, 11, 28, 18, 0, tzinfo=timezone(timedelta(hours=3)))
ORIGIN = "MSQ"

#: Scheduled block times from Minsk (minutes), and extra minutes from the first stop to a second one
#: (one hour on the ground plus the hop). MSQ–EBL about 4 h 10 min, MSQ–BGW about 4 h 30 min.
BLOCK_MINUTES = {"EBL": 250, "BGW": 270, "ISU": 260}
ONWARD_MINUTES = {("EBL", "BGW"): 125, ("EBL", "ISU"): 95, ("ISU", "BGW"): 125}

#: Departure times offered to charters (local Minsk time). Morning departures leave a short Erbil test window
#: (48 h before arrival, minus lab turnaround and check-in), evening ones a long window.
DEPARTURE_TIMES = (time(7, 30), time(9, 45), time(11, 0), time(13, 30), time(15, 0), time(16, 45),
                   time(19, 15), time(21, 30))

#: Aircraft from the library and how often charter brokers offer each (a guess, not a public figure).
AIRCRAFT_MIX = {"A320-180Y": 0.28, "B737-800-189Y": 0.24, "A321-220Y": 0.2, "B767-300ER-259Y": 0.12,
                "A330-300-352Y": 0.09, "B747-400-440Y": 0.07}

BORDER_LOCATIONS = {"BRUZGI-LOGISTICS-CENTRE": 0.5, "HRODNA-FACILITY": 0.12, "MINSK-HOTEL-1": 0.16,
                    "MINSK-HOTEL-2": 0.12, "MINSK-HOTEL-3": 0.10}
IRAQ_DESTINATIONS = {"EBL": 0.70, "BGW": 0.19, "ISU": 0.11}

#: 2021 entry rules (docs/rules.md#test-windows): Erbil and Sulaymaniyah PCR 48 h before arrival with
#: under-12s and the vaccinated exempt; Baghdad PCR 72 h before departure with under-10s exempt.
RULES_2021 = {
    "EBL": DestinationRule(test="PCR", window_hours=48, anchor="arrival", exempt_under_years=12,
                           vaccinated_exempt=True),
    "BGW": DestinationRule(test="PCR", window_hours=72, anchor="departure", exempt_under_years=10),
    "ISU": DestinationRule(test="PCR", window_hours=48, anchor="arrival", exempt_under_years=12,
                           vaccinated_exempt=True),
}

# ---------------------------------------------------------------- names (Latin spelling -> native script)

#: Kurdish (Sorani) names and Arabic-origin names as Iraqi Kurds write them, in Sorani script.
KU_MALE = {
    "Rebin": "ڕێبین", "Karwan": "کاروان", "Hawre": "هاوڕێ", "Azad": "ئازاد", "Aram": "ئارام",
    "Dilshad": "دڵشاد", "Shwan": "شوان", "Sherko": "شێرکۆ", "Hemin": "هێمن", "Kawa": "کاوە",
    "Rezan": "ڕێزان", "Soran": "سۆران", "Baran": "باران", "Zana": "زانا", "Diyar": "دیار",
    "Hiwa": "هیوا", "Saman": "سامان", "Bakhtiyar": "بەختیار", "Goran": "گۆران", "Alan": "ئالان",
    "Dana": "دانا", "Sirwan": "سیروان", "Nawzad": "نەوزاد", "Botan": "بۆتان", "Hogir": "هۆگر",
    "Mohammed": "محەمەد", "Ahmed": "ئەحمەد", "Ali": "عەلی", "Omar": "عومەر", "Hassan": "حەسەن",
    "Hussein": "حوسێن", "Mustafa": "مستەفا", "Karim": "کەریم", "Ibrahim": "ئیبراهیم", "Yusuf": "یووسف",
}
KU_FEMALE = {
    "Shilan": "شیلان", "Nask": "ناسک", "Jwan": "جوان", "Dilan": "دیلان", "Lana": "لانا", "Shno": "شنۆ",
    "Rozhan": "ڕۆژان", "Avin": "ئاڤین", "Nazdar": "نازدار", "Hana": "هانا", "Bahar": "بەهار",
    "Sozan": "سۆزان", "Parwin": "پەروین", "Kazhal": "کەژاڵ", "Chra": "چرا", "Shirin": "شیرین",
    "Hero": "هێرۆ", "Gulala": "گوڵاڵە", "Bafrin": "بەفرین", "Rojin": "ڕۆژین", "Srwa": "سروە",
    "Fatima": "فاتیمە", "Zainab": "زەینەب", "Maryam": "مەریەم", "Sara": "سارا", "Amina": "ئامینە",
}
KU_FAMILY = {
    "Ahmed": "ئەحمەد", "Mohammed": "محەمەد", "Ali": "عەلی", "Omar": "عومەر", "Hassan": "حەسەن",
    "Mustafa": "مستەفا", "Karim": "کەریم", "Abdullah": "عەبدوڵڵا", "Salih": "ساڵح", "Mahmoud": "مەحموود",
    "Ibrahim": "ئیبراهیم", "Rashid": "ڕەشید", "Aziz": "عەزیز", "Qadir": "قادر", "Othman": "عوسمان",
    "Rahman": "ڕەحمان", "Hamid": "حەمید", "Khidir": "خدر", "Rasul": "ڕەسوڵ", "Amin": "ئەمین",
    "Faraj": "فەرەج", "Sharif": "شەریف", "Jaf": "جاف", "Zebari": "زێباری", "Hawrami": "هەورامی",
    "Barwari": "بەرواری", "Doski": "دۆسکی", "Surchi": "سورچی", "Herki": "هەرکی",
}
#: Arabic names in Arabic orthography (Arab Iraqis, Syrians, Yemenis).
AR_MALE = {
    "Ahmed": "أحمد", "Mohammed": "محمد", "Ali": "علي", "Omar": "عمر", "Hassan": "حسن", "Hussein": "حسين",
    "Mustafa": "مصطفى", "Haider": "حيدر", "Yusuf": "يوسف", "Ibrahim": "إبراهيم", "Khalid": "خالد",
    "Karim": "كريم", "Abdullah": "عبد الله", "Salih": "صالح", "Mahmoud": "محمود", "Abbas": "عباس",
    "Kamal": "كمال", "Jamal": "جمال", "Sami": "سامي", "Bilal": "بلال", "Hamza": "حمزة", "Ammar": "عمار",
    "Zaid": "زيد", "Mahdi": "مهدي", "Qasim": "قاسم", "Abdulrahman": "عبد الرحمن",
}
AR_FEMALE = {
    "Fatima": "فاطمة", "Zahraa": "زهراء", "Maryam": "مريم", "Noor": "نور", "Zainab": "زينب", "Huda": "هدى",
    "Sara": "سارة", "Aisha": "عائشة", "Layla": "ليلى", "Amina": "أمينة", "Rana": "رنا", "Hiba": "هبة",
    "Samira": "سميرة", "Nadia": "نادية", "Asmaa": "أسماء", "Ruqaya": "رقية", "Shahad": "شهد", "Israa": "إسراء",
}
AR_FAMILY = {
    "Ahmed": "أحمد", "Hassan": "حسن", "Hussein": "حسين", "Karim": "كريم", "Salih": "صالح",
    "Abdullah": "عبد الله", "Mahmoud": "محمود", "Abbas": "عباس", "Khalil": "خليل", "Mahdi": "مهدي",
    "Jaber": "جابر", "Rashid": "رشيد", "Kadhim": "كاظم", "Jawad": "جواد", "Al-Jubouri": "الجبوري",
    "Al-Obaidi": "العبيدي", "Al-Dulaimi": "الدليمي", "Al-Tamimi": "التميمي", "Al-Saadi": "الساعدي",
    "Al-Shammari": "الشمري", "Al-Hashimi": "الهاشمي", "Al-Hakimi": "الحكيمي", "Nasser": "ناصر",
}
#: Persian and Dari names in Perso-Arabic script (Iranians, Afghans).
FA_MALE = {
    "Reza": "رضا", "Mehdi": "مهدی", "Ali": "علی", "Hossein": "حسین", "Amir": "امیر", "Saeed": "سعید",
    "Dariush": "داریوش", "Ahmad": "احمد", "Farid": "فرید", "Habib": "حبیب", "Navid": "نوید", "Zia": "ضیا",
}
FA_FEMALE = {
    "Maryam": "مریم", "Zahra": "زهرا", "Fatemeh": "فاطمه", "Leila": "لیلا", "Nasrin": "نسرین",
    "Shirin": "شیرین", "Fariba": "فریبا", "Nargis": "نرگس", "Shabnam": "شبنم",
}
FA_FAMILY = {
    "Ahmadi": "احمدی", "Mohammadi": "محمدی", "Hosseini": "حسینی", "Karimi": "کریمی", "Rahimi": "رحیمی",
    "Moradi": "مرادی", "Rostami": "رستمی", "Ahmadzai": "احمدزی", "Hakimi": "حکیمی", "Noori": "نوری",
    "Sultani": "سلطانی",
}
#: Cameroonian names are written in Latin script; they have no separate native spelling.
CM_MALE = {n: "" for n in ("Jean", "Paul", "Emmanuel", "Samuel", "Moussa", "Hamadou", "Serge", "Blaise")}
CM_FEMALE = {n: "" for n in ("Marie", "Grace", "Aissatou", "Florence", "Brigitte", "Estelle")}
CM_FAMILY = {n: "" for n in ("Mbarga", "Ngono", "Fotso", "Tchoumi", "Nkwenti", "Abena", "Bello", "Essomba")}


@dataclass(frozen=True)
class NamePool:
    male: Mapping[str, str]
    female: Mapping[str, str]
    family: Mapping[str, str]


NAME_POOLS = {
    "ku": NamePool(KU_MALE, KU_FEMALE, KU_FAMILY),
    "ar": NamePool(AR_MALE, AR_FEMALE, AR_FAMILY),
    "fa": NamePool(FA_MALE, FA_FEMALE, FA_FAMILY),
    "cm": NamePool(CM_MALE, CM_FEMALE, CM_FAMILY),
}

#: Non-Iraqi nationalities seen in the 2021 border group: (share among them, home airport, name pool,
#: share of them who live in the Kurdistan Region and fly to Erbil).
FOREIGN = {
    "SYR": (0.35, "DAM", "ar", 0.5),
    "IRN": (0.20, "IKA", "fa", 0.4),
    "AFG": (0.20, "KBL", "fa", 0.0),
    "YEM": (0.10, "SAH", "ar", 0.0),
    "CMR": (0.15, "DLA", "cm", 0.0),
}
DOCUMENT_PREFIX = {"IRQ": "A", "SYR": "N", "IRN": "K", "AFG": "P", "YEM": "Y", "CMR": "C"}


# ---------------------------------------------------------------- rates

@dataclass(frozen=True)
class Rates:
    """Shares that shape a caseload; all synthetic guesses except where docs/scenarios.md cites a source."""

    households: Mapping[str, float]
    children: Mapping[int, float]
    consent_none_household: float
    consent_withdrawn_household: float
    consent_withdrawn_person: float
    consent_proxy_adult: float
    documents: Mapping[str, float]  # household profile: passport, etd, none, mixed
    passport_expired: float
    expiring_mid_operation: float
    etd_days: tuple[int, int]
    exit_refused_household: float
    exit_refused_person: float
    unfit: float
    fit_with_escort: float
    pending: float
    pregnant: float
    vaccinated_adult: float
    outbreak_household: float
    positive_person: float
    registered_days: tuple[int, int, int]  # triangular (low, high, mode) days before as_of
    uasc_bid_approved: float
    uasc_contact: float
    border_exposure: float
    infant_share: float


BORDER_2021 = Rates(
    households={"single_man": 0.36, "single_woman": 0.03, "couple": 0.07, "family": 0.36,
                "single_parent": 0.05, "extended": 0.06, "adults": 0.05, "uasc": 0.02},
    children={1: 0.2, 2: 0.25, 3: 0.22, 4: 0.17, 5: 0.1, 6: 0.06},
    consent_none_household=0.02, consent_withdrawn_household=0.01, consent_withdrawn_person=0.003,
    consent_proxy_adult=0.01,
    documents={"passport": 0.66, "etd": 0.285, "none": 0.04, "mixed": 0.015},
    passport_expired=0.008, expiring_mid_operation=0.01, etd_days=(14, 90),
    exit_refused_household=0.025, exit_refused_person=0.005,
    unfit=0.005, fit_with_escort=0.015, pending=0.12, pregnant=0.07, vaccinated_adult=0.22,
    outbreak_household=0.02, positive_person=0.004, registered_days=(1, 42, 12),
    uasc_bid_approved=0.7, uasc_contact=0.8, border_exposure=0.3, infant_share=0.3,
)

#: A curated IOM AVRR caseload a few days before departure: counselled, documented, cleared, mostly checked.
AVRR_2022 = replace(
    BORDER_2021,
    households={"single_man": 0.45, "single_woman": 0.03, "couple": 0.07, "family": 0.35,
                "single_parent": 0.04, "extended": 0.03, "adults": 0.03, "uasc": 0.0},
    children={1: 0.25, 2: 0.3, 3: 0.2, 4: 0.25},
    consent_none_household=0.0, consent_withdrawn_household=0.0, consent_withdrawn_person=0.0,
    consent_proxy_adult=0.01,
    documents={"passport": 0.35, "etd": 0.65, "none": 0.0, "mixed": 0.0},
    passport_expired=0.0, expiring_mid_operation=0.0, etd_days=(20, 60),
    exit_refused_household=0.0, exit_refused_person=0.0,
    unfit=0.0, fit_with_escort=0.01, pending=0.08, vaccinated_adult=0.45,
    outbreak_household=0.0, positive_person=0.0, registered_days=(20, 120, 90), border_exposure=0.35,
)

PROFILES = {"border": BORDER_2021, "avrr": AVRR_2022}
Profile = Literal["border", "avrr"]

PROXY_NOTES = (
    "Declaration signed by the spouse: person hospitalised in Hrodna",
    "Declaration signed by the adult son: person cannot give informed consent (dementia)",
    "Declaration signed by the brother: person under psychiatric care, assessed by IOM doctor",
)
UASC_PROXY_NOTE = "Declaration signed by the appointed guardian after the best-interests procedure"
RELATIVES = ("Paternal uncle", "Maternal uncle", "Older brother", "Grandmother", "Aunt", "Father")
TOWNS = {"EBL": ("Erbil", "Duhok", "Zakho", "Soran", "Akre"), "ISU": ("Sulaymaniyah", "Ranya", "Halabja"),
         "BGW": ("Baghdad", "Mosul", "Kirkuk", "Baqubah")}


# ---------------------------------------------------------------- small helpers

def _pick(rng: random.Random, shares: Mapping) -> object:
    """One key drawn with probability proportional to its share (keys in insertion order)."""
    keys = list(shares)
    return rng.choices(keys, weights=[shares[k] for k in keys], k=1)[0]


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _born(rng: random.Random, years: int, on: date) -> date:
    """A birth date making someone exactly `years` old on `on`."""
    latest = date(on.year - years, on.month, min(on.day, 28))
    return latest - timedelta(days=rng.randrange(365))


def _born_months(rng: random.Random, months: int, on: date) -> date:
    """A birth date making an infant `months` (0..23) old on `on`."""
    return on - timedelta(days=months * 30 + rng.randrange(28) + 1)


def _fixed(moment: datetime) -> datetime:
    """The same instant with a fixed UTC offset, so files show `+03:00` and compare byte for byte."""
    offset = moment.utcoffset()
    assert offset is not None
    return moment.astimezone(timezone(offset))


def _at(day: date, clock: time, tz: str) -> datetime:
    return _fixed(datetime.combine(day, clock, tzinfo=ZoneInfo(tz)))


# ---------------------------------------------------------------- households

@dataclass
class _Member:
    sex: str
    born: date
    role: str  # head, spouse, child, elder, adult, minor


def _household_shape(rng: random.Random, kind: str, rates: Rates, on: date) -> list[_Member]:
    """Members (sex, birth date, role) of one household of the given kind."""
    members: list[_Member] = []

    def adult(sex: str, low: int, high: int, role: str) -> _Member:
        m = _Member(sex, _born(rng, rng.randint(low, high), on), role)
        members.append(m)
        return m

    def children(mother_age: int, count: int) -> None:
        age = -1
        for i in range(count):
            if i == 0 and rng.random() < rates.infant_share:
                members.append(_Member(rng.choice("MF"), _born_months(rng, rng.randrange(24), on), "child"))
                age = 1
                continue
            age = age + rng.randint(1, 4) if age >= 0 else rng.randint(1, 9)
            age = min(age, mother_age - 17, 24)
            members.append(_Member(rng.choice("MF"), _born(rng, max(age, 0), on), "child"))

    if kind == "single_man":
        adult("M", 18, 45, "head")
    elif kind == "single_woman":
        adult("F", 19, 50, "head")
    elif kind == "adults":
        for _ in range(rng.randint(2, 3)):
            adult("M" if rng.random() < 0.85 else "F", 18, 40, "adult")
    elif kind == "uasc":
        for _ in range(1 if rng.random() < 0.75 else 2):
            members.append(_Member("M" if rng.random() < 0.85 else "F", _born(rng, rng.randint(13, 17), on),
                                   "minor"))
    else:
        head_age = rng.randint(24, 52)
        if kind == "single_parent":
            mother = rng.random() < 0.7
            adult("F" if mother else "M", max(22, head_age - 4), head_age, "head")
            children(head_age, rng.randint(1, 4))
        else:
            adult("M", head_age, head_age, "head")
            wife_age = max(18, head_age - rng.randint(0, 8))
            adult("F", wife_age, wife_age, "spouse")
            if kind == "family":
                children(wife_age, int(_pick(rng, rates.children)))
            elif kind == "extended":
                children(wife_age, rng.randint(0, 4))
                for _ in range(rng.randint(1, 2)):
                    if len(members) < 8:
                        adult(rng.choice("MF"), max(60, head_age + 22), 82, "elder")
    return members[:8]


def _fit_size(rng: random.Random, size: int, on: date) -> list[_Member]:
    """The last household, cut to exactly `size` members (a couple and children, or one adult)."""
    members = [_Member("M", _born(rng, rng.randint(22, 45), on), "head")]
    if size >= 2:
        members.append(_Member("F", _born(rng, rng.randint(20, 40), on), "spouse"))
    for _ in range(size - 2):
        members.append(_Member(rng.choice("MF"), _born(rng, rng.randint(0, 14), on), "child"))
    return members


# ---------------------------------------------------------------- people

@dataclass
class _Household:
    id: str
    members: list[Person]


class _CaseloadBuilder:
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

    def build(self, count: int) -> list[_Household]:
        rng, rates = self.rng, self.rates
        width = max(4, len(str(count)))
        out: list[_Household] = []
        made = 0
        while made < count:
            kind = str(_pick(rng, rates.households))
            shape = _household_shape(rng, kind, rates, self.today)
            if made + len(shape) > count:
                kind, shape = "family", _fit_size(rng, count - made, self.today)
            hid = f"H{len(out) + 1:0{width}d}"
            first = made + 1
            people = self._people(hid, kind, shape, [f"C{first + i:0{width}d}" for i in range(len(shape))])
            out.append(_Household(hid, people))
            made += len(shape)
        return out

    # -- one household

    def _people(self, hid: str, kind: str, shape: list[_Member], case_ids: list[str]) -> list[Person]:
        rng, rates, today = self.rng, self.rates, self.today
        nationality, destination, pool_key = self._origin()
        pool = NAME_POOLS[pool_key]
        family = rng.choice(list(pool.family))
        location = str(_pick(rng, self.locations))
        low, high, mode = rates.registered_days
        registered = today - timedelta(days=round(rng.triangular(low, high, mode)))
        consent_date = min(today, registered + timedelta(days=rng.randint(0, 6)))
        consent_state = "explicit"
        roll = rng.random()
        if roll < rates.consent_none_household:
            consent_state = "none"
        elif roll < rates.consent_none_household + rates.consent_withdrawn_household:
            consent_state = "withdrawn"
        documents = str(_pick(rng, rates.documents))
        exit_household = rng.random() >= rates.exit_refused_household
        outbreak = rng.random() < rates.outbreak_household
        outbreak_day = today - timedelta(days=rng.randint(0, 16))
        border = location.startswith(("BRUZGI", "HRODNA"))
        people: list[Person] = []
        used_given: set[str] = set()
        for member, case_id in zip(shape, case_ids, strict=True):
            age = _age(member.born, today)
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
            values["exit_cleared"] = exit_household and rng.random() >= rates.exit_refused_person
            values.update(self._health(member, age, kind, border, outbreak, outbreak_day))
            values.update(self._uasc(kind, destination))
            people.append(Person.model_validate(values))
        return people

    def _origin(self) -> tuple[str, str, str]:
        """Nationality, destination airport and name pool of a household."""
        rng = self.rng
        if rng.random() < self.foreign_share:
            nationality = str(_pick(rng, {k: v[0] for k, v in FOREIGN.items()}))
            _share, home, pool, krg = FOREIGN[nationality]
            served = [d for d in ("EBL", "ISU") if d in self.destinations]
            if served and rng.random() < krg:
                return nationality, served[0], pool
            return nationality, home, pool
        destination = str(_pick(rng, self.destinations))
        kurdish = destination in ("EBL", "ISU") or rng.random() < 0.2
        return "IRQ", destination, "ku" if kurdish else "ar"

    def _consent(self, state: str, when: date, member: _Member, kind: str) -> dict[str, object]:
        rng, rates = self.rng, self.rates
        if state == "none":
            return {"consent": "none", "notes": "Not yet counselled on voluntary return"}
        if state == "withdrawn" or (member.role != "minor" and _age(member.born, self.today) >= 18
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
        rng, rates, today = self.rng, self.rates, self.today
        if profile == "mixed":
            profile = "passport" if rng.random() < 0.6 else "none"
        if profile == "none":
            return {"document_type": "none",
                    "notes": "Passport lost at the border; emergency travel document requested"}
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

    def _health(self, member: _Member, age: int, kind: str, border: bool, outbreak: bool,
                outbreak_day: date) -> dict[str, object]:
        rng, rates = self.rng, self.rates
        elder = age >= 60
        codes: list[str] = []
        out: dict[str, object] = {}
        roll = rng.random()
        scale = 5 if elder else 1
        if roll < rates.unfit * scale:
            out["fitness"] = "unfit"
        elif roll < (rates.unfit + rates.fit_with_escort) * scale:
            out["fitness"] = "fit_with_escort"
            codes.append("medical")
        elif roll < (rates.unfit + rates.fit_with_escort) * scale + rates.pending:
            out["fitness"] = "pending"
        else:
            out["fitness"] = "fit"
        roll = rng.random()
        mobility = "none"
        for code, share in (("WCHR", 0.006), ("WCHS", 0.002), ("WCHC", 0.001), ("WCHP", 0.001),
                            ("STCR", 0.0004)):
            if roll < share * (10 if elder and code != "STCR" else 1):
                mobility = code
                break
            roll -= share * (10 if elder and code != "STCR" else 1)
        if age < 2:
            mobility = "none"
        if mobility != "none":
            out["mobility"] = mobility
            if mobility in ("WCHC", "WCHP", "STCR") or rng.random() < 0.3:
                codes.append("disability")
            if mobility != "WCHR":
                out["evacuation_capable"] = False
            if mobility == "STCR":
                out["fitness"] = "fit_with_escort"
                codes.append("medical")
        if rng.random() < (0.2 if elder else 0.03):
            codes.append("medical")
        if age >= 2 and rng.random() < rates.border_exposure * (1 if border else 0.5):
            codes.append("border_exposure")
        if age >= 16 and rng.random() < (0.008 if member.sex == "F" else 0.002):
            codes.append("trafficking")
        if age >= 18 and rng.random() < 0.004:
            codes.append("torture")
        if codes:
            out["vulnerabilities"] = sorted(set(codes))
        if member.sex == "F" and 18 <= age <= 42 and member.role in ("spouse", "head", "adult") \
                and rng.random() < rates.pregnant * (1 if member.role == "spouse" else 0.3):
            out["pregnant"] = True
        if age >= 18:
            out["vaccinated"] = rng.random() < rates.vaccinated_adult * (1.5 if elder else 1)
        elif age >= 12:
            out["vaccinated"] = rng.random() < 0.05
        positive = (outbreak and rng.random() < 0.6) or rng.random() < rates.positive_person
        if positive:
            day = outbreak_day if outbreak else self.today - timedelta(days=rng.randint(0, 20))
            out["last_positive_test"] = day
            out["last_test_sample"] = _at(day, time(10, rng.randrange(0, 60, 5)), self.tz)
            out["last_test_result"] = "positive"
        elif rng.random() < 0.04:
            day = self.today - timedelta(days=rng.randint(1, 12))
            out["last_test_sample"] = _at(day, time(rng.randint(8, 17), 0), self.tz)
            out["last_test_result"] = "pending" if day >= self.today - timedelta(days=1) else "negative"
        return out

    def _uasc(self, kind: str, destination: str) -> dict[str, object]:
        rng, rates = self.rng, self.rates
        if kind != "uasc":
            return {}
        out: dict[str, object] = {"unaccompanied_minor": True,
                                  "best_interests_approved": rng.random() < rates.uasc_bid_approved}
        if rng.random() < rates.uasc_contact:
            town = rng.choice(TOWNS.get(destination, ("home town",)))
            out["reception_contact"] = f"{rng.choice(RELATIVES)}, {town} (phone on file)"
        return out


# ---------------------------------------------------------------- demand estimate (for sizing only)

@dataclass
class _Demand:
    seats: dict[str, int]  # destination -> seats needed by plannable households
    tests: dict[str, int]  # location -> tests needed by plannable households
    medical: int
    uasc: int
    plannable_people: int


def _passes(p: Person, middle: date, last_day: date, isolation_days: int) -> bool:
    """Whether a person would clear the docs/rules.md#gates gates at mid-operation (sizing estimate only)."""
    blocked = (
        p.consent == "none"
        or p.document_type == "none"
        or not p.exit_cleared
        or p.fitness == "unfit"
        or (p.document_expiry is not None and p.document_expiry < middle)
        or (p.unaccompanied_minor and not (p.best_interests_approved and p.reception_contact))
        or (p.last_positive_test is not None
            and p.last_positive_test + timedelta(days=isolation_days) > last_day)
    )
    return not blocked


def _estimate(households: list[_Household], served: list[str], today: date, middle: date,
              last_day: date, isolation_days: int) -> _Demand:
    """A rough view of who could fly: the gates of docs/rules.md#gates at mid-operation. Sizing only, not planning."""
    seats = dict.fromkeys(served, 0)
    tests: dict[str, int] = {}
    medical = uasc = plannable = 0
    for h in households:
        dest = h.members[0].destination
        if dest not in seats:
            continue
        if not all(_passes(p, middle, last_day, isolation_days) for p in h.members):
            continue
        adults = sum(1 for p in h.members if _age(p.date_of_birth, today) >= 18)
        infants = sum(1 for p in h.members if _age(p.date_of_birth, today) < 2)
        seats[dest] += len(h.members) - min(adults, infants)
        rule = RULES_2021.get(dest, RULES_2021["BGW"])
        for p in h.members:
            age = _age(p.date_of_birth, today)
            if age >= rule.exempt_under_years and not (rule.vaccinated_exempt and p.vaccinated):
                tests[p.location] = tests.get(p.location, 0) + 1
            if p.fitness == "fit_with_escort" or p.mobility == "STCR":
                medical += 1
            uasc += p.unaccompanied_minor
        plannable += len(h.members)
    return _Demand(seats, tests, medical, uasc, plannable)


# ---------------------------------------------------------------- flights

def _usable(type_id: str) -> int:
    """Seats left for returnees once the rear isolation row and operational escorts are taken out."""
    seat_map = resolve_aircraft(type_id)
    rear = sum(1 for s in seat_map.seats if s.row == seat_map.rows[-1]) if seat_map.rows else 0
    return seat_map.seat_count - rear - math.ceil(seat_map.seat_count / 50)


def _routes(count: int, seats: Mapping[str, int]) -> list[tuple[str, ...]]:
    """Stop lists for `count` flights: destinations in proportion to demand, some Erbil-then-onward."""
    wanted = [d for d in ("EBL", "BGW", "ISU") if seats.get(d, 0) > 0] or ["EBL"]
    others = [d for d in seats if d not in wanted and seats[d] > 0]
    wanted += others
    total = sum(seats.get(d, 0) for d in wanted) or 1
    if count == 1:  # one charter calls at every Iraqi destination, Erbil first
        return [tuple(d for d in ("EBL", "ISU", "BGW") if d in wanted) or (wanted[0],)]
    routes: list[tuple[str, ...]] = []
    if "EBL" in wanted and "BGW" in wanted and count >= 5:
        routes += [("EBL", "BGW")] * max(1, round(count * 0.1))
    if "EBL" in wanted and "ISU" in wanted and (count >= 10 or count < len(wanted)):
        routes.append(("EBL", "ISU"))
    left = count - len(routes)
    need = {d: seats.get(d, 0) / total * count - sum(0.5 for r in routes if d in r) for d in wanted}
    need = {d: max(v, 0.0) for d, v in need.items()}
    scale = left / (sum(need.values()) or 1)
    quota = {d: need[d] * scale for d in wanted}
    counts = {d: math.floor(q) for d, q in quota.items()}
    for d in sorted(wanted, key=lambda d: (counts[d] - quota[d], wanted.index(d)))[: left - sum(counts.values())]:
        counts[d] += 1
    for d in wanted:
        routes += [(d,)] * counts[d]
    routes = routes[:count]
    # A destination left without a flight is added as a further stop to the most repeated route.
    for d in wanted:
        if not any(d in r for r in routes):
            candidates = [i for i, r in enumerate(routes) if len(r) < 3]
            if candidates:
                i = max(candidates, key=lambda i: (routes.count(routes[i]), -i))
                routes[i] = (*routes[i], d)
    return routes


def _flights(rng: random.Random, count: int, demand: _Demand, seat_ratio: float, today: date,
             days: int, tz: str) -> list[Flight]:
    """Charters from Minsk spread over the operation, aircraft sized so seats just fall short of demand."""
    routes = _routes(count, demand.seats)
    weight = {d: sum(1.0 if len(r) == 1 else 0.5 for r in routes if d in r) for d in demand.seats}
    targets = [seat_ratio * sum(demand.seats.get(d, 0) / weight[d] * (1.0 if len(r) == 1 else 0.5)
                                for d in r if weight.get(d)) for r in routes]
    usable = {t: _usable(t) for t in AIRCRAFT_MIX}
    carry = 0.0
    types: list[str] = []
    order = sorted(range(len(routes)), key=lambda i: (-targets[i], i))
    chosen: dict[int, str] = {}
    for i in order:
        goal = targets[i] + carry
        score = {t: AIRCRAFT_MIX[t] * math.exp(-abs(usable[t] - goal) / 45) for t in AIRCRAFT_MIX}
        pick = str(_pick(rng, score)) if sum(score.values()) > 1e-12 else \
            min(usable, key=lambda t: abs(usable[t] - goal))
        chosen[i] = pick
        carry = goal - usable[pick]
    types = [chosen[i] for i in range(len(routes))]

    first = today + timedelta(days=2)
    span = max(1, days - 1)
    slots: list[tuple[date, time]] = []
    used: set[tuple[date, time]] = set()
    for k in range(len(routes)):
        # One flight on the first day (its tests all fall on the first test day), the rest spread evenly.
        index = 0 if k == 0 or span == 1 else 1 + (k - 1) * (span - 1) // max(1, len(routes) - 1)
        day = first + timedelta(days=min(span - 1, index))
        # The first flight day follows the first test day: only afternoon departures leave a test window.
        earliest = time(15, 0) if day == first else time(0, 0)
        options = [t for t in DEPARTURE_TIMES if (day, t) not in used and t >= earliest]
        clock = rng.choice(options or list(DEPARTURE_TIMES))
        used.add((day, clock))
        slots.append((day, clock))
    order_routes = list(range(len(routes)))
    rng.shuffle(order_routes)
    plan = sorted(zip(slots, order_routes, strict=True))
    width = max(2, len(str(len(routes))))
    flights = []
    for n, ((day, clock), i) in enumerate(plan, start=1):
        departure = _at(day, clock, tz)
        stops = []
        moment = departure
        for j, code in enumerate(routes[i]):
            if j == 0:
                moment = departure + timedelta(minutes=BLOCK_MINUTES.get(code, 270))
            else:
                moment = moment + timedelta(minutes=ONWARD_MINUTES.get((routes[i][j - 1], code), 120))
            local = airport(code)
            stops.append(Stop(airport=code, arrival=_fixed(moment.astimezone(ZoneInfo(local.timezone
                                                                                        if local else tz)))))
        flights.append(Flight(id=f"{ORIGIN}-{'-'.join(routes[i])}-{n:0{width}d}", aircraft=types[i],
                              origin=ORIGIN, departure=departure, check_in_minutes=180, stops=stops))
    return flights


# ---------------------------------------------------------------- testing sites and escorts

SITE_HOURS = {"BRUZGI": (time(8, 0), time(18, 0)), "HRODNA": (time(9, 0), time(17, 0)),
              "MINSK": (time(8, 0), time(20, 0))}


def _sites(demand: _Demand, locations: list[str], count: int, today: date, last_day: date,
           flight_days: int, lab_ratio: float) -> list[TestingSite]:
    """One site per area (Bruzgi, Hrodna, Minsk), merged into the largest when `count` is smaller."""
    groups: dict[str, list[str]] = {}
    for loc in locations:
        groups.setdefault(loc.split("-")[0], []).append(loc)
    area_load = {a: sum(demand.tests.get(loc, 0) for loc in locs) for a, locs in groups.items()}
    areas = sorted(groups, key=lambda a: (-area_load[a], a))
    while len(areas) > max(1, count):
        smallest = areas.pop()
        groups[areas[0]] += groups.pop(smallest)
    sites = []
    for area in areas:
        opens, closes = SITE_HOURS.get(area, (time(8, 0), time(18, 0)))
        hours = (closes.hour - opens.hour)
        load = sum(demand.tests.get(loc, 0) for loc in groups[area])
        daily = max(4, math.ceil(load / max(1, flight_days) * lab_ratio))
        per_slot = max(2, math.ceil(daily / hours * 2))
        sites.append(TestingSite(id=f"{area}-LAB", serves=sorted(groups[area]),
                                 days=DateRange(**{"from": today + timedelta(days=1), "to": last_day}),
                                 open=opens, close=closes, slot_minutes=60, capacity_per_slot=per_slot,
                                 daily_capacity=daily))
    return sites


def _escorts(rng: random.Random, flights: list[Flight], demand: _Demand, escort_location: str,
             today: date, last_day: date) -> list[Escort]:
    """Escort pools large enough for the busiest two days, with some staff on shorter rotations."""
    total_seats = sum(_usable(f.aircraft) for f in flights) or 1
    need: dict[str, dict[date, int]] = {"operational": {}, "medical": {}, "uasc": {}}
    for f in flights:
        day = f.departure.date()
        seats = _usable(f.aircraft)
        share = seats / total_seats
        for role, n in (("operational", math.ceil(resolve_aircraft(f.aircraft).seat_count / 50)),
                        ("medical", math.ceil(demand.medical * share / 2)),
                        ("uasc", math.ceil(demand.uasc * share / 2))):
            need[role][day] = need[role].get(day, 0) + n
    escorts: list[Escort] = []
    prefix = {"operational": "OPS", "medical": "MED", "uasc": "UASC"}
    first = today + timedelta(days=1)
    for role in ("operational", "medical", "uasc"):
        by_day = need[role]
        peak = max((by_day.get(d, 0) + by_day.get(d + timedelta(days=1), 0) for d in by_day), default=0)
        size = max(1 if role != "operational" else 2, math.ceil(peak * 1.25))
        width = max(2, len(str(size)))
        for k in range(1, size + 1):
            available = DateRange(**{"from": first, "to": last_day})
            span = (last_day - first).days
            if k > 2 and span >= 6 and rng.random() < 0.25:
                start = first + timedelta(days=rng.randint(0, span // 2))
                available = DateRange(**{"from": start, "to": min(last_day, start + timedelta(days=span // 2 + 3))})
            escorts.append(Escort(id=f"{prefix[role]}-{k:0{width}d}", role=role, available=available,
                                  location=escort_location, vaccinated=rng.random() < 0.8))
    return escorts


# ---------------------------------------------------------------- entry point

def generate_scenario(
    people: int,
    seed: int,
    *,
    flights: int | None = None,
    days: int = 14,
    name: str | None = None,
    as_of: datetime = DEFAULT_AS_OF,
    timezone_name: str = MINSK,
    sites: int = 3,
    seat_ratio: float = 0.95,
    lab_ratio: float = 1.1,
    destinations: Mapping[str, float] | None = None,
    locations: Mapping[str, float] | None = None,
    foreign_share: float = 0.035,
    profile: Profile = "border",
) -> Scenario:
    """A complete synthetic scenario of `people` returnees, identical for identical arguments.

    `flights` defaults to what the plannable caseload needs at about 190 seats a charter; `seat_ratio` is the
    total usable seats over the estimated plannable seat demand (below 1 makes seats bind), `lab_ratio` the
    lab's daily capacity over the average daily test demand (near 1 makes the lab bind on busy days).
    `profile` "border" is the messy November 2021 caseload, "avrr" a curated IOM caseload shortly before
    departure. Foreign nationals (`foreign_share`) mostly head for airports no flight serves.
    """
    if people < 1:
        raise ValueError("people must be at least 1")
    if days < 2:
        raise ValueError("days must be at least 2 (a test day, then a flight day)")
    if flights is not None and flights < 1:
        raise ValueError("flights must be at least 1")
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a timezone")
    rng = random.Random(seed)
    rates = PROFILES[profile]
    destinations = dict(destinations or IRAQ_DESTINATIONS)
    for code in destinations:
        if airport(code) is None:
            raise ValueError(f"unknown destination airport {code!r}")
    locations = dict(locations or BORDER_LOCATIONS)
    as_of = _fixed(as_of)
    tz = timezone_name
    today = as_of.astimezone(ZoneInfo(tz)).date()
    last_day = today + timedelta(days=days)
    isolation_days = Protocol().positive_isolation_days

    builder = _CaseloadBuilder(rng, rates, as_of, tz, last_day, destinations, locations, foreign_share)
    households = builder.build(people)
    served = list(destinations)
    middle = today + timedelta(days=days // 2 + 1)
    demand = _estimate(households, served, today, middle, last_day, isolation_days)

    seat_demand = sum(demand.seats.values())
    count = flights if flights is not None else max(1, round(seat_ratio * seat_demand / 190))
    flight_list = _flights(rng, count, demand, seat_ratio, today, days, tz)
    flight_days = len({f.departure.date() for f in flight_list})
    last_flight = max(f.departure.date() for f in flight_list)
    site_list = _sites(demand, list(locations), sites, today, last_flight - timedelta(days=1) if
                       last_flight > today + timedelta(days=1) else last_flight, flight_days, lab_ratio)
    minsk = [loc for loc in locations if loc.startswith("MINSK")]
    escort_location = minsk[0] if minsk else next(iter(locations))
    escort_list = _escorts(rng, flight_list, demand, escort_location, today, last_flight)

    served_rules = {d: RULES_2021[d] for d in ("EBL", "BGW", "ISU")
                    if d in RULES_2021 and any(d in [s.airport for s in f.stops] for f in flight_list)}
    protocol = Protocol(
        lab_turnaround_hours=24, delay_margin_hours=6, positive_isolation_days=isolation_days,
        require_exit_clearance=True, destinations=served_rules,
        seating=SeatingRules(distancing=[], isolation_rows_rear=1, exit_row_min_age=15, child_seating_age=12),
        escorts=EscortRules(operational_per_passengers=50, medical_per_cases=2, uasc_per_escort=2,
                            turnaround_hours=24),
        weights=Weights(),
    )
    persons = [p for h in households for p in h.members]
    title = name or f"Synthetic caseload: {people} people, seed {seed}"
    notes = (f"Synthetic scenario from planner.synth.generate (profile {profile}, seed {seed}, {people} people, "
             f"{len(households)} households, {len(flight_list)} flights over {days} days). Every person is "
             f"invented; the test rules are the public 2021 Iraqi entry rules. See docs/scenarios.md.")
    return Scenario(name=title, timezone=tz, as_of=as_of, notes=notes, protocol=protocol,
                    testing_sites=site_list, escorts=escort_list, flights=flight_list, people=persons)
