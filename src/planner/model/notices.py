"""Notices to returnees in their own language: the language column and the operation's notice settings.

Only declares the data; notices and reason letters are rendered by `planner.notices` (docs/notices.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from planner.model.fields import Model

#: Languages a notice can be written in: Arabic, Sorani Kurdish (Arabic script), Kurmanji Kurdish (Latin
#: script), Persian, French and English (docs/notices.md#languages).
LANGUAGE_CODES: tuple[str, ...] = ("ar", "ckb", "kmr", "fa", "fr", "en")
NoticeLanguageCode = Literal["ar", "ckb", "kmr", "fa", "fr", "en"]


def _language_code(value: object) -> object:
    """Accept any case and surrounding spaces; name the allowed codes when the value is not one of them, and
    say which Kurdish is meant when someone writes the ambiguous `ku`."""
    if not isinstance(value, str):
        return value
    code = value.strip().lower()
    if code in LANGUAGE_CODES:
        return code
    if code in ("ku", "kur"):
        raise ValueError(f"'{value}' is ambiguous: write ckb for Sorani (Arabic script) or kmr for Kurmanji "
                         "(Latin script)")
    raise ValueError(f"unknown language code '{value}' (allowed: {', '.join(LANGUAGE_CODES)})")


NoticeLanguage = Annotated[NoticeLanguageCode, BeforeValidator(_language_code)]


class PersonLanguage(Model):
    """The people file's column for the language a person reads; English when the cell is empty."""

    language: NoticeLanguage = "en"


class MeetingPoint(Model):
    """Where people staying at one location meet before they travel to the airport, and when.

    `place` is printed as written (names of places are not translated); `place_by_language` may give the
    same place in a language's own script."""

    place: str = Field(min_length=1, max_length=300)
    place_by_language: dict[NoticeLanguage, str] = Field(default_factory=dict)
    minutes_before_departure: int | None = Field(default=None, ge=0, le=24 * 60)


#: Things a returnee may be asked to bring; each has a translated line in every notice language.
BringItem = Literal["travel_document", "test_certificate", "medication", "medical_papers", "child_documents",
                    "warm_clothes", "phone_charged", "no_sharp_objects"]


def _default_bring() -> list[BringItem]:
    return ["travel_document", "test_certificate", "medication"]


class NoticeRules(Model):
    """Meeting points per location (the people file's `location`) and the list of what to bring."""

    meeting_points: dict[str, MeetingPoint] = Field(default_factory=dict, max_length=1000)
    bring: list[BringItem] = Field(default_factory=_default_bring, max_length=20)
    contact: str = Field(default="", max_length=300)  # a phone number or office printed on every notice


class NoticeSettings(Model):
    """What every notice says beyond the plan: meeting points and what to bring."""

    notices: NoticeRules = Field(default_factory=NoticeRules)
