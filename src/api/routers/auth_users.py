"""Log-in, API tokens, user administration and the (read-only) audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from api.audit import audit, audit_commit
from api.auth import (
    API_TOKEN_PREFIX,
    end_sessions,
    forget_principals,
    hash_password,
    new_api_token,
    revoke_token,
    token_for,
    verify_password,
)
from api.deps import Admin, BearerToken, Coordinator, EngineDep, SessionDep, SettingsDep, Viewer
from api.login_throttle import check_allowed, sign_in, throttle_of
from api.memberships import visible_operations
from api.models import ApiToken, AuditEntry, User
from api.pagination import Page, Paging, paging
from api.params import Id, QueryId, Version
from api.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems
from api.problems import ApiProblem, not_found
from api.versions import conditional_update, expected_version, set_etag

router = APIRouter()
Role = Literal["viewer", "officer", "coordinator", "admin"]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
def login(request: Request, session: SessionDep,
          username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
          settings: SettingsDep) -> TokenOut:
    """OAuth2 password flow: a signed access token for a username and password. Failures are audited and
    throttled (429 with Retry-After, see docs/security.md)."""
    user = sign_in(request, session, username, password)
    return TokenOut(access_token=token_for(user, settings), expires_in=settings.token_minutes * 60)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)


@router.post("/auth/password", response_model=TokenOut, tags=["auth"])
def change_own_password(body: PasswordChange, request: Request, principal: Viewer, session: SessionDep,
                        settings: SettingsDep) -> TokenOut:
    """Change your own password (the current one is required, and throttled like a login). Every session of
    the account ends, this one included; the answer carries a new access token."""
    address = check_allowed(request, principal.username)
    user = session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, body.current_password):
        throttle_of(request).failed(principal.username, address)
        audit_commit(session, principal, "change_password_failed", "user", principal.user_id)
        raise ApiProblem(403, "the current password is wrong", kind="wrong-password")
    check_password(body.new_password, user.username, "body.new_password")
    throttle_of(request).succeeded(principal.username, address)
    session.execute(update(User).where(col(User.id) == user.id)
                    .values(password_hash=hash_password(body.new_password), version=User.version + 1,
                            session_version=User.session_version + 1))
    audit(session, principal, "change_password", "user", user.id)
    session.commit()
    forget_principals(request)
    session.refresh(user)
    return TokenOut(access_token=token_for(user, settings), expires_in=settings.token_minutes * 60)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(request: Request, principal: Viewer, token: BearerToken, engine: EngineDep) -> Response:
    """Sign out this session: its access token is refused from now on (an API token: revoke it instead)."""
    if token and not token.startswith(API_TOKEN_PREFIX):
        revoke_token(request, token)
    with Session(engine) as session:
        audit_commit(session, principal, "logout", "user", principal.user_id)
    return Response(status_code=204)


@router.post("/auth/sign-out-everywhere", status_code=204, tags=["auth"])
def sign_out_everywhere(request: Request, principal: Viewer, session: SessionDep) -> Response:
    """End every session of your account (all access tokens, this one included). API tokens stay valid: revoke
    them one by one under /auth/api-tokens."""
    end_sessions(request, session, principal.user_id)
    audit(session, principal, "sign_out_everywhere", "user", principal.user_id)
    session.commit()
    forget_principals(request)
    return Response(status_code=204)


@router.get("/auth/me", response_model=Me, tags=["auth"])
def me(principal: Viewer) -> Me:
    return Me(username=principal.username, role=principal.role)


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class ApiTokenRead(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="shown once; only its hash is stored")


@router.post("/auth/api-tokens", status_code=201, response_model=ApiTokenCreated, tags=["auth"])
def create_api_token(body: ApiTokenCreate, principal: Viewer, session: SessionDep) -> ApiTokenCreated:
    """A long-lived token for scripts, with the caller's own role. Only its hash is kept."""
    token, digest = new_api_token()
    row = ApiToken(user_id=principal.user_id, name=body.name, prefix=token[:10], token_hash=digest)
    session.add(row)
    session.flush()
    audit(session, principal, "create", "api_token", row.id)
    session.commit()
    session.refresh(row)
    return ApiTokenCreated(**row.model_dump(include=set(ApiTokenRead.model_fields)), token=token)


@router.get("/auth/api-tokens", response_model=list[ApiTokenRead], tags=["auth"])
def list_api_tokens(principal: Viewer, session: SessionDep) -> list[Any]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == principal.user_id)
                             .order_by(ApiToken.id)).all())


