"""One set of violation ids: every id a check can report is declared and registered, every registered id has a
check, the validator refuses an undeclared id, and docs/rules.md lists exactly the registered ids."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from planner.model.plan import Plan
from planner.model.violations import Violation
from planner.oracle import validate as validate_module
from planner.rules import distancing
from planner.rules.base import Context, PlanCheck
from planner.rules.registry import FAMILIES, PLAN_CHECKS, RULE_IDS, SEAT_CHECKS
from rules.kit import person, world

DOCS = Path(__file__).parent.parent.parent / "docs" / "rules.md"


def _declared(module) -> set[str]:
    return {i for c in module.CHECKS for i in c.ids} | {c.id for c in module.SEAT_CHECKS}


def _literal_ids(module) -> set[str]:
    """The ids a family module's code passes to `violation(...)` or `ctx.v(...)` as a string literal."""
    out = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        fn = node.func
        named = ((isinstance(fn, ast.Name) and fn.id == "violation")
                 or (isinstance(fn, ast.Attribute) and fn.attr == "v"))
        if named and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.add(node.args[0].value)
    return out


@pytest.mark.parametrize("module", FAMILIES, ids=[f.__name__.rsplit(".", 1)[-1] for f in FAMILIES])
def test_every_id_a_family_reports_is_one_it_declares(module):
    assert _literal_ids(module) <= _declared(module)


def test_distancing_reports_one_declared_id_per_relation():
    assert {distancing.rule_id(r) for r in distancing.RELATIONS} == _declared(distancing)


def test_every_registered_id_has_a_check_and_ids_are_the_union_of_the_families():
    assert set().union(*(_declared(f) for f in FAMILIES)) == RULE_IDS
    for rule_id in RULE_IDS:
        assert any(rule_id in c.ids for c in PLAN_CHECKS) or any(c.id == rule_id for c in SEAT_CHECKS)


def test_the_validator_refuses_an_undeclared_id():
    def stray(ctx: Context):
        yield Violation(rule="made_up", message="x")

    s = world([person("A")])
    ctx = Context.build(s, Plan(scenario={"name": s.name, "sha256": "x"}))
    with pytest.raises(ValueError, match="made_up"):
        validate_module._run(PlanCheck(("gates",), stray), ctx)


def test_docs_list_exactly_the_registered_ids():
    text = DOCS.read_text()
    section = text.split("### Violation ids", 1)[1].split("\n### ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", section, flags=re.M))
    assert listed == RULE_IDS
