"""PAXLST read by a small independent EDIFACT segment reader: each passenger's segments, the release character,
the control counts, the per-person warnings and the force flag."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from airline.fixtures import FIRST, FLIGHT, SENT, plan, world
from planner.airline.paxlst import IncompleteData, Parties, paxlst_message, paxlst_warnings, person_warnings
from planner.io.loading import load_scenario

PARTIES = Parties(sender="IOMBY", receiver="IQAPIS", designator="ZZ0101", sent_at=SENT)


def segments(text: str) -> list[list[list[str]]]:
    """Segments as elements of components, from the UNA service characters, honouring the release character."""
    assert text.startswith("UNA")
    component, element, _decimal, release, _reserved, terminator = text[3:9]
    out: list[list[list[str]]] = []
    seg: list[list[str]] = [[""]]
    chars = iter(text[9:].replace("\n", ""))
    for char in chars:
        if char == release:
            seg[-1][-1] += next(chars)
        elif char == component:
            seg[-1].append("")
        elif char == element:
            seg.append([""])
        elif char == terminator:
            out.append(seg)
            seg = [[""]]
        else:
            seg[-1][-1] += char
    assert seg == [[""]], "text after the last segment terminator"
    return out


def passengers(segs: list[list[list[str]]]) -> list[list[list[list[str]]]]:
    """The NAD+FL groups, each up to the next NAD+FL or CNT."""
    groups: list[list[list[list[str]]]] = []
    for seg in segs:
        if seg[0][0] == "NAD" and seg[1] == ["FL"]:
            groups.append([])
        elif seg[0][0] == "CNT":
            break
        if groups:
            groups[-1].append(seg)
    return groups


def _find(group: list[list[list[str]]], tag: str, qualifier: str) -> list[list[str]]:
    return next(s for s in group if s[0][0] == tag and s[1][0] == qualifier)


def test_every_person_on_board_has_the_api_segments() -> None:
    scenario = world(C2={"place_of_birth": "Koya", "document_number": "A1+2:3'4?5"},
                     C5={"document_type": "etd", "document_number": "LP-1234567", "document_issuing_state": "IRQ",
                         "country_of_birth": "IRQ"})
    scenario = scenario.model_copy(update={"people": [
        p.model_copy(update={"document_issuing_state": p.document_issuing_state or p.nationality,
                             "country_of_birth": p.country_of_birth or p.nationality}) for p in scenario.people]})
    the_plan = plan(FIRST, {"C3": "C2"})
    assert paxlst_warnings(scenario, the_plan, FLIGHT) == []
    segs = segments(paxlst_message(scenario, the_plan, FLIGHT, PARTIES))
    tags = [s[0][0] for s in segs]
    assert tags[:4] == ["UNB", "UNG", "UNH", "BGM"] and tags[-3:] == ["UNT", "UNE", "UNZ"]
    assert segs[2][2] == ["PAXLST", "D", "05B", "UN", "IATA"]
    unh, unt = tags.index("UNH"), tags.index("UNT")
    assert segs[unt][1] == [str(unt - unh + 1)] and segs[unt][2] == segs[unh][1]
    groups = passengers(segs)
    assert len(groups) == 8 and next(s for s in segs if s[0][0] == "CNT")[1] == ["42", "8"]  # the infant too
    by_name = {tuple(g[0][4]): g for g in groups}
    shilan = by_name[("RASHID", "SHILAN")]
    assert _find(shilan, "ATT", "2")[3] == ["F"]
    assert _find(shilan, "DTM", "329") == [["DTM"], ["329", "900303"]]
    assert _find(shilan, "LOC", "180")[2] == ["IRQ", "", "", "KOYA"]
    assert _find(shilan, "DOC", "P")[2] == ["A1+2:3'4?5"]  # escaped on the way out, whole on the way in
    assert _find(shilan, "DTM", "36")[1] == ["36", "300101"]
    assert _find(shilan, "LOC", "91")[2] == ["IRQ"] and _find(shilan, "NAT", "2")[2] == ["IRQ"]
    assert _find(shilan, "LOC", "178")[2] == ["MSQ"] and _find(shilan, "LOC", "179")[2] == ["EBL"]
    assert _find(by_name[("ALJUBOURI", "ABD AL RAHMAN")], "LOC", "179")[2] == ["BGW"]
    assert _find(by_name[("ALJUBOURI", "ABD AL RAHMAN")], "DOC", "F")[2] == ["LP-1234567"]
    assert _find(by_name[("DOSKI", "KAWA")], "ATT", "2")[3] == ["U"]
    assert _find(by_name[("RASHID", "CHRA")], "DTM", "329")[1] == ["329", "210105"]
    assert _find(shilan, "RFF", "AVF") == _find(by_name[("RASHID", "CHRA")], "RFF", "AVF")


def test_missing_data_is_listed_per_person_and_refused_unless_forced() -> None:
    scenario = world(C4={"document_type": "none", "document_number": "", "document_expiry": None},
                     C6={"country_of_birth": "DEU"})
    the_plan = plan(FIRST)
    warnings = [str(w) for w in paxlst_warnings(scenario, the_plan, FLIGHT)]
    assert "C4: document_type: no travel document" in warnings
    assert "C1: document_issuing_state: missing" in warnings and "C1: country_of_birth: missing" in warnings
    assert "C6: country_of_birth: missing" not in warnings
    assert all(w.split(":")[0] in FIRST for w in warnings) and not any("Rashid" in w for w in warnings)
    with pytest.raises(IncompleteData) as refused:
        paxlst_message(scenario, the_plan, FLIGHT, PARTIES)
    assert len(refused.value.warnings) == len(warnings)
    forced = segments(paxlst_message(scenario, the_plan, FLIGHT, PARTIES, force=True))
    aram = next(g for g in passengers(forced) if g[0][4] == ["RASHID", "ARAM"])
    assert not any(s[0][0] == "DOC" for s in aram)
    assert date(2013, 2, 20).strftime("%y%m%d") in {s[1][1] for s in aram if s[0][0] == "DTM"}


@pytest.mark.parametrize("name", ["first-charter-2022", "teaching-lab-bottleneck", "teaching-vulnerable-first",
                                  "teaching-two-flights"])
def test_bundled_people_with_a_document_export_without_warnings(name: str) -> None:
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / name)
    travellers = [p for p in scenario.people if p.document_type != "none"]
    assert travellers and [w for p in travellers for w in person_warnings(p)] == []
