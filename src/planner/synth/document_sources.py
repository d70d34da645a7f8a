"""Who issues the emergency travel documents of a synthetic caseload, and how fast (docs/documents-pipeline.md).

The lead times are illustrative: an embassy in Minsk is assumed to issue a laissez-passer in about a week (two
in the slow tail), one that serves Belarus from Moscow in about two weeks (four in the slow tail). Iraq sent an
embassy team to Minsk for lost passports in November 2021 (GOV.KRD DMI, cited in docs/documents-pipeline.md).
"""

from __future__ import annotations

from datetime import date, timedelta

from planner.model.documents import DocumentAuthority

#: nationality -> (authority id, name, typical and slow working days)
_ISSUERS = {
    "IRQ": ("IRQ-MSQ", "Embassy of Iraq in Minsk", 5, 10),
    "SYR": ("SYR-MSQ", "Embassy of Syria in Minsk", 5, 10),
    "IRN": ("IRN-MSQ", "Embassy of Iran in Minsk", 5, 10),
    "AFG": ("AFG-MOW", "Embassy of Afghanistan in Moscow", 10, 20),
    "YEM": ("YEM-MOW", "Embassy of Yemen in Moscow", 10, 20),
    "CMR": ("CMR-MOW", "Embassy of Cameroon in Moscow", 10, 20),
}
#: Days between registration and the request to the embassy (counselling and the application form first).
REQUEST_AFTER_DAYS = 2


def authorities(nationalities: set[str]) -> list[DocumentAuthority]:
    """The issuing authorities of the caseload's nationalities, in id order."""
    out = [DocumentAuthority(id=i, name=n, typical_working_days=t, slow_working_days=s, handover_days=1)
           for nat, (i, n, t, s) in _ISSUERS.items() if nat in nationalities]
    return sorted(out, key=lambda a: a.id)


def requested_document(nationality: str, registered: date, today: date) -> dict[str, object]:
    """The document fields of a person whose document is lost: requested from their state's embassy two days
    after registration, or not yet requested when they registered in the last two days."""
    requested = registered + timedelta(days=REQUEST_AFTER_DAYS)
    issuer = _ISSUERS.get(nationality)
    if issuer is None or requested > today:
        return {"document_type": "none", "document_status": "none",
                "notes": "Passport lost at the border; emergency travel document to be requested"}
    return {"document_type": "etd", "document_status": "requested", "document_authority": issuer[0],
            "document_requested_on": requested,
            "notes": "Passport lost at the border; emergency travel document requested"}
