"""A passenger's needs in the words airline staff use, with the IATA codes they know (SSR), for the flight
manifest (docs/documents.md).

Vulnerabilities such as torture or trafficking are never put into words here: they are not the airline's
business. Only what the crew must act on is: mobility aids, a medical escort, an unaccompanied child, a
pregnancy, a lap infant and its carrier, and the escort a passenger travels with.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Mobility aids by their SSR code.
MOBILITY = {"WCHR": "wheelchair to the aircraft door (WCHR)", "WCHS": "wheelchair, cannot use steps (WCHS)",
            "WCHC": "wheelchair to the seat (WCHC)", "WCHP": "wheelchair, no use of the legs (WCHP)",
            "STCR": "stretcher (STCR)"}
#: Escorts by their role.
ESCORT_ROLES = {"medical": "medical escort", "uasc": "escort of unaccompanied children",
                "operational": "operational escort"}
#: IATA passenger types: infant under 2, child 2 to 11, adult 12 and over.
INFANT_YEARS, CHILD_YEARS = 2, 12


@dataclass(frozen=True)
class Need:
    """One need in words; `counts` names the manifest total it adds to (None: not counted)."""

    words: str
    counts: str | None = None


def escort_role(role: str) -> str:
    """An escort's role in words ("escort" when the role is not known)."""
    return ESCORT_ROLES.get(role, "escort")


def travel_category(age: int | None, on_lap: bool) -> tuple[str, str]:
    """(how the passenger travels, in words; the IATA type counted: adult, child, infant or unknown)."""
    if on_lap:
        return "infant on a lap", "infant"
    if age is None:
        return "", "unknown"
    if age < INFANT_YEARS:
        return "infant with own seat", "infant"
    if age < CHILD_YEARS:
        return "child", "child"
    return "adult", "adult"


def care_needs(mobility: str, fitness: str, unaccompanied_minor: bool, pregnant: bool) -> list[Need]:
    """The needs that come from the person: mobility aid, medical case, unaccompanied child, pregnancy."""
    out = []
    if mobility in MOBILITY:
        out.append(Need(MOBILITY[mobility], "stretcher" if mobility == "STCR" else "wheelchair"))
    if fitness == "fit_with_escort":
        out.append(Need("medical case: travels with a medical escort (MEDA)", "medical"))
    if unaccompanied_minor:
        out.append(Need("unaccompanied or separated child (UASC, UMNR)", "uasc"))
    if pregnant:
        out.append(Need("pregnant"))
    return out


def lap_infant_of(carrier: str, carrier_seat: str | None) -> str:
    """The words for a lap infant (INF): who carries it (case and name), and where they sit."""
    return f"lap infant (INF) of {carrier}" + (f", seat {carrier_seat}" if carrier_seat else "")


def carries_lap_infant(infant_case: str) -> str:
    """The words for the adult carrying a lap infant (INFT)."""
    return f"carries lap infant {infant_case} (INFT)"


def travels_with(escort_words: str) -> str:
    return f"with {escort_words}"


PROVISIONAL = "provisional: fitness check pending"
