"""UN/EDIFACT segments as the PAXLST message writes them: the default service characters announced
in UNA, and the release character `?` before any of them inside a value (docs/airline.md, "PAXLST")."""

from __future__ import annotations

from collections.abc import Sequence

COMPONENT, ELEMENT, DECIMAL, RELEASE, TERMINATOR = ":", "+", ".", "?", "'"
#: The service string advice: component, element, decimal mark, release, reserved, segment terminator.
UNA = f"UNA{COMPONENT}{ELEMENT}{DECIMAL}{RELEASE} {TERMINATOR}"
_SPECIAL = (RELEASE, COMPONENT, ELEMENT, TERMINATOR)

Element = str | Sequence[str]


def escape(value: str) -> str:
    """A value with `?` before each service character, so that it reads back as one value."""
    out = []
    for char in value:
        if char in _SPECIAL:
            out.append(RELEASE)
        out.append(char)
    return "".join(out)


def _element(value: Element) -> str:
    if isinstance(value, str):
        return escape(value)
    components = [escape(c) for c in value]
    while components and components[-1] == "":
        components.pop()
    return COMPONENT.join(components)


def segment(tag: str, *elements: Element) -> str:
    """One segment: the tag, its elements (a component list for a composite), trailing empties left out."""
    parts = [_element(e) for e in elements]
    while parts and parts[-1] == "":
        parts.pop()
    return ELEMENT.join([tag, *parts]) + TERMINATOR
