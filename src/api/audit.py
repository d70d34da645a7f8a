"""The append-only audit log: who did what, when. Entries name people by case_id only, never by name."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.auth import Principal
from api.models import AuditEntry


def audit(session: Session, actor: Principal | str, action: str, resource: str,
          resource_id: object = None, operation_id: int | None = None, **details: Any) -> None:
    """Add an entry to the caller's transaction, so the entry and the change commit (or fail) together."""
    session.add(AuditEntry(
        actor=actor.username if isinstance(actor, Principal) else actor,
        action=action,
        resource=resource,
        resource_id=None if resource_id is None else str(resource_id),
        operation_id=operation_id,
        details=details,
    ))


def audit_commit(session: Session, actor: Principal | str, action: str, resource: str,
                 resource_id: object = None, operation_id: int | None = None, **details: Any) -> None:
    """Write one entry in its own short transaction (for reads that are audited: exports, logins)."""
    from api.db import write_lock

    with write_lock(session.get_bind()):
        audit(session, actor, action, resource, resource_id, operation_id, **details)
        session.commit()
