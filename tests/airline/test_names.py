"""Names in Latin letters A to Z (ICAO Doc 9303 transliteration), titles by sex and age, and the teletype line
and part limits with a full cabin of arbitrary names."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airline.fixtures import FLIGHT, SENT
from airline.teletype_reader import read
from builders import flight, person, scenario
from planner.airline.names import fit, given_names, latin_letters, surname, title
from planner.airline.pnl import Addressing, pnl_message
from planner.airline.roster import LINE_MAX, flight_roster
from planner.model.plan import FlightPlan, Passenger, Plan, ScenarioRef


def test_marks_and_letters_written_out() -> None:
    assert surname("Müller-Lüdenscheidt") == "MUELLERLUEDENSCHEIDT"
    assert surname("O'Neill") == "ONEILL" and surname("d’Arcy") == "DARCY"
    assert surname("Sze To") == "SZETO" and surname("U") == "UU"
    assert surname("Łukasiewicz") == "LUKASIEWICZ" and surname("Ørsted") == "OERSTED"
    assert surname("Þórsdóttir") == "THORSDOTTIR" and surname("Straße") == "STRASSE"
    assert given_names("Zoë  Anne-Marie") == "ZOE ANNE MARIE"
    assert given_names("José Çelik") == "JOSE CELIK"


def test_arabic_script_is_never_transliterated_or_sent() -> None:
    assert latin_letters("عبد الرحمن") == ""
    assert latin_letters("Karwan کاروان") == "KARWAN"  # the other script's word is dropped, not guessed


def test_titles_by_sex_and_age() -> None:
    assert [title("M", 12), title("M", 11), title("F", 40), title("F", 2), title("X", 30)] == [
        "MR", "MSTR", "MS", "MISS", ""]


def test_fit_cuts_given_names_first_then_the_family_name() -> None:
    assert fit("RASHID", "KARWAN", 20) == ("RASHID", "KARWAN")
    assert fit("RASHID", "KARWAN ALI", 12) == ("RASHID", "KARWA")
    assert fit("DISSANAYAKEMUDIYANSELAGE", "MAHINDA", 12) == ("DISSANAYAK", "M")


@given(st.text(max_size=80))
def test_any_text_gives_only_capitals_and_single_spaces(text: str) -> None:
    out = latin_letters(text)
    assert all("A" <= c <= "Z" or c == " " for c in out)
    assert "  " not in out and out == out.strip()


# names start with a letter: text starting with "-" or "=" is refused as formula-like (docs/input.md)
_LATIN = st.builds(lambda first, rest: first + rest, st.sampled_from(list("abcdefghijklmnopqrstuvwxyzÄÖÜÉ")),
                   st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzäöüéèçñøåß' -")), min_size=1,
                           max_size=60))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_LATIN, _LATIN, st.sampled_from(["M", "F"])), min_size=1, max_size=12))
def test_a_full_cabin_keeps_every_line_and_part_within_the_limits(names: list[tuple[str, str, str]]) -> None:
    people = [person(f"C{k:03d}", f"H{k // 3:03d}", family_name=family, given_name=given_, sex=sex,
                     date_of_birth=date(1980 + k % 30, 1 + k % 12, 1 + k % 28), mobility="WCHC" if k % 7 else "none")
              for k, (family, given_, sex) in ((k, names[k % len(names)]) for k in range(180))]
    world = scenario(people, [flight(FLIGHT)])
    plan = Plan(scenario=ScenarioRef(name="t", sha256="0" * 64), flights=[FlightPlan(
        flight_id=FLIGHT, passengers=[Passenger(person_id=p.case_id, seat=f"{1 + k // 6}{'ABCDEF'[k % 6]}")
                                      for k, p in enumerate(people)])])
    parts = pnl_message(world, plan, FLIGHT, Addressing("ZZ0001", SENT), part_max=2000)
    assert len(parts) > 1
    assert all(len(part) <= 2000 for part in parts)
    assert all(len(line) <= LINE_MAX for part in parts for line in part.splitlines())
    message = read(parts, "PNL")
    assert message.totals == {"EBL": 180}
    read_back = [(p.pnr, p.surname, p.given, p.title, p.seat) for p in message.sections[""]]
    expected = [(r.pnr, r.surname, r.given, r.title, r.seat) for r in flight_roster(world, plan, FLIGHT)]
    assert read_back == expected
