"""The models' text rule takes a shortcut for ASCII text starting with a letter or digit (most cells of a people
file): whatever the text, a model must accept exactly what the full rule accepts (planner.io.cell_rules)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from planner.io.cell_rules import formula_like
from planner.model.fields import Model, check_text

_CHARS = st.sampled_from([*"aZ09 \t\n=@+-＝＠＋－'.()/,é٣\u3000", "\ud800"])


class _Text(Model):
    text: str


def _full_rule(text: str) -> bool:
    try:
        check_text(text)
    except ValueError:
        return False
    return not formula_like(text)


@given(st.text(_CHARS, max_size=6) | st.text(max_size=6))
def test_the_shortcut_accepts_what_the_full_rule_accepts(text: str) -> None:
    try:
        _Text(text=text)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == _full_rule(text)


def test_formula_text_after_a_shortcut_character_class_is_still_refused() -> None:
    for text in ("=1+1", " =A1", "+SUM(A1)", "@x", "\u3000=1", "-x"):
        try:
            _Text(text=text)
        except ValidationError:
            continue
        raise AssertionError(f"{text!r} was accepted")
