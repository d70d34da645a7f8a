"""The teletype frame shared by the PNL and the ADL: header, passenger blocks, parts and the end element
(docs/airline.md, "Limits and parts").

Every part repeats the address, communications reference, message identifier and flight element (with its
part number), and starts again with the destination, and in an ADL the section, that the previous part broke
in. A passenger's lines are never split across parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from planner.airline.roster import LINE_MAX, PaxRecord, ddmmm, ddmmmyy

#: Most characters in one part, line ends counted (docs/airline.md, "Limits and parts").
PART_MAX_CHARS = 3840


@dataclass(frozen=True)
class Header:
    """Who the message goes to and which flight it lists."""

    kind: str  # PNL or ADL
    designator: str  # carrier and flight number, e.g. ZZ0001
    origin: str  # boarding airport
    departure: datetime  # local departure (its date is the flight date)
    sent_at: datetime  # UTC time of the communications reference

    def lines(self, part: int) -> list[str]:
        carrier = self.designator[:2]
        return [f"QU {self.origin}KD{carrier}", f".{self.origin}RM{carrier} {self.sent_at:%d%H%M}", self.kind,
                f"{self.designator}/{ddmmm(self.departure.date())} {self.origin} PART{part}"]


@dataclass(frozen=True)
class Entry:
    """A piece of the body: a destination's totals line, an ADL section header or a passenger block."""

    kind: str  # dest, section or pax
    lines: tuple[str, ...]


def totals_line(destination: str, count: int) -> str:
    """-EBL098Y: the destination, its booked seats in three digits and the class (all economy)."""
    return f"-{destination}{count:03d}Y"


def pax_block(record: PaxRecord) -> tuple[str, ...]:
    """The name element (one seat), then the booking reference, seat and special service requests."""
    given = " ".join(x for x in (record.given, record.title) if x)
    lines = [f"1{record.surname}/{given}", f".L/{record.pnr}"]
    if record.seat:
        lines.append(f".R/SEAT HK1 {record.seat}")
    lines += [f".R/{code}" for code in record.ssrs]
    if record.infant is not None:
        infant = record.infant
        lines.append(f".R/INFT HK1 {infant.surname}/{infant.given} {ddmmmyy(infant.born)}")
    too_long = [line for line in lines if len(line) > LINE_MAX]
    if too_long:
        raise ValueError(f"{record.case_id}: a line is longer than {LINE_MAX} characters")
    return tuple(lines)


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def split_parts(header: Header, body: list[Entry], part_max: int = PART_MAX_CHARS) -> list[str]:
    """The message in parts of at most `part_max` characters, each ending ENDPARTn, the last END<kind>."""
    parts: list[list[str]] = [header.lines(1)]
    dest: Entry | None = None
    section: Entry | None = None
    end_room = len(f"ENDPART{len(parts) + 99}") + 1
    for entry in body:
        if entry.kind == "dest":
            dest, section = entry, None
        elif entry.kind == "section":
            section = entry
        if _size(parts[-1]) + _size(list(entry.lines)) + end_room > part_max:
            parts[-1].append(f"ENDPART{len(parts)}")
            parts.append(header.lines(len(parts) + 1))
            parts[-1] += [line for e in (dest, section) if e is not None and e is not entry for line in e.lines]
            if _size(parts[-1]) + _size(list(entry.lines)) + end_room > part_max:
                raise ValueError(f"one passenger's lines do not fit in a part of {part_max} characters")
        parts[-1] += entry.lines
    parts[-1].append(f"END{header.kind}")
    return ["\n".join(lines) + "\n" for lines in parts]
