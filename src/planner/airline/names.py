"""Names as airline and border messages carry them (docs/airline.md, "Names").

Only the Latin letters A to Z: the registered Latin spelling (`family_name`, `given_name`) is transliterated the
way travel documents' machine-readable zones are (docs/airline.md, "Names"): diacritics dropped, a few letters
written out (Ä→AE, ß→SS, Þ→TH), apostrophes left out. The name in the person's own script (`name_native`) is
never sent: it is not in the alphabet, and guessing a Latin spelling from it would not match the passport.
"""

from __future__ import annotations

import unicodedata
from datetime import date

#: Letters written out rather than stripped of their marks (docs/airline.md, "Names"); every other letter
#: loses its diacritics by Unicode decomposition.
SPELLED_OUT = {"Ä": "AE", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Œ": "OE", "Ü": "UE", "Å": "AA", "ß": "SS",
               "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L", "Ħ": "H", "Ŋ": "N", "ẞ": "SS"}
#: Marks that join a name's parts: in a family name they are dropped (SZE-TO → SZETO), in given names they
#: separate names (ANNE-MARIE → ANNE MARIE).
JOINERS = "-‐‑‒–—"
#: Marks that are left out entirely (O'BRIEN → OBRIEN).
DROPPED = "'’‘ʼ`´.,"
TITLES = ("MR", "MRS", "MS", "MSTR", "MISS")
#: Age (whole years on the day of departure) from which a passenger is an adult (12 and over), and
#: under which a lap infant travels (planner.report.needs).
ADULT_YEARS = 12


def latin_letters(text: str) -> str:
    """`text` in capitals A to Z, spaces between words; joiners become spaces, anything else not a letter is
    left out (a letter of another script too: its word is dropped, never guessed)."""
    out: list[str] = []
    for char in text.upper():
        if char in SPELLED_OUT:
            out.append(SPELLED_OUT[char])
            continue
        if char in JOINERS or char.isspace():
            out.append(" ")
            continue
        if char in DROPPED:
            continue
        base = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in base if "A" <= c <= "Z"))
    return " ".join("".join(out).split())


def surname(family_name: str) -> str:
    """The family name as one word (spaces and hyphens removed, as reservation systems want it); a single
    letter is doubled, as a surname element needs two."""
    word = latin_letters(family_name).replace(" ", "")
    return word * 2 if len(word) == 1 else word


def given_names(given_name: str) -> str:
    """The given names, separated by single spaces."""
    return latin_letters(given_name)


def age_on(born: date, day: date) -> int:
    """Whole years on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def title(sex: str, age: int) -> str:
    """MR or MS for adults, MSTR or MISS for children (under 12); none for sex X, as the titles are by sex.
    MRS is not used: the people file does not record marital status, and MS is right for every woman."""
    if sex == "M":
        return "MR" if age >= ADULT_YEARS else "MSTR"
    if sex == "F":
        return "MS" if age >= ADULT_YEARS else "MISS"
    return ""


def fit(family: str, given: str, room: int) -> tuple[str, str]:
    """Family and given names cut to `room` characters together (with the `/` between them): given names are
    cut first, down to an initial, then the family name."""
    if len(family) + 1 + len(given) <= room:
        return family, given
    given = given[: max(1, room - 1 - len(family))].rstrip()
    if len(family) + 1 + len(given) > room:
        family = family[: max(2, room - 1 - len(given))]
    return family, given
