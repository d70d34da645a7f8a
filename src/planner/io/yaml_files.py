"""YAML input files (scenario, variant, sweep and events files): read within the size limit, parsed under the
safe loader's rules (planner.io.safe_yaml), and issues traced back to the line they are about."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from planner.io.input_errors import InputIssue, ScenarioInputError
from planner.io.input_limits import DEFAULT_LIMITS, InputLimits, check_size
from planner.io.people_table import decode_text
from planner.io.safe_yaml import compose_yaml, load_yaml


def parse_yaml(text: str, name: str) -> Any:
    """A YAML text's content under the safe loader's rules (no anchors or aliases: planner.io.safe_yaml); bad
    YAML is a ScenarioInputError naming the file and line."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(mark, "line", None)
        problem = str(getattr(exc, "problem", None) or exc)[:200]
        raise ScenarioInputError([InputIssue(name, None if line is None else line + 1, "(file)",
                                             f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise ScenarioInputError([InputIssue(name, None, "(file)", "not valid YAML: nested too deeply")]) from None


def read_yaml_text(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> str:
    """A YAML file's text, within the size limit; a missing or unreadable file is a ScenarioInputError."""
    try:
        if not path.is_file():
            raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"not found: {path}")])
        check_size(path.name, path.stat().st_size, limits.max_yaml_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioInputError([InputIssue(path.name, None, "(file)", f"cannot read: {exc.strerror}")]) from None
    return decode_text(data, path.name)


def read_yaml(path: Path, limits: InputLimits = DEFAULT_LIMITS) -> Any:
    """A YAML file's content (scenario, variant, sweep or events file); errors name the file and line."""
    return parse_yaml(read_yaml_text(path, limits), path.name)


class YamlLines:
    """Line numbers of the values in a YAML text, looked up by an issue's field path (`flights[0].departure`
    or pydantic's `flights.0.departure`), so scenario errors point at a line rather than just a key."""

    def __init__(self, text: str):
        try:
            self.root: yaml.Node | None = compose_yaml(text)
        except (yaml.YAMLError, RecursionError):
            self.root = None

    def line(self, field: str) -> int | None:
        """1-based line of the deepest node the path reaches; None when not even the first key is found."""
        node, found = self.root, None
        for part in re.findall(r"[^.\[\]\s]+", field):
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                node = node.value[int(part)]
            else:
                node = None
            if node is None:
                break
            found = node.start_mark.line + 1
        return found
