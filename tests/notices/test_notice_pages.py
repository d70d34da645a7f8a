"""Notices and reason letters as printed: the PDF's text in Arabic, Sorani and Kurmanji Kurdish, Persian and
French against the catalogue, right-to-left layout, fonts, and what each page says (docs/notices.md)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from notice_case import CAMP_IN_KURDISH, case, contains, page_count, pdf_text, say

from planner.notices.facts import flight_notices, pages_for, reason_letters
from planner.notices.render import document_html, document_pdf

TOOLS = ["pdftotext", "pypdf"]


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """One PDF per household of the case (rendered once for the module: WeasyPrint takes a second a page)."""
    s, plan = case()
    return {hh: document_pdf(pages_for(s, plan, household_id=hh), hh) for hh in ("H1", "H2", "H3", "H4", "H5")}


def _notice_sentences(lang: str) -> list[str]:
    return [say(lang, "Your return flight"), say(lang, "Where and when to come"),
            say(lang, "Check-in at the airport closes at %(time)s. Be there before then.", time="07:00"),
            say(lang, "Keep this paper with you and show it to the staff."),
            say(lang, "Your medicines for at least three days, in your hand luggage"), say(lang, "Warm clothes"),
            say(lang, "Hand luggage per person: up to %(kg)s kg.", kg="6"),
            say(lang, "Checked bags per person: %(bags)s, together up to %(kg)s kg.", bags="1", kg="20")]


@pytest.mark.parametrize("tool", TOOLS)
def test_arabic_notice_says_the_catalogue_sentences(pdfs: dict[str, bytes], tool: str) -> None:
    text = pdf_text(pdfs["H2"], tool)
    expected = [*_notice_sentences("ar"), say("ar", "Staff will take you from there to the airport."),
                say("ar", "This place is kept only if a doctor confirms before the flight that the person is fit to "
                          "fly."), "حيدر علي"]
    missing = [e for e in expected if not contains(text, e)]
    assert missing == [], text
    assert "2A" in text  # the seat (pypdf glues it to the next cell's text)


@pytest.mark.parametrize("tool", TOOLS)
def test_sorani_notice_says_the_catalogue_sentences_and_the_meeting_point_in_kurdish(pdfs: dict[str, bytes],
                                                                                   tool: str) -> None:
    text = pdf_text(pdfs["H1"], tool)
    expected = [*_notice_sentences("ckb"), CAMP_IN_KURDISH, "ڕێبین ئەحمەد", "شیلان ئەحمەد",
                say("ckb", "Meeting point:")]
    assert [e for e in expected if not contains(text, e)] == [], text
    assert not contains(text, "Camp gate")  # the place's Kurdish name replaces the English one
    assert page_count(pdfs["H1"]) == 1  # one page for the household, not one per member


@pytest.mark.parametrize("tool", TOOLS)
def test_kurmanji_notice_is_in_latin_script(pdfs: dict[str, bytes], tool: str) -> None:
    text = pdf_text(pdfs["H3"], tool)
    assert [e for e in _notice_sentences("kmr") if not contains(text, e)] == [], text
    assert "Firîna te ya vegerê" in text  # Latin letters with circumflex survive extraction as they are


@pytest.mark.parametrize("tool", TOOLS)
def test_reason_letters_in_persian_and_french(pdfs: dict[str, bytes], tool: str) -> None:
    persian, french = pdf_text(pdfs["H4"], tool), pdf_text(pdfs["H5"], tool)
    assert contains(persian, say("fa", "You have no travel document that is valid on the day of the flight."))
    assert contains(persian, say("fa", "This is not a final decision. Your case officer will tell you when you can "
                                       "travel."))
    assert contains(french, say("fr", "There are no seats left on this flight."))
    assert contains(french, say("fr", "The authorities of this country have not yet allowed you to leave."))
    assert contains(french, "Vol F1 du mercredi 1 décembre 2021")
    assert "gate.document" in persian  # the staff's part names the code, in English


def test_the_comparison_can_fail(pdfs: dict[str, bytes]) -> None:
    """An English sentence, or the Arabic one with a word changed, is not found in the Arabic page."""
    text = pdf_text(pdfs["H2"], "pdftotext")
    right = say("ar", "Keep this paper with you and show it to the staff.")
    assert contains(text, right)
    assert not contains(text, "Keep this paper with you and show it to the staff.")
    assert not contains(text, right.replace("الورقة", "الرسالة"))


def test_pages_embed_the_arabic_script_font(pdfs: dict[str, bytes]) -> None:
    import io

    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(io.BytesIO(pdfs["H2"])).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("Noto-Naskh-Arabic" in f for f in fonts), fonts


class _Dirs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html" or (tag == "section" and "page" in (a.get("class") or "")):
            self.found.append((tag, a))


def _dirs(html: str) -> list[tuple[str, str | None, str | None]]:
    parser = _Dirs()
    parser.feed(html)
    return [(tag, a.get("lang"), a.get("dir")) for tag, a in parser.found]


@pytest.mark.parametrize(("household", "lang", "direction"),
                         [("H1", "ckb", "rtl"), ("H2", "ar", "rtl"), ("H4", "fa", "rtl"), ("H3", "kmr", "ltr"),
                          ("H5", "fr", "ltr"), ("H6", "en", "ltr")])
def test_pages_are_laid_out_in_their_script_direction(household: str, lang: str, direction: str) -> None:
    s, plan = case()
    html = document_html(pages_for(s, plan, household_id=household), household)
    assert _dirs(html) == [("html", lang, direction), ("section", lang, direction)]


def test_a_document_of_several_languages_gives_each_page_its_own_direction() -> None:
    s, plan = case()
    html = document_html(pages_for(s, plan, flight_id="F1"), "F1")
    assert _dirs(html) == [("html", "ckb", "rtl"), ("section", "ckb", "rtl"), ("section", "ar", "rtl"),
                           ("section", "kmr", "ltr"), ("section", "en", "ltr"), ("section", "fa", "rtl"),
                           ("section", "fr", "ltr")]


def test_what_a_notice_says() -> None:
    s, plan = case()
    (n,) = flight_notices(s, plan, household_id="H1")
    assert (n.language, n.flight_id, n.meeting_place) == ("ckb", "F1", CAMP_IN_KURDISH)
    assert f"{n.departure:%Y-%m-%d %H:%M}" == "2021-12-01 10:00"
    assert f"{n.meet_at:%H:%M}" == "05:00" and f"{n.check_in_by:%H:%M}" == "07:00"
    assert [(t.case_id, t.seat, f"{t.test.start:%d %H:%M}") for t in n.travellers if t.test] == [
        ("C1", "1A", "30 09:00"), ("C2", "1B", "30 09:00")]
    (english,) = flight_notices(s, plan, household_id="H6")
    assert english.meeting_place == "Camp gate"  # no English name given: the place as written


def test_a_household_reading_two_languages_gets_a_page_in_each() -> None:
    s, plan = case()
    s.people[1].language = "kmr"
    assert [n.language for n in flight_notices(s, plan, household_id="H1")] == ["ckb", "kmr"]


def test_without_a_meeting_point_the_notice_gives_the_check_in_time_only() -> None:
    s, plan = case()
    s.protocol.notices.meeting_points.clear()
    (n,) = flight_notices(s, plan, household_id="H2")
    html = document_html([n], "x")
    assert n.meeting_place is None and n.meet_at is None
    assert say("ar", "Meeting point:") not in html
    assert say("ar", "Check-in at the airport closes at %(time)s. Be there before then.", time="07:00") in html


def test_reason_letters_only_for_people_left_out() -> None:
    s, plan = case()
    assert [(r.case_id, r.language) for r in reason_letters(s, plan)] == [("C5", "fa"), ("C6", "fr")]
    assert pages_for(s, plan, household_id="H1")[0].__class__.__name__ == "Notice"


def test_a_planned_transfer_gives_the_time_to_be_at_the_meeting_point() -> None:
    from datetime import datetime

    from planner.model.plan import Transfer

    s, plan = case()
    leaves = datetime.fromisoformat("2021-12-01T05:30:00+03:00")
    plan.transfers = [Transfer(vehicle_id="BUS-1", flight_id="F1", location="CAMP", airport="MSQ", depart=leaves,
                               arrive=leaves, households=["H2"], people=1)]
    (n,) = flight_notices(s, plan, household_id="H2")
    assert f"{n.transfer_departs:%H:%M}" == f"{n.meet_at:%H:%M}" == "05:30"
    html = document_html([n], "x")
    assert say("ar", "Transport to the airport leaves at %(time)s on %(date)s.", time="05:30",
               date="الأربعاء، 1 كانون الأول 2021") in html
    assert say("ar", "Be at the meeting point at %(time)s on %(date)s.", time="05:00",
               date="الأربعاء، 1 كانون الأول 2021") not in html
    (other,) = flight_notices(s, plan, household_id="H6")
    assert other.transfer_departs is None and f"{other.meet_at:%H:%M}" == "05:00"
