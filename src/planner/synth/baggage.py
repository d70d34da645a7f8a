"""Baggage and mobility aids of a synthetic returnee (docs/load.md).

Chosen from the case id by a hash, not from the random stream, so that adding these columns left every other
draw of the generator as it was. Most rows stay blank (the protocol's allowance); some state their bags, in
whole 5 kg steps as a check-in scale's ticket would be read; wheelchair users who cannot walk (WCHS, WCHC) bring
their wheelchair, a few of them a powered one.
"""

from __future__ import annotations

import zlib

#: Share of people (per 100) who state their checked bags instead of taking the allowance.
STATED_PER_100 = 15
#: Powered wheelchairs among the wheelchairs (per 100), by battery type, with their mass in kg.
POWERED = (("wheelchair_dry_battery", 8, 80.0), ("wheelchair_lithium_ion", 12, 60.0))


def _roll(case_id: str, salt: str, n: int) -> int:
    return zlib.crc32(f"{salt}:{case_id}".encode()) % n


def baggage_fields(values: dict[str, object]) -> dict[str, object]:
    """Stated checked bags for some people, and a wheelchair in the hold for those who need one."""
    case_id = str(values["case_id"])
    out: dict[str, object] = {}
    if _roll(case_id, "bags", 100) < STATED_PER_100:
        bags = 1 + _roll(case_id, "count", 2)
        out["checked_bags"] = bags
        out["checked_bag_kg"] = float(5 * (2 + _roll(case_id, "kg", 3 + 2 * bags)))  # 10 to 30 (40) kg
    if values.get("mobility") in ("WCHS", "WCHC"):
        roll, aid, kg = _roll(case_id, "aid", 100), "wheelchair_manual", 15.0
        for kind, share, mass in POWERED:
            if roll < share:
                aid, kg = kind, mass
                break
            roll -= share
        out["mobility_aid"] = aid
        out["mobility_aid_kg"] = kg
    return out
