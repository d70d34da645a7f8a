"""Scenario folders out of the service: the same files the CLI reads (docs/architecture.md#scenario-folder), written
by the
planner's writer (which neutralises formula-looking text, planner.io.cell_rules)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from planner.io.writing import write_scenario
from planner.model.scenario import Scenario


def write_folder(scenario: Scenario, folder: Path) -> None:
    """Write scenario.yaml and people.csv."""
    write_scenario(scenario, folder)


def zip_folder(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()