@router.delete("/auth/api-tokens/{token_id}", status_code=204, tags=["auth"])
def revoke_api_token(token_id: Id, principal: Viewer, session: SessionDep) -> Response:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != principal.user_id and principal.role != "admin"):
        raise not_found("API token", token_id)
    row.revoked = True
    session.add(row)
    audit(session, principal, "revoke", "api_token", token_id)
    session.commit()
    return Response(status_code=204)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
                          description="at least 12 characters, not a common or guessable password (docs/security.md)")
    role: Role


class UserUpdate(BaseModel):
    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_LENGTH, max_length=MAX_LENGTH)
    version: Version = None


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    created_at: datetime
    version: int


def check_password(password: str, username: str, field: str = "body.password") -> None:
    """422 naming `field` when the password policy (api.password_policy) refuses the password."""
    problems = password_problems(password, username)
    if problems:
        raise ApiProblem(422, "the password is too weak: " + "; ".join(problems), kind="weak-password",
                      errors=[{"field": field, "message": message, "type": "weak_password"} for message in problems])


def create_user(session: Session, username: str, password: str, role: str) -> User:
    """Add a user (used by the API and by `charterplan users create`). The caller commits."""
    check_password(password, username)
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise ApiProblem(409, f"user {username!r} already exists", kind="duplicate")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


@router.get("/users", response_model=Page[UserRead], tags=["users"])
def list_users(_: Admin, session: SessionDep, page: Annotated[Paging, Depends(paging)]) -> Any:
    total = session.exec(select(func.count()).select_from(User)).one()
    items = session.exec(select(User).order_by(User.id).offset(page.offset).limit(page.limit)).all()
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/users", status_code=201, response_model=UserRead, tags=["users"])
def add_user(body: UserCreate, principal: Admin, session: SessionDep, response: Response) -> Any:
    user = create_user(session, body.username, body.password, body.role)
    audit(session, principal, "create", "user", user.id, role=body.role)
    session.commit()
    session.refresh(user)
    set_etag(response, user.version)
    return user


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
def get_user(user_id: Id, _: Admin, session: SessionDep, response: Response) -> Any:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    set_etag(response, user.version)
    return user


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
def update_user(user_id: Id, body: UserUpdate, request: Request, principal: Admin, session: SessionDep,
                response: Response) -> Any:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    expected = expected_version(request, body.version)
    values: dict[str, Any] = {k: v for k, v in body.model_dump(exclude_unset=True, exclude={"version", "password"})
                              .items() if v is not None}
    if body.password is not None:
        check_password(body.password, user.username)
        values["password_hash"] = hash_password(body.password)
    if values:  # a new password, role or status ends every session of the account
        values["session_version"] = User.session_version + 1
    conditional_update(session, User, user_id, expected, values)
    if values.get("active") is False:
        _revoke_api_tokens(session, user_id)
    audit(session, principal, "update", "user", user_id, fields=sorted(body.model_dump(exclude_unset=True)))
    session.commit()
    forget_principals(request)
    session.refresh(user)
    set_etag(response, user.version)
    return user


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
def delete_user(user_id: Id, request: Request, principal: Admin, session: SessionDep) -> Response:
    """Disable the account and revoke its tokens (audit entries keep naming it)."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    if user.id == principal.user_id:
        raise ApiProblem(409, "you cannot delete your own account", kind="self-delete")
    user.active = False
    user.version += 1
    user.session_version += 1
    session.add(user)
    _revoke_api_tokens(session, user_id)
    audit(session, principal, "delete", "user", user_id)
    session.commit()
    forget_principals(request)
    return Response(status_code=204)


def _revoke_api_tokens(session: Session, user_id: int) -> None:
    """A disabled account's API tokens are revoked, so re-enabling it revives none of them."""
    for token in session.exec(select(ApiToken).where(ApiToken.user_id == user_id)).all():
        token.revoked = True
        session.add(token)


class AuditRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    resource: str
    resource_id: str | None
    operation_id: int | None
    details: dict[str, Any]


@router.get("/audit", response_model=Page[AuditRead], tags=["audit"])
def read_audit(request: Request, principal: Coordinator, session: SessionDep,
               page: Annotated[Paging, Depends(paging)],
               action: Annotated[str | None, Query(max_length=64)] = None,
               actor: Annotated[str | None, Query(max_length=64)] = None,
               operation_id: QueryId = None) -> Any:
    """The audit log, newest first. There is deliberately no route that changes or deletes it. Without open
    membership a coordinator sees the entries of their own operations only; admins see all."""
    stmt = select(AuditEntry)
    visible = visible_operations(request, session, principal)
    if visible is not None:
        stmt = stmt.where(col(AuditEntry.operation_id).in_(visible))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if operation_id is not None:
        stmt = stmt.where(AuditEntry.operation_id == operation_id)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    items = session.exec(stmt.order_by(col(AuditEntry.id).desc()).offset(page.offset).limit(page.limit)).all()
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
