"""Where a synthetic returnee goes after landing, and who receives them (docs/reception.md).

Chosen from the household id by a hash, not from the random stream, so that adding these columns left every
other draw of the generator as it was. The districts are real districts of each governorate; who goes where is
invented.
"""

from __future__ import annotations

import zlib

#: destination airport -> governorates of return with some of their districts
PLACES = {
    "EBL": (("Erbil", ("Erbil", "Soran", "Shaqlawa", "Koya")), ("Duhok", ("Duhok", "Zakho", "Amedi", "Sumel"))),
    "ISU": (("Sulaymaniyah", ("Sulaymaniyah", "Ranya", "Penjwen")), ("Halabja", ("Halabja",))),
    "BGW": (("Baghdad", ("Karkh", "Rusafa", "Abu Ghraib")), ("Anbar", ("Ramadi", "Fallujah")),
            ("Nineveh", ("Mosul", "Sinjar"))),
}
REFERRAL_PARTNERS = {"protection": "Protection cluster partner", "reintegration": "Reintegration partner"}


def _pick(key: str, salt: str, n: int) -> int:
    return zlib.crc32(f"{salt}:{key}".encode()) % n


def reception_fields(values: dict[str, object], destination: str) -> dict[str, object]:
    """Governorate and district of the household, a referral for some, and how the person travels on."""
    household = str(values["household_id"])
    out: dict[str, object] = {}
    places = PLACES.get(destination)
    if places:
        governorate, districts = places[_pick(household, "gov", len(places))]
        out["return_governorate"] = governorate
        out["return_district"] = districts[_pick(household, "dist", len(districts))]
    mobility = values.get("mobility")
    if mobility == "STCR":
        out["onward_transport"] = "ambulance"
        out["receiving_facility"] = f"{out.get('return_governorate', 'Destination')} Emergency Hospital"
    elif mobility in ("WCHR", "WCHS", "WCHC", "WCHP"):
        out["onward_transport"] = "accessible_vehicle"
    elif values.get("unaccompanied_minor"):
        out["onward_transport"] = "family_pickup"
    else:
        out["onward_transport"] = "bus"
    vulnerabilities = values.get("vulnerabilities")
    tortured = isinstance(vulnerabilities, list) and "torture" in vulnerabilities
    if values.get("unaccompanied_minor") or tortured:
        out["referral"], out["referral_partner"] = "protection", REFERRAL_PARTNERS["protection"]
    elif _pick(household, "ref", 5) == 0:
        out["referral"], out["referral_partner"] = "reintegration", REFERRAL_PARTNERS["reintegration"]
    return out
