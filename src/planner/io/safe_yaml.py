"""The one YAML loader for input files (scenario.yaml, variants, sweeps, events), local or uploaded.

PyYAML's safe loader still expands aliases: a few lines of nested `*ref` grow into gigabytes once anything
walks or prints the result (the "billion laughs"). No input format needs anchors or aliases, so this loader
refuses both, and nesting deeper than `MAX_DEPTH` (docs/input.md, "YAML files").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

MAX_DEPTH = 64


class SafeYamlLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or deep nesting; errors carry the line (a `MarkedYAMLError`)."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        next_event: Callable[[], yaml.Event] = self.peek_event  # the stubs leave the parser's methods unannotated
        event = next_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted; write the value out",
                                              _mark(event))
        if getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchors (&name) are not accepted; write the value out",
                                              _mark(event))
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                                  _mark(event))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _mark(event: yaml.Event) -> yaml.error.Mark | None:
    """Where the event starts; the pure-Python parser this loader extends always gives a `yaml.error.Mark`."""
    mark = event.start_mark
    return mark if isinstance(mark, yaml.error.Mark) else None


def load_yaml(text: str) -> Any:
    """Parse one YAML document with `SafeYamlLoader`; raises yaml.YAMLError (with a mark when known)."""
    return yaml.load(text, Loader=SafeYamlLoader)


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (for line numbers) under the same rules."""
    return yaml.compose(text, Loader=SafeYamlLoader)
