"""Sign-in for the pages: the API's own access token in an HttpOnly cookie, role checks and CSRF tokens.

The cookie holds exactly the token `POST /api/v1/auth/token` issues, and every page resolves it through
`api.auth.authenticate`, so a disabled account (or any later server-side revocation) locks out the browser
too. Page dependencies carry `min_role` like `api.deps.require`, so the app's start-up check sees the role of
every page route. See docs/web.md.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.auth import RANK, Principal, authenticate
from api.deps import SessionDep
from api.memberships import operation_scope
from api.problems import ApiProblem

SESSION_COOKIE = "cp_session"
CSRF_COOKIE = "cp_csrf"
CSRF_FIELD = "csrf_token"
#: Page paths that need no sign-in (the app's role check honours them; static files are a mount, not routes).
PUBLIC_PATHS = {"/login", "/logout", "/language"}


class SignInRequired(Exception):
    """No valid session: the browser is sent to the sign-in page, and back afterwards."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """A signed-in user below the role a page or form action needs (also a forged POST): 403."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class CsrfRejected(Exception):
    """A form without the session's CSRF token: 403, nothing done."""


def secure_cookies(request: Request) -> bool:
    """`Secure` when the request came over HTTPS, or when the settings say the site is only served so."""
    settings = request.app.state.settings
    return request.url.scheme == "https" or bool(getattr(settings, "secure_cookies", False))


def set_session(response: Response, request: Request, token: str) -> None:
    minutes = request.app.state.settings.token_minutes
    response.set_cookie(SESSION_COOKIE, token, max_age=minutes * 60, path="/", httponly=True, samesite="lax",
                        secure=secure_cookies(request))


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.method == "GET" and request.url.query:
        path += "?" + request.url.query
    return path


def signed_in(request: Request, session: Any) -> Principal | None:
    """The principal of the session cookie, or None (no cookie, expired, revoked or disabled account)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return authenticate(request, session, token)
    except ApiProblem:
        return None


class _NeedsDatabase(Exception):
    """The check wanted the database: it runs again in a worker thread."""


class _NoDatabase:
    """Stands in for the session while a page's check runs on the event loop: any use of it means the check
    needs the database (a sign-in not cached yet, an API token, a membership to look up)."""

    def __getattr__(self, name: str) -> Any:
        raise _NeedsDatabase(name)


def _checked(request: Request, session: Any, role: str) -> Principal:
    principal = signed_in(request, session)
    if principal is None:
        raise SignInRequired(_next_path(request))
    request.state.principal = principal
    principal = operation_scope(request, session, principal)  # a non-member: 404 (api.memberships)
    if not principal.at_least(role):
        raise PageForbidden(role)
    return principal


def reader_is_officer(request: Request) -> bool:
    """Whether the page's signed-in reader may act as an officer (download, send, mark): what a kept page part
    is rendered per (`Pages.kept`), beside the language."""
    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.at_least("officer")


def page(role: str) -> Any:
    """A dependency for a page (GET): the signed-in principal with at least `role`, else sign-in or 403.

    Async: the usual check (a sign-in resolved within the last 30 s, open membership) needs no database, so it
    runs on the event loop, and the page's route is the request's only hop through the thread pool; every hop
    is a thread to wake, which on a busy machine waits for a core. A check that needs the database runs in a
    worker thread as before (docs/web.md, "Speed")."""
    if role not in RANK:
        raise ValueError(role)

    async def dependency(request: Request, session: SessionDep) -> Principal:
        try:
            return _checked(request, _NoDatabase(), role)
        except _NeedsDatabase:
            return await run_in_threadpool(_checked, request, session, role)

    dependency.min_role = role  # type: ignore[attr-defined]  # seen by api.auth.route_min_role
    dependency.checks_operation = True  # type: ignore[attr-defined]  # seen by api.memberships.checks_operation
    return dependency


def form(role: str) -> Any:
    """A dependency for a form action (POST): the role check of `page`, then the CSRF token. The parsed form
    is left in `request.state.form` for the (synchronous) route."""
    role_dependency = page(role)

    # a default, not Annotated: the annotation is a string here and could not name the local dependency
    async def dependency(request: Request, principal: Principal = Depends(role_dependency)) -> Principal:  # noqa: B008
        request.state.form = await check_csrf(request)
        return principal

    return dependency


async def public_form(request: Request) -> FormData:
    """The CSRF check of a form that needs no sign-in (sign-in itself, the language choice)."""
    data = await check_csrf(request)
    request.state.form = data
    return data


# ------------------------------------------------------------------------------------------------- CSRF
# The token is an HMAC of a random per-browser value (cookie `cp_csrf`) and the session token, under the
# service's secret: a page of another site can neither read it nor compute it, and signing in or out changes it.

def csrf_seed(request: Request) -> str:
    """The browser's random CSRF value; a new one is made (and set by `render`) when the cookie is missing."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed or len(seed) > 64:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request, session_token: str | None = None) -> str:
    """The token the page's forms carry in the hidden field `csrf_token`."""
    secret = request.app.state.settings.secret_key.encode()
    session_part = session_token if session_token is not None else request.cookies.get(SESSION_COOKIE, "")
    message = f"csrf|{csrf_seed(request)}|{hashlib.sha256(session_part.encode()).hexdigest()}"
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> FormData:
    data = await request.form()
    sent = data.get(CSRF_FIELD)
    if not request.cookies.get(CSRF_COOKIE) or not isinstance(sent, str) \
            or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfRejected()
    return data


def remember_csrf_seed(response: Response, request: Request) -> None:
    """Set the CSRF cookie when this request made a new seed (readable by no script: HttpOnly)."""
    seed = getattr(request.state, "csrf_seed", None)
    if seed and request.cookies.get(CSRF_COOKIE) != seed:
        response.set_cookie(CSRF_COOKIE, seed, path="/", httponly=True, samesite="lax",
                            secure=secure_cookies(request))


def login_redirect(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """Only paths of this site: `//evil.example` or `https://...` would make sign-in an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
