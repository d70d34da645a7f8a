"""Members of an operation and their role in it (access per operation, api.memberships): admins manage them.

Included by `api.routers.operations`. Every change is audited (resource `membership`, the user's id, the role).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlmodel import Session, select

from api.audit import audit
from api.auth import Principal
from api.deps import Admin, SessionDep
from api.lookups import get_operation
from api.memberships import OperationMember
from api.models import User
from api.params import Id
from api.problems import not_found

router = APIRouter(tags=["members"])
MemberRole = Literal["viewer", "officer", "coordinator"]


class MemberRead(BaseModel):
    user_id: int
    username: str
    role: str
    created_at: datetime


class MemberSet(BaseModel):
    role: MemberRole


def members_of(session: Session, operation_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(OperationMember, User).where(OperationMember.operation_id == operation_id,
                                                            OperationMember.user_id == User.id)
                        .order_by(User.username)).all()
    return [{"user_id": user.id, "username": user.username, "role": member.role,
             "created_at": member.created_at} for member, user in rows]


@router.get("/operations/{operation_id}/members", response_model=list[MemberRead])
def list_members(operation_id: Id, _: Admin, session: SessionDep) -> Any:
    """The operation's members with their role there (with open membership everyone is a member anyway)."""
    get_operation(session, operation_id)
    return members_of(session, operation_id)


def set_member(session: Session, principal: Principal, operation_id: int, user_id: int, role: str) -> bool:
    """Add the user to the operation or change their role there, audited; True when the membership is new.
    The caller commits."""
    get_operation(session, operation_id)
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    row = session.exec(select(OperationMember).where(OperationMember.operation_id == operation_id,
                                                     OperationMember.user_id == user_id)).first()
    if row is not None and row.role == role:
        return False
    audit(session, principal, "create" if row is None else "update", "membership", user_id,
          operation_id=operation_id, role=role, previous=None if row is None else row.role)
    if row is None:
        session.add(OperationMember(operation_id=operation_id, user_id=user_id, role=role))
        return True
    row.role = role
    session.add(row)
    return False


def remove_member(session: Session, principal: Principal, operation_id: int, user_id: int) -> None:
    """Take the user off the operation, audited; 404 when they are not a member. The caller commits."""
    get_operation(session, operation_id)
    row = session.exec(select(OperationMember).where(OperationMember.operation_id == operation_id,
                                                     OperationMember.user_id == user_id)).first()
    if row is None:
        raise not_found("member", user_id)
    session.delete(row)
    audit(session, principal, "delete", "membership", user_id, operation_id=operation_id, previous=row.role)


@router.put("/operations/{operation_id}/members/{user_id}", response_model=MemberRead,
            responses={201: {"description": "the user became a member", "model": MemberRead}})
def put_member(operation_id: Id, user_id: Id, body: MemberSet, principal: Admin, session: SessionDep,
               response: Response) -> Any:
    """Make the user a member with `role`, or change their role (201 when they were not a member)."""
    created = set_member(session, principal, operation_id, user_id, body.role)
    session.commit()
    response.status_code = 201 if created else 200
    return next(m for m in members_of(session, operation_id) if m["user_id"] == user_id)


@router.delete("/operations/{operation_id}/members/{user_id}", status_code=204)
def delete_member(operation_id: Id, user_id: Id, principal: Admin, session: SessionDep) -> Response:
    remove_member(session, principal, operation_id, user_id)
    session.commit()
    return Response(status_code=204)
