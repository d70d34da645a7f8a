"""Published plans go stale when the caseload or the flights change after publishing."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from api.models import Plan


def mark_stale(session: Session, operation_id: int) -> None:
    """Edits to people or flights after publishing mark the published plans stale
    (docs/architecture.md#publishing-and-re-planning-in-the-service); rendered
    exports of the operation are outdated once the change commits."""
    from api.export_cache import caseload_changed

    caseload_changed(session, operation_id)
    session.execute(
        update(Plan).where(Plan.operation_id == operation_id, Plan.state == "published", Plan.stale == False)  # noqa: E712
        .values(stale=True)
    )
