"""A small operation with a household per notice language, and a hand-made plan for it, for the notice tests;
and the text comparison of rendered PDFs with the catalogue (docs/notices.md#tests)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path

from builders import flight, person, scenario, site
from planner.model.notices import MeetingPoint, NoticeRules
from planner.model.plan import FlightPlan, Passenger, Plan, Reason, ScenarioRef, TestBooking, Unassigned
from planner.model.reasons import reason
from planner.model.scenario import Scenario
from planner.notices.catalogues import translations

CAMP_IN_KURDISH = "کەمپی شار"


def case() -> tuple[Scenario, Plan]:
    """H1 Sorani (two people, tested), H2 Arabic (provisional), H3 Kurmanji, H4 Persian and H5 French left
    out with reasons; H6 English (the default)."""
    people = [
        person("C1", "H1", given_name="Rebin", family_name="Ahmed", name_native="ڕێبین ئەحمەد", language="ckb"),
        person("C2", "H1", given_name="Shilan", family_name="Ahmed", name_native="شیلان ئەحمەد", sex="F",
               language="ckb"),
        person("C3", "H2", given_name="Haider", family_name="Ali", name_native="حيدر علي", language="ar",
               fitness="pending"),
        person("C4", "H3", given_name="Azad", family_name="Doski", language="kmr"),
        person("C5", "H4", given_name="Reza", family_name="Ahmadi", name_native="رضا احمدی", language="fa",
               document_type="none", nationality="IRN"),
        person("C6", "H5", given_name="Jean", family_name="Mbarga", language="fr", nationality="CMR"),
        person("C7", "H6", given_name="Sam", family_name="Doe"),
    ]
    notices = NoticeRules(meeting_points={"CAMP": MeetingPoint(
        place="Camp gate", place_by_language={"ckb": CAMP_IN_KURDISH}, minutes_before_departure=300)},
        bring=["travel_document", "medication", "warm_clothes"], contact="+375 17 000 00 00")
    s = scenario(people, flights=[flight("F1")], sites=[site()], notices=notices.model_dump())
    sample = datetime.fromisoformat("2021-11-30T09:00:00+03:00")
    end = datetime.fromisoformat("2021-11-30T10:00:00+03:00")
    plan = Plan(
        scenario=ScenarioRef(name="test", sha256="0" * 64),
        flights=[FlightPlan(flight_id="F1", passengers=[
            Passenger(person_id="C1", seat="1A"), Passenger(person_id="C2", seat="1B"),
            Passenger(person_id="C3", seat="2A"), Passenger(person_id="C4", seat="2B"),
            Passenger(person_id="C7", seat="4A")], provisional=["C3"])],
        tests=[TestBooking(person_id=p, flight_id="F1", site_id="LAB", start=sample, end=end)
               for p in ("C1", "C2", "C3", "C4")],
        unassigned=[Unassigned(person_id="C5", reasons=[reason("gate.document", "F1")]),
                    Unassigned(person_id="C6", reasons=[reason("capacity.seats", "F1"),
                                                        Reason(code="gate.exit_clearance", message="x")])])
    return s, plan


def say(language: str, msgid: str, **values: str) -> str:
    """A catalogue string in `language`, with its placeholders filled as the templates fill them."""
    text = translations(language).gettext(msgid)
    return text % values if values else text


# ------------------------------------------------------------------ comparing extracted PDF text

_INVISIBLE = dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                                    "\u0640"), None)
_HARAKAT = re.compile("[\u064b-\u065f\u0670]")
#: Lam followed by an alef is one ligature glyph (لا, لأ); its text comes back as the pair in either order.
_LAM_ALEF = re.compile("[\u0644\u0627\u0623\u0625\u0622]{2,}")


def tokens(text: str) -> list[str]:
    """Words and numbers of `text`, after NFKC (Arabic presentation forms to letters), without the marks that
    shaping and bidi insert or move (direction marks, ZWNJ/ZWJ, tatweel, vowel signs): punctuation and the
    order of runs may differ between logical and visual extraction, and a lam-alef ligature's two letters may
    come back swapped (so runs of lam and alef are compared sorted); the other letters of each word may not."""
    text = _HARAKAT.sub("", unicodedata.normalize("NFKC", text).translate(_INVISIBLE))
    text = _LAM_ALEF.sub(lambda m: "".join(sorted(m.group())), text)
    return re.findall(r"\d+|[^\W\d_]+", text)  # digits apart: extraction may glue a number to a word


def contains(extracted: str, expected: str, window: int = 3) -> bool:
    """Every word of `expected` is on the same line, or on up to `window` consecutive lines (a wrapped sentence),
    of the extracted text, in logical or in visual (reversed) letter order."""
    wanted = Counter(tokens(expected))
    lines = [ln for ln in extracted.splitlines() if ln.strip()]
    for variant in (lines, [ln[::-1] for ln in lines]):
        for i in range(len(variant)):
            have = Counter(tokens(" ".join(variant[i:i + window])))
            if not wanted - have:
                return True
    return False


def pdf_text(data: bytes, tool: str) -> str:
    """Text of a PDF by poppler's pdftotext or by pypdf."""
    if tool == "pdftotext":
        path = shutil.which("pdftotext")
        assert path, "pdftotext (poppler-utils) is not installed"
        return subprocess.run([path, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                              check=True).stdout.decode("utf-8")
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


ROOT = Path(__file__).resolve().parents[2]
