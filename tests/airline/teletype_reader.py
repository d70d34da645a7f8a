"""A reader of PNL and ADL text written from the published layout (IATA Recommended Practice 1708, as
docs/airline.md describes it), independent of the writer: it imports nothing from planner.airline.

It reads the parts of one message back into passenger records and checks the frame on the way: every part has
the address, communications reference, message identifier, flight element with its part number, the
destination it continues, and its end element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TITLES = {"MR", "MRS", "MS", "MSTR", "MISS"}
_DEST = re.compile(r"^-([A-Z]{3})(\d{3})([A-Z])$")
_FLIGHT = re.compile(r"^([A-Z0-9]{2}\d{1,4}[A-Z]?)/(\d{2}[A-Z]{3}) ([A-Z]{3}) PART(\d+)$")
_NAME = re.compile(r"^1([A-Z]+)/([A-Z ]*)$")


@dataclass
class Pax:
    """A passenger as read: destination, booking, name, title, seat, other requests and the lap infant."""

    destination: str = ""
    pnr: str = ""
    surname: str = ""
    given: str = ""
    title: str = ""
    seat: str | None = None
    ssrs: list[str] = field(default_factory=list)
    infant: tuple[str, str, str] | None = None  # surname, given, DDMMMYY

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.destination, self.pnr, self.surname, self.given, self.title


@dataclass
class Message:
    kind: str
    flight: str
    totals: dict[str, int] = field(default_factory=dict)
    sections: dict[str, list[Pax]] = field(default_factory=lambda: {"": [], "DEL": [], "ADD": [], "CHG": []})


class LayoutError(AssertionError):
    """The text does not follow the layout."""


def _name(line: str) -> Pax:
    match = _NAME.match(line)
    if not match:
        raise LayoutError(f"not a name element: {line!r}")
    words = match.group(2).split()
    title = words.pop() if words and words[-1] in TITLES else ""
    return Pax(surname=match.group(1), given=" ".join(words), title=title)


def _remark(pax: Pax, line: str) -> None:
    if line.startswith(".L/"):
        pax.pnr = line[3:]
    elif line.startswith(".R/SEAT HK1 "):
        pax.seat = line[len(".R/SEAT HK1 "):]
    elif line.startswith(".R/INFT HK1 "):
        name, born = line[len(".R/INFT HK1 "):].rsplit(" ", 1)
        family, given = name.split("/", 1)
        pax.infant = (family, given, born)
    elif line.startswith(".R/"):
        pax.ssrs.append(line[3:])
    else:
        raise LayoutError(f"unknown element {line!r}")


def _check_part(lines: list[str], kind: str, number: int, last: bool) -> str:
    """The frame of one part; returns the flight element without the part number."""
    if len(lines) < 6 or not lines[0].startswith("QU ") or not re.match(r"^\.[A-Z]{3}[A-Z]{2}\w{2} \d{6}$", lines[1]):
        raise LayoutError(f"part {number}: no address and communications reference")
    if lines[2] != kind:
        raise LayoutError(f"part {number}: message identifier {lines[2]!r}, expected {kind}")
    match = _FLIGHT.match(lines[3])
    if not match or int(match.group(4)) != number:
        raise LayoutError(f"part {number}: flight element {lines[3]!r}")
    end = f"END{kind}" if last else f"ENDPART{number}"
    if lines[-1] != end:
        raise LayoutError(f"part {number} ends {lines[-1]!r}, expected {end}")
    if not _DEST.match(lines[4]):
        raise LayoutError(f"part {number} does not start with a destination: {lines[4]!r}")
    return lines[3].rsplit(" PART", 1)[0]


def read(parts: list[str], kind: str) -> Message:
    """The passengers of a PNL (section "") or ADL (DEL, ADD, CHG) in all its parts."""
    message: Message | None = None
    for number, text in enumerate(parts, start=1):
        lines = text.rstrip("\n").split("\n")
        flight = _check_part(lines, kind, number, number == len(parts))
        message = message or Message(kind, flight)
        if flight != message.flight:
            raise LayoutError(f"part {number} is for {flight}, not {message.flight}")
        _read_body(lines[4:-1], message)
    if message is None:
        raise LayoutError("no parts")
    return message


def _read_body(lines: list[str], message: Message) -> None:
    destination, section = "", ""
    current: Pax | None = None
    for line in lines:
        dest = _DEST.match(line)
        if dest:
            destination, section = dest.group(1), ""
            message.totals[destination] = int(dest.group(2))
        elif line in ("DEL", "ADD", "CHG"):
            section = line
        elif line.startswith("1"):
            current = _name(line)
            current.destination = destination
            message.sections[section].append(current)
        elif current is not None:
            _remark(current, line)
        else:
            raise LayoutError(f"element before any name: {line!r}")


def apply(state: dict[tuple[str, str, str, str, str], Pax], adl: Message) -> None:
    """An ADL applied to the passengers known so far (by destination, booking and name)."""
    for pax in adl.sections["DEL"]:
        if pax.key not in state:
            raise LayoutError(f"DEL of a passenger not on the list: {pax.key}")
        del state[pax.key]
    for pax in adl.sections["ADD"]:
        if pax.key in state:
            raise LayoutError(f"ADD of a passenger already on the list: {pax.key}")
        state[pax.key] = pax
    for pax in adl.sections["CHG"]:
        if pax.key not in state:
            raise LayoutError(f"CHG of a passenger not on the list: {pax.key}")
        state[pax.key] = pax
