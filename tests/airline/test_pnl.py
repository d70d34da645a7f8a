"""PNL and ADL read back by an independent reader: the PNL plus every ADL applied is the current manifest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from airline.fixtures import FIRST, FLIGHT, SENT, as_read, plan, world
from airline.teletype_reader import LayoutError, Pax, apply, read
from builders import flight, person, scenario
from planner.airline.adl import adl_message
from planner.airline.pnl import Addressing, pnl_message
from planner.airline.roster import ExportError, flight_roster

ADDRESSING = Addressing("ZZ0101", SENT)


def _state(parts: list[str]) -> dict[tuple[str, str, str, str, str], Pax]:
    return {p.key: p for p in read(parts, "PNL").sections[""]}


def _read_as(state: dict[tuple[str, str, str, str, str], Pax]) -> set[tuple[object, ...]]:
    return {(*p.key, p.seat, tuple(p.ssrs), p.infant) for p in state.values()}


def test_pnl_lists_every_seated_passenger_with_infant_needs_and_destination() -> None:
    scenario, first = world(), plan(FIRST, {"C3": "C2"})
    parts = pnl_message(scenario, first, FLIGHT, ADDRESSING)
    message = read(parts, "PNL")
    assert message.flight == "ZZ0101/01DEC MSQ"
    assert message.totals == {"EBL": 6, "BGW": 1}
    by_case = {r.case_id: r for r in flight_roster(scenario, first, FLIGHT)}
    assert _read_as(_state(parts)) == {as_read(r) for r in by_case.values()}
    pax = {p.surname + "/" + p.given: p for p in message.sections[""]}
    assert pax["RASHID/SHILAN"].infant == ("RASHID", "CHRA", "05JAN21") and pax["RASHID/SHILAN"].title == "MS"
    assert pax["RASHID/ARAM"].title == "MSTR"
    assert pax["ALJUBOURI/ABD AL RAHMAN"].destination == "BGW"
    assert pax["ALJUBOURI/ABD AL RAHMAN"].ssrs == ["WCHR HK1"]
    assert pax["MUELLERLUEDENSCHEIDT/ZOE ANNE MARIE"].ssrs == ["MEDA HK1"]
    assert pax["ONEILL/SORAN"].ssrs == ["UMNR HK1 UM15"]
    assert pax["DOSKI/KAWA"].title == ""  # sex X: no title by sex
    assert pax["RASHID/KARWAN"].pnr == pax["RASHID/SHILAN"].pnr != pax["DOSKI/KAWA"].pnr
    text = "".join(parts)
    assert text.isascii() and "C3" not in text  # no script other than Latin, no case numbers


def test_pnl_plus_adls_is_the_current_manifest() -> None:
    scenario = world()
    first = plan(FIRST, {"C3": "C2"})
    # C8 leaves, C7 moves seat, the infant moves to the father, C5 loses the wheelchair (a data change)
    second = plan({**{c: s for c, s in FIRST.items() if c != "C8"}, "C7": "5A"}, {"C3": "C1"})
    changed = world(C5={"mobility": "none"}, C6={"given_name": "Zoe"})
    # C8 comes back on another seat
    third = plan({**{c: s for c, s in FIRST.items() if c != "C7"}, "C8": "6A"}, {"C3": "C1"})
    state = _state(pnl_message(scenario, first, FLIGHT, ADDRESSING))
    adl_1 = read(adl_message(changed, second, first, FLIGHT, ADDRESSING, since_scenario=scenario), "ADL")
    assert {p.surname for p in adl_1.sections["DEL"]} == {"DOSKI", "MUELLERLUEDENSCHEIDT"}
    assert {p.surname for p in adl_1.sections["ADD"]} == {"MUELLERLUEDENSCHEIDT"}  # a new name: delete and add
    assert {p.surname + "/" + p.given for p in adl_1.sections["CHG"]} == {
        "ONEILL/SORAN", "RASHID/KARWAN", "RASHID/SHILAN", "ALJUBOURI/ABD AL RAHMAN"}
    apply(state, adl_1)
    apply(state, read(adl_message(changed, third, second, FLIGHT, ADDRESSING), "ADL"))
    assert _read_as(state) == {as_read(r) for r in flight_roster(changed, third, FLIGHT)}
    assert adl_1.totals == {"EBL": 5, "BGW": 1}


def test_adl_without_changes_has_only_totals_and_a_new_flight_adds_everyone() -> None:
    scenario, first = world(), plan(FIRST)
    same = read(adl_message(scenario, first, first, FLIGHT, ADDRESSING), "ADL")
    assert not any(same.sections[s] for s in ("DEL", "ADD", "CHG")) and same.totals == {"EBL": 6, "BGW": 1}
    empty = first.model_copy(update={"flights": []})
    added = read(adl_message(scenario, first, empty, FLIGHT, ADDRESSING), "ADL")
    assert len(added.sections["ADD"]) == len(FIRST)


def test_reader_rejects_a_broken_frame() -> None:
    parts = pnl_message(world(), plan(FIRST), FLIGHT, ADDRESSING)
    with pytest.raises(LayoutError):
        read([parts[0].replace("ENDPNL", "ENDPART1")], "PNL")
    with pytest.raises(LayoutError):
        read(parts, "ADL")


def test_missing_flight_and_unknown_carrier_are_clear_errors() -> None:
    with pytest.raises(ExportError, match="'NOPE' is not in the scenario"):
        pnl_message(world(), plan(FIRST), "NOPE", ADDRESSING)
    with pytest.raises(ExportError, match="C3: lap_of names C9"):
        pnl_message(world(), plan(FIRST, {"C3": "C9"}), FLIGHT, ADDRESSING)
    with pytest.raises(ExportError, match="C8: family_name has no letter A to Z"):
        pnl_message(world(C8={"family_name": "دوسكي"}), plan(FIRST), FLIGHT, ADDRESSING)


def test_adl_parts_repeat_the_destination_and_the_section_they_continue() -> None:
    people = [person(f"C{k:03d}", f"H{k:03d}", family_name=f"Family{'abcdefghij'[k % 10]}{'xyz'[k % 3]}")
              for k in range(120)]
    world_ = scenario(people, [flight(FLIGHT)])
    full = plan({p.case_id: f"{1 + k // 6}{'ABCDEF'[k % 6]}" for k, p in enumerate(people)})
    parts = adl_message(world_, full, full.model_copy(update={"flights": []}), FLIGHT, ADDRESSING, part_max=900)
    assert len(parts) > 3 and all(len(p) <= 900 for p in parts)
    for part in parts[1:]:
        assert part.split("\n")[4:6] == ["-EBL120Y", "ADD"]
    assert len(read(parts, "ADL").sections["ADD"]) == 120


def test_the_reader_does_not_use_the_writer() -> None:
    tree = ast.parse((Path(__file__).parent / "teletype_reader.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(name and name.startswith("planner") for name in imported)
