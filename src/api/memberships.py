"""Access per operation: who is a member of which operation (mission team), with which role there.

With `Settings.open_membership` (the default, one office) every user is a member of every operation with their
global role, and nothing here is looked up. With it off, a user reaches an operation only as its member and acts
there with the membership's role; admins reach every operation. A non-member gets the same 404 as for an
operation that does not exist, so existence is not revealed (docs/security.md, "Access per operation").

The check is central: `api.deps.require` and the web's `api.web.session.page` call `operation_scope` for every
route whose path holds `{operation_id}`, before the role check, and the app refuses to start if an
operation-scoped route lacks it (`refuse_unchecked_routes`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, col, select

from api.auth import Principal
from api.models import Keyed, utcnow
from api.params import INT32_MAX
from api.problems import not_found

#: Roles a member can hold in an operation (admin is global only: admins reach every operation anyway).
MEMBER_ROLES = ("viewer", "officer", "coordinator")
#: The path parameter that names an operation, and those that name a row of one: a route addressing a plan, job
#: or variant by id without the operation in its path must use `api.deps.require_of`, which resolves it.
OPERATION_PARAM = "operation_id"
SCOPED_PARAMS = ("plan_id", "job_id", "variant_id")
_INT: TypeAdapter[int] = TypeAdapter(int)


class OperationMember(Keyed, table=True):
    """A user's membership of an operation and their role in it."""

    __tablename__ = "operation_member"
    __table_args__ = (UniqueConstraint("operation_id", "user_id"),)

    operation_id: int = Field(foreign_key="operation.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


def open_membership(request: Request) -> bool:
    return bool(getattr(request.app.state.settings, "open_membership", True))


def role_in(session: Session, principal: Principal, operation_id: int, open_all: bool) -> str | None:
    """The principal's role in the operation, or None when they are not a member."""
    if open_all or principal.role == "admin":
        return principal.role
    return session.exec(select(OperationMember.role).where(OperationMember.operation_id == operation_id,
                                                           OperationMember.user_id == principal.user_id)).first()


def path_id(request: Request, name: str) -> int | None:
    """The id in the path parameter `name`, read exactly as the route's own validation will read it (`+5`,
    ` 5` and `5.0` are 5 there too, so they must not slip past the check); None when absent or not an id (the
    route then answers 422 itself)."""
    raw = request.path_params.get(name)
    if raw is None or len(str(raw)) > 32:
        return None
    try:
        value = _INT.validate_python(raw)
    except ValidationError:
        return None
    return value if 1 <= value <= INT32_MAX else None


def operation_scope(request: Request, session: Session, principal: Principal) -> Principal:
    """The caller as they act in the operation named by the path: a non-member gets 404 (as for a missing
    operation), a member their membership's role. Routes without an operation in the path are left alone."""
    operation_id = path_id(request, OPERATION_PARAM)
    if operation_id is None:
        return principal
    return scope_to(request, session, principal, operation_id)


def scope_to(request: Request, session: Session, principal: Principal, operation_id: int,
             missing: Any = None) -> Principal:
    """The caller as a member of `operation_id`; a non-member gets `missing` (404 naming the operation)."""
    role = role_in(session, principal, operation_id, open_membership(request))
    if role is None:
        raise missing if missing is not None else not_found("operation", operation_id)
    scoped = principal if role == principal.role else dataclasses.replace(principal, role=role)
    request.state.principal = scoped
    return scoped


def visible_operations(request: Request, session: Session, principal: Principal) -> list[int] | None:
    """The ids of the operations the caller may see, or None for all of them (open membership, admins)."""
    if open_membership(request) or principal.role == "admin":
        return None
    return list(session.exec(select(OperationMember.operation_id)
                             .where(OperationMember.user_id == principal.user_id)).all())


def add_creator(session: Session, principal: Principal, operation_id: int) -> None:
    """The creator of an operation becomes its member, with their global role (admins need no membership)."""
    if principal.role == "admin":
        return
    role = principal.role if principal.role in MEMBER_ROLES else "viewer"
    session.add(OperationMember(operation_id=operation_id, user_id=principal.user_id, role=role))


def forget_operation(session: Session, operation_id: int) -> None:
    """Remove the memberships of an operation being deleted (in the caller's transaction)."""
    from sqlalchemy import delete

    session.execute(delete(OperationMember).where(col(OperationMember.operation_id) == operation_id))


# ------------------------------------------------------------------------------------------ route coverage

def _has_marker(route: Any, marker: str) -> bool:
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if getattr(dep.call, marker, False):
            return True
        stack.extend(dep.dependencies)
    return False


def checks_operation(path: str, route: Any) -> bool:
    """Whether a route applies the membership check: through its role dependency when the operation is in the
    path (`require`, `page`: marked `checks_operation`), else through `require_of` for a plan, job or variant id;
    a route that names no operation-scoped id needs none."""
    if "{" + OPERATION_PARAM + "}" in path:
        return _has_marker(route, "checks_operation")
    if any("{" + name + "}" in path for name in SCOPED_PARAMS):
        return _has_marker(route, "resolves_operation")
    return True


def unchecked_routes(routes: Iterable[tuple[str, Any]]) -> list[str]:
    """Operation-scoped routes without the membership check."""
    return [f"{sorted(route.methods)} {path}" for path, route in routes if not checks_operation(path, route)]


def refuse_unchecked_routes(routes: Iterable[tuple[str, Any]]) -> None:
    """Fail at start-up, not in production, if an operation-scoped route lacks the membership check."""
    missing = unchecked_routes(routes)
    if missing:
        raise RuntimeError("operation-scoped routes without the membership check (use api.deps.Viewer ... Admin, "
                           "or api.deps.require_of for an id without the operation; docs/security.md): "
                           + ", ".join(missing))
