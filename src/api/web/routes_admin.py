"""The audit log (coordinator, as `GET /api/v1/audit`), user administration (admin, as `/api/v1/users`) and the
members of each operation (admin, as `/api/v1/operations/{id}/members`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.auth import ROLES, Principal
from api.deps import SessionDep
from api.pagination import Paging
from api.params import Id
from api.problems import ApiProblem
from api.web.labels import ACTIONS
from api.web.labels import ROLES as ROLE_WORDS
from api.web.session import form, page
from api.web.templating import render

router = APIRouter(include_in_schema=False)
CoordinatorPage = Annotated[Principal, Depends(page("coordinator"))]
AdminPage = Annotated[Principal, Depends(page("admin"))]
AdminForm = Annotated[Principal, Depends(form("admin"))]
PAGE_SIZE = 50


def _number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


@router.get("/audit", name="web.audit")
def audit_log(request: Request, principal: CoordinatorPage, session: SessionDep, action: str = "",
              actor: str = "", operation: str = "") -> Response:
    from api.routers.auth_users import read_audit

    number = _number(request)
    operation_id = int(operation) if operation.isdigit() and len(operation) < 10 else None
    result = read_audit(request, principal, session, Paging(limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE),
                        action=action[:64] or None, actor=actor[:64] or None, operation_id=operation_id)
    pages = max(1, -(-result["total"] // PAGE_SIZE))
    return render(request, "admin/audit.html", {
        "items": result["items"], "total": result["total"], "page_number": number, "pages": pages,
        "filters": {"action": action[:64], "actor": actor[:64], "operation": operation[:10]},
        "actions": ACTIONS, "section": "audit",
    })


@router.get("/users", name="web.users")
def users(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    return _users(request, principal, session)


def _users(request: Request, principal: Principal, session: SessionDep, errors: dict[str, str] | None = None,
           message: str | None = None, status_code: int = 200, entered: dict[str, str] | None = None) -> Response:
    from api.routers.auth_users import list_users

    result = list_users(principal, session, Paging(limit=1000, offset=0))
    from api.routers import auth_users

    return render(request, "admin/users.html", {
        "min_password": getattr(auth_users, "MIN_LENGTH", 10),
        "users": result["items"], "roles": ROLES, "role_words": ROLE_WORDS, "errors": errors or {},
        "message": message, "entered": entered or {}, "section": "users",
    }, status_code=status_code)


@router.post("/users", name="web.users_create")
def users_create(request: Request, principal: AdminForm, session: SessionDep) -> Response:
    from api.routers.auth_users import UserCreate, add_user

    formdata = request.state.form
    entered = {"username": str(formdata.get("username") or "").strip(), "role": str(formdata.get("role") or "")}
    try:
        body = UserCreate(username=entered["username"], password=str(formdata.get("password") or ""),
                          role=entered["role"])  # type: ignore[arg-type]
        add_user(body, principal, session, Response())
    except (ValidationError, RequestValidationError) as exc:
        errors = {str(e["loc"][-1]): str(e["msg"]) for e in exc.errors()}
        return _users(request, principal, session, errors=errors, status_code=422, entered=entered)
    except ApiProblem as exc:
        return _users(request, principal, session, errors={"username": exc.detail}, status_code=exc.status,
                      entered=entered)
    return RedirectResponse("/users?created=1", status_code=303)


@router.post("/users/{user_id}", name="web.users_update")
def users_update(request: Request, user_id: Id, principal: AdminForm, session: SessionDep) -> Response:
    """Change a role or disable an account (the API's PATCH and DELETE, with the version from the form)."""
    from api.routers.auth_users import UserUpdate, delete_user, update_user

    formdata = request.state.form
    raw = str(formdata.get("version") or "")
    version = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    try:
        if formdata.get("action") == "disable":
            from api.models import User

            user = session.get(User, user_id)
            if user is not None and user.version != version:
                raise ApiProblem(409, "the account was changed by someone else; look again", kind="version-conflict")
            delete_user(user_id, request, principal, session)
        else:
            body = UserUpdate(role=str(formdata.get("role") or ""), version=version)  # type: ignore[arg-type]
            update_user(user_id, body, request, principal, session, Response())
    except (ValidationError, RequestValidationError) as exc:
        return _users(request, principal, session, message=str(exc.errors()[0]["msg"]), status_code=422)
    except ApiProblem as exc:
        session.rollback()
        return _users(request, principal, session, message=exc.detail, status_code=exc.status)
    return RedirectResponse("/users?updated=1", status_code=303)


@router.get("/memberships", name="web.memberships")
def memberships(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    return _memberships(request, session)


def _memberships(request: Request, session: SessionDep, message: str | None = None,
                 status_code: int = 200) -> Response:
    """Every operation with its members and their role there, and forms to add, change and remove them."""
    from sqlmodel import col, select

    from api.memberships import MEMBER_ROLES
    from api.models import Operation, User
    from api.routers.members import members_of

    ops = session.exec(select(Operation).order_by(col(Operation.id))).all()
    users = session.exec(select(User).where(User.active == True, User.role != "admin")  # noqa: E712  (admins reach all)
                         .order_by(User.username)).all()
    return render(request, "admin/memberships.html", {
        "teams": [(op, members_of(session, op.id or 0)) for op in ops], "users": users,
        "roles": MEMBER_ROLES, "role_words": ROLE_WORDS, "message": message, "section": "memberships",
        "open_membership": bool(getattr(request.app.state.settings, "open_membership", True)),
    }, status_code=status_code)


@router.post("/memberships", name="web.memberships_update")
def memberships_update(request: Request, principal: AdminForm, session: SessionDep) -> Response:
    """Add a member, change a member's role or remove them (the API's PUT and DELETE of .../members/{user_id})."""
    from api.routers.members import MemberSet, remove_member, set_member

    formdata = request.state.form
    ids = [str(formdata.get(name) or "") for name in ("operation_id", "user_id")]
    if not all(raw.isdigit() and len(raw) < 10 for raw in ids):
        return _memberships(request, session, message="choose an operation and a user", status_code=422)
    operation_id, user_id = (int(raw) for raw in ids)
    try:
        if formdata.get("action") == "remove":
            remove_member(session, principal, operation_id, user_id)
        else:
            body = MemberSet(role=str(formdata.get("role") or ""))  # type: ignore[arg-type]
            set_member(session, principal, operation_id, user_id, body.role)
        session.commit()
    except ValidationError as exc:
        return _memberships(request, session, message=str(exc.errors()[0]["msg"]), status_code=422)
    except ApiProblem as exc:
        session.rollback()
        return _memberships(request, session, message=exc.detail, status_code=exc.status)
    return RedirectResponse("/memberships?updated=1", status_code=303)
