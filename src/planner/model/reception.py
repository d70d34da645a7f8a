"""What the destination's reception partners need to know about an arriving person.

Only declares the people file's columns; the arrival lists, one per partner with only the fields that partner
needs, are built in `planner.report.arrival_list` (docs/reception.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner.model.fields import Model

#: A referral made before departure: protection (case management, legal aid, psychosocial support) or
#: reintegration (cash, business or job support), or both.
ReferralKind = Literal["protection", "reintegration", "both"]
#: How the person travels on from the arrival airport.
OnwardTransport = Literal["own", "family_pickup", "bus", "accessible_vehicle", "ambulance"]


class PersonReception(Model):
    """The people file's columns for the reception handover (docs/reception.md).

    The unaccompanied child's receiving guardian or agency is `reception_contact`, which the child gate
    already requires; these columns add the place of return, the receiving medical facility, referrals and
    onward transport."""

    return_governorate: str = Field(default="", max_length=100)
    return_district: str = Field(default="", max_length=100)
    receiving_facility: str = Field(default="", max_length=200)
    referral: ReferralKind | None = None
    referral_partner: str = Field(default="", max_length=200)
    onward_transport: OnwardTransport | None = None

    @model_validator(mode="after")
    def _referral_names_its_partner(self) -> PersonReception:
        if self.referral is not None and not self.referral_partner.strip():
            raise ValueError("referral needs referral_partner (the organisation the person is referred to)")
        return self
