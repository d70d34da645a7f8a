"""A scenario folder uploaded as a zip, read from the archive itself: nothing is unpacked to disk and no
name in it can reach the filesystem (docs/input.md, "Scenario archives").

`scenario.yaml` sits at the top of the archive or in its one folder; the people file it names is looked up
among the archive's members only, relative to that folder. Absolute paths, `..`, backslashes, drives and
links are refused, members are decompressed as streams within the expansion limit, and everything is then
checked exactly as `planner.io.loading.load_scenario` checks a folder.
"""

from __future__ import annotations

import posixpath

from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue, ScenarioInputError
from planner.io.input_limits import DEFAULT_LIMITS, BoundedZip, InputLimits, open_zip, read_member, unsafe_member
from planner.io.loading import PeopleResult, scenario_from_yaml, unsafe_reference
from planner.io.people_file import people_from_table
from planner.io.people_table import decode_text, read_people_table
from planner.model.scenario import Scenario


def load_scenario_archive(data: bytes, filename: str, limits: InputLimits = DEFAULT_LIMITS) -> Scenario:
    """The scenario in a zip archive; raises ScenarioInputError (InputTooLarge for the size limits)."""
    archive = open_zip(data, filename, limits, what="zip archive", max_members=limits.max_zip_members)
    with archive:
        members = _members(archive, filename)
        yaml_name = _scenario_yaml(members, filename)
        folder = posixpath.dirname(yaml_name)
        text = decode_text(read_member(archive, yaml_name, filename, limits.max_yaml_bytes), "scenario.yaml")

        def read_people(name: str) -> PeopleResult:
            display = posixpath.basename(name.replace("\\", "/")) or "people.csv"
            why = unsafe_reference(name)
            member = posixpath.normpath(posixpath.join(folder, name)) if why is None else ""
            if why is None and member not in members:
                why = "is not in the archive"
            if why is not None:
                return [], [InputIssue("scenario.yaml", None, "people",
                                       f"{excerpt(name)} {why}; the people file must be a file of the archive, "
                                       "next to scenario.yaml")], [], display
            return (*people_from_table(lambda: read_people_table(
                read_member(archive, member, filename, limits.max_file_bytes), display, limits), display), display)

        return scenario_from_yaml(text, "scenario.yaml", read_people)


def _members(archive: BoundedZip, filename: str) -> set[str]:
    """Names of the archive's files; any unsafe or repeated name refuses the whole archive."""
    names: set[str] = set()
    issues: list[InputIssue] = []
    for info in archive.infolist():
        why = unsafe_member(info)
        if why is None and info.filename in names:
            why = "appears twice"
        if why is not None:
            issues.append(InputIssue(filename, None, excerpt(info.filename, 60), f"archive member {why}"))
        elif not info.is_dir():
            names.add(info.filename)
    if issues:
        raise ScenarioInputError(issues[:50])
    return names


def _scenario_yaml(members: set[str], filename: str) -> str:
    if "scenario.yaml" in members:
        return "scenario.yaml"
    nested = sorted(name for name in members if name.count("/") == 1 and name.endswith("/scenario.yaml"))
    if len(nested) == 1:
        return nested[0]
    raise ScenarioInputError([InputIssue(filename, None, "(file)",
                                         "the archive holds no scenario.yaml (at its top or in one folder)")])
