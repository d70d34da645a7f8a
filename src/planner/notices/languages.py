"""The languages notices are written in: direction, the Babel locale that formats dates, and the fonts.

Arabic, Sorani Kurdish and Persian are written right to left in Arabic script; Noto Naskh Arabic and Noto Sans
Arabic (Debian's fonts-noto-core) cover the letters Sorani and Persian add (ێ ۆ ڕ ڵ ڤ گ چ پ ژ). Kurmanji is
written in Latin script with ê î û ş ç, which Noto Sans and DejaVu Sans cover (docs/notices.md#fonts).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.model.notices import LANGUAGE_CODES


@dataclass(frozen=True)
class NoticeLanguage:
    code: str  # the people file's value and the page's `lang` attribute
    name: str  # in its own script
    direction: str  # "rtl" or "ltr", the page's `dir`
    babel_locale: str  # formats dates in the language (CLDR)
    script: str  # ISO 15924, lower case: the page's class, which picks the fonts in notice.css
    date_pattern: str = "full"  # a CLDR length or pattern for Babel's format_date


_ARABIC_SCRIPT = "arab"
_LATIN_SCRIPT = "latn"

#: In the order the catalogues and the documentation list them. Arabic dates use the month names of Iraq and
#: the Levant (ar_IQ: كانون الثاني), which Syrians and Iraqis both read; Kurmanji's CLDR locale is `ku`. CLDR's
#: full Sorani date puts the year first and the weekday last ("2021 کانوونی یەکەم 1, چوارشەممە"); notices write
#: it weekday, day, month, year like the other languages.
LANGUAGES: dict[str, NoticeLanguage] = {
    "ar": NoticeLanguage("ar", "العربية", "rtl", "ar_IQ", _ARABIC_SCRIPT),
    "ckb": NoticeLanguage("ckb", "کوردی (سۆرانی)", "rtl", "ckb", _ARABIC_SCRIPT, "EEEE d MMMM y"),
    "kmr": NoticeLanguage("kmr", "Kurdî (Kurmancî)", "ltr", "ku", _LATIN_SCRIPT),
    "fa": NoticeLanguage("fa", "فارسی", "rtl", "fa", _ARABIC_SCRIPT),
    "fr": NoticeLanguage("fr", "Français", "ltr", "fr", _LATIN_SCRIPT),
    "en": NoticeLanguage("en", "English", "ltr", "en", _LATIN_SCRIPT),
}
assert tuple(LANGUAGES) == LANGUAGE_CODES, "planner.model.notices.LANGUAGE_CODES and LANGUAGES must agree"
SOURCE = "en"
