"""The validator stays independent of the solver, and the planning core of the service and the database.

Checked for real: a fresh interpreter imports the validator, and no solver module may then be loaded; every
module under src/planner is parsed for imports of the service or database packages."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "planner"

FORBIDDEN_FOR_THE_VALIDATOR = ("planner.allocation", "planner.seating.seat_plan", "planner.seating.render",
                               "planner.seating.synth", "planner.pipeline", "planner.report", "planner.whatif",
                               "planner.rules.capacity", "ortools")
NOT_IN_THE_CORE = ("api", "fastapi", "sqlmodel", "sqlalchemy", "starlette")


def _loaded_after(module: str) -> list[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_importing_the_validator_loads_no_solver_code():
    loaded = _loaded_after("planner.oracle.validate")
    assert "planner.oracle.validate" in loaded and "planner.rules.registry" in loaded
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_FOR_THE_VALIDATOR)]
    assert bad == []


def test_the_check_itself_sees_a_solver_import():
    """The subprocess check can fail: importing the seating solver loads forbidden modules."""
    loaded = _loaded_after("planner.seating.seat_plan")
    assert {"planner.seating.seat_plan", "planner.pipeline.workers"} <= set(loaded)


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_the_planning_core_imports_no_service_or_database_package():
    bad = {str(p.relative_to(SRC)): sorted(_imports(p) & set(NOT_IN_THE_CORE)) for p in sorted(SRC.rglob("*.py"))}
    assert {p: m for p, m in bad.items() if m} == {}
