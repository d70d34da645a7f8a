"""Travel documents beyond "has one or not": a document's status and the authorities that issue them.

A person without a valid document may still be planned on a later flight when their document has been requested
from an issuing authority (an embassy issuing laissez-passers, a consulate issuing emergency travel documents)
whose lead time says it will be in hand by then. The rule that uses these fields is `planner.rules.gates`
(docs/documents-pipeline.md); this module only declares the data and the date arithmetic of lead times.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator

from planner.model.fields import Code, Day, Model

#: `valid`: the document in the `document_*` columns is in hand (the default, as before statuses existed);
#: `requested`: asked of `document_authority` on `document_requested_on`, not yet issued; `issued`: issued on
#: `document_issued_on` (and in hand after the authority's hand-over days); `refused`: the authority refused it;
#: `none`: no document and none requested.
DocumentStatus = Literal["valid", "requested", "issued", "refused", "none"]


class PersonDocument(Model):
    """The people file's columns about the state of a person's travel document (docs/documents-pipeline.md)."""

    document_status: DocumentStatus = "valid"
    document_authority: Code | None = None
    document_requested_on: Day | None = None
    document_issued_on: Day | None = None

    @model_validator(mode="after")
    def _dates_for_status(self) -> PersonDocument:
        if self.document_status == "requested" and self.document_requested_on is None:
            raise ValueError("document_status 'requested' needs document_requested_on (the date it was asked for)")
        if self.document_status == "requested" and not self.document_authority:
            raise ValueError("document_status 'requested' needs document_authority (the id of the issuing "
                             "authority in the protocol's document_authorities)")
        if self.document_status == "issued" and self.document_issued_on is None:
            raise ValueError("document_status 'issued' needs document_issued_on")
        return self


class DocumentAuthority(Model):
    """An authority issuing travel documents, with its lead time as a distribution in working days.

    `typical_working_days` is the median time from request to issue, `slow_working_days` the time within which
    nine in ten requests are issued; plans use the one named by the protocol's `document_lead_time` (the slow
    one by default, so a plan rarely counts on a document that is late). Working days are Monday to Friday
    except the authority's `closed_days`; `handover_days` is the time from issue to the document in the
    officer's hand (collection, delivery to the reception centre)."""

    id: Code
    name: str = Field(default="", max_length=200)
    typical_working_days: int = Field(default=5, ge=0, le=365)
    slow_working_days: int = Field(default=10, ge=0, le=365)
    handover_days: int = Field(default=1, ge=0, le=60)
    closed_days: list[Day] = Field(default_factory=list, max_length=400)

    @model_validator(mode="after")
    def _slow_not_faster(self) -> DocumentAuthority:
        if self.slow_working_days < self.typical_working_days:
            raise ValueError("slow_working_days must not be below typical_working_days")
        return self

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (Monday to Friday, except `closed_days`)."""
        closed = set(self.closed_days)
        current = start
        while days > 0:
            current += timedelta(days=1)
            if current.weekday() < 5 and current not in closed:
                days -= 1
        return current


class DocumentSources(Model):
    """The protocol's issuing authorities and which lead time plans count on."""

    document_authorities: list[DocumentAuthority] = Field(default_factory=list, max_length=200)
    document_lead_time: Literal["typical", "slow"] = "slow"

    @model_validator(mode="after")
    def _unique_authorities(self) -> DocumentSources:
        ids = [a.id for a in self.document_authorities]
        if len(ids) != len(set(ids)):
            raise ValueError("document_authorities ids must be unique")
        return self


def document_ready_on(person: PersonDocument, sources: DocumentSources, today: date) -> date | None:
    """The first date a requested or issued document is in the officer's hand, or None when the person's
    document does not come from the pipeline (`valid`, `refused`, `none`) or names an unknown authority.

    A request whose expected issue date has passed without news is expected one working day after `today`."""
    by_id = {a.id: a for a in sources.document_authorities}
    authority = by_id.get(person.document_authority or "")
    if person.document_status == "issued" and person.document_issued_on is not None:
        return person.document_issued_on + timedelta(days=authority.handover_days if authority else 0)
    if person.document_status != "requested" or authority is None or person.document_requested_on is None:
        return None
    days = authority.slow_working_days if sources.document_lead_time == "slow" else authority.typical_working_days
    issue = authority.add_working_days(person.document_requested_on, days)
    if issue <= today:
        issue = authority.add_working_days(today, 1)
    return issue + timedelta(days=authority.handover_days)
