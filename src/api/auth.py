"""Authentication (OAuth2 password flow with signed tokens, hashed API tokens) and role checks.

Every route under /api/v1 declares its minimum role (`api.deps.require`, through `Viewer` ... `Admin`); the app
refuses to start if a route lacks one, so a new endpoint can never be public by accident.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from api.models import ApiToken, RevokedToken, User
from api.password_policy import normalise
from api.principal_events import announce, listen
from api.problems import ApiProblem

ROLES = ("viewer", "officer", "coordinator", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
API_TOKEN_PREFIX = "cp_"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
#: The cookie a browser session keeps its access token in (the same signed token as the API's).
SESSION_COOKIE = "cp_session"

#: Signed tokens already resolved to a principal are remembered per app (`app.state.principals`, by the
#: token's hash: valid until (monotonic), principal), so a burst of reads by one officer costs one signature
#: check and one user lookup, not one per request. Every change to a user through the API clears the cache;
#: otherwise an entry lives PRINCIPAL_SECONDS at most, and never beyond the token's own expiry.
PRINCIPAL_SECONDS = 30.0
_PRINCIPALS_MAX = 4096


def forget_principals(request: Request) -> None:
    """Drop every cached principal: a user's role or status changed (every replica: api.principal_events)."""
    request.app.state.principals.clear()
    announce(request.app)


def hash_password(password: str) -> str:
    """argon2id of the NFKC form (NIST SP 800-63B: the same password typed differently is the same)."""
    return _hasher.hash(normalise(password))


def verify_password(stored: str, password: str) -> bool:
    """Check a password; a hash stored before passwords were normalised is also checked as typed."""
    normal = normalise(password)
    for candidate in (normal, password) if normal != password else (normal,):
        try:
            if _hasher.verify(stored, candidate):
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


DUMMY_HASH = hash_password("not-a-real-password")


def new_api_token() -> tuple[str, str]:
    """A random token shown once to its owner, and the hash that is stored (the token has 256 bits)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_api_token(token)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(username: str, secret: str, minutes: int, session_version: int = 1) -> str:
    """A signed access token. `session_version` is the user's at issue time: a password change, a role change,
    disabling or signing out everywhere increments the user's, which ends every token issued before."""
    now = datetime.now(UTC)
    claims = {"sub": username, "iat": now, "exp": now + timedelta(minutes=minutes), "typ": "access",
              "sv": session_version, "jti": secrets.token_urlsafe(12)}
    return jwt.encode(claims, secret, algorithm="HS256")


def token_for(user: User, settings: Any) -> str:
    """The access token of a user who just proved who they are (password login, web sign-in)."""
    return issue_token(user.username, settings.secret_key, settings.token_minutes, user.session_version)


def end_sessions(request: Request, session: Session, user_id: int) -> None:
    """Invalidate every access token of the user (in the caller's transaction) and forget cached principals.
    Call `forget_principals` again after the commit if other requests may have resolved tokens meanwhile."""
    session.execute(update(User).where(col(User.id) == user_id)
                    .values(session_version=User.session_version + 1))
    forget_principals(request)


@dataclass(frozen=True)
class Principal:
    """Who is calling: used for role checks and as the actor of audit entries."""

    user_id: int
    username: str
    role: str

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, detail, kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, session: Session, token: str | None) -> Principal:
    """Resolve a bearer token (signed access token or API token) to an active user."""
    if not token:
        raise _unauthorized("log in first: send 'Authorization: Bearer <token>'")
    user: User | None = None
    if token.startswith(API_TOKEN_PREFIX):
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_api_token(token))).first()
        if row is None or row.revoked:
            raise _unauthorized("unknown or revoked API token")
        user = session.get(User, row.user_id)
        now = datetime.now(UTC)
        last = row.last_used_at
        if last is None or (last.tzinfo and now - last > timedelta(hours=1)):
            row.last_used_at = now  # at most hourly, so reads do not become writes
            session.add(row)
            session.commit()
    else:
        known: dict[str, tuple[float, Principal]] = request.app.state.principals
        listen(request.app)  # other replicas' changes clear this cache too
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = known.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        settings = request.app.state.settings
        try:
            claims: dict[str, Any] = jwt.decode(token, settings.secret_key, algorithms=["HS256"],
                                                options={"require": ["exp", "sub"]})
        except jwt.PyJWTError:
            raise _unauthorized("invalid or expired token") from None
        if session.get(RevokedToken, key) is not None:
            raise _unauthorized("this session was signed out; log in again")
        user = session.exec(select(User).where(User.username == claims["sub"])).first()
        if user is not None and user.session_version != claims.get("sv", 1):
            raise _unauthorized("the session has ended (password, role or account changed); log in again")
        if user is not None and user.active and user.id is not None:
            principal = Principal(user.id, user.username, user.role)
            if len(known) >= _PRINCIPALS_MAX:
                known.clear()
            lifetime = min(PRINCIPAL_SECONDS, float(claims["exp"]) - time.time())
            known[key] = (time.monotonic() + lifetime, principal)
            return principal
    if user is None or not user.active or user.id is None:
        raise _unauthorized("the account is unknown or disabled")
    return Principal(user.id, user.username, user.role)


def revoke_token(request: Request, token: str) -> None:
    """Sign out one session: the access token is refused from now on (kept until it would have expired).
    API tokens are revoked under /auth/api-tokens instead. Commits in a session of its own."""
    settings = request.app.state.settings
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return  # invalid or expired: nothing to revoke
    key = hashlib.sha256(token.encode()).hexdigest()
    now = datetime.now(UTC)
    with Session(request.app.state.engine) as session:
        session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < now))
        if session.get(RevokedToken, key) is None:
            session.add(RevokedToken(token_hash=key,
                                     expires_at=datetime.fromtimestamp(float(claims["exp"]), UTC)))
        session.commit()
    request.app.state.principals.pop(key, None)
    announce(request.app)


def token_from_scope(scope: Any) -> str | None:
    """The bearer token of a request (Authorization header, else the session cookie), read from the raw ASGI
    scope so that middleware can tell a logged-in caller before any body is read."""
    from starlette.requests import HTTPConnection

    conn = HTTPConnection(scope)
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.cookies.get(SESSION_COOKIE) or None


def route_min_role(route: Any) -> str | None:
    """The role a route requires, found in its dependency tree; None for a public route."""
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        role = getattr(dep.call, "min_role", None)
        if role is not None:
            return role
        stack.extend(dep.dependencies)
    return None
