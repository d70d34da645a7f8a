"""Slow down password guessing: exponential back-off per account, per account and address, and per address.

Each failed password login counts against three keys: the account, the (account, client address) pair and
the client address. Once a key has more failures than it forgives, further attempts under that key are
refused with 429 and `Retry-After` until a delay has passed: 1 s, doubling with each further failure, at most
MAX_DELAY (60 s), so an attacker cannot lock an officer out for long. Refused attempts are not checked at all
and do not lengthen the delay. A success clears the account's keys; every key is forgotten FORGET_AFTER
seconds after its last failure. The state lives in the process (the service is one process, see
docs/service.md). Used by the token route and by any other sign-in form; see docs/security.md.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.problems import ApiProblem

BASE_DELAY = 1.0
MAX_DELAY = 60.0
FORGET_AFTER = 15 * 60.0
#: failures forgiven before delays start, per kind of key: a typo or two costs nothing; an office behind
#: one address may mistype more often than one person
FREE = {"account": 5, "pair": 3, "address": 20}
_MAX_KEYS = 100_000


def client_address(request: Request, trusted_proxy_hops: int = 0) -> str:
    """The client's address: the socket peer, or with `trusted_proxy_hops` = n behind n proxies of our own,
    the n-th address from the right of X-Forwarded-For (the leftmost ones are whatever the client wrote)."""
    if trusted_proxy_hops > 0:
        forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
        if len(forwarded) >= trusted_proxy_hops:
            return forwarded[-trusted_proxy_hops][:64]
    return request.client.host if request.client else "unknown"


@dataclass
class _Entry:
    failures: int = 0
    last_failure: float = 0.0
    blocked_until: float = 0.0
    reported: bool = False


class LoginThrottle:
    """Failure counts and delays per key; thread-safe (the token route runs in worker threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._entries: dict[tuple[str, ...], _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(username: str, address: str) -> list[tuple[str, ...]]:
        account = username.casefold()[:64]
        return [("account", account), ("pair", account, address), ("address", address)]

    def _live(self, key: tuple[str, ...], now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and now - entry.last_failure > FORGET_AFTER:
            del self._entries[key]
            return None
        return entry

    def wait(self, username: str, address: str) -> tuple[float, bool]:
        """Seconds until this attempt may be checked (0: now), and whether this wait is new (to audit once)."""
        now = self.clock()
        with self._lock:
            longest, first = 0.0, False
            for key in self.keys(username, address):
                entry = self._live(key, now)
                if entry is not None and entry.blocked_until > now:
                    longest = max(longest, entry.blocked_until - now)
                    first = first or not entry.reported
                    entry.reported = True
            return longest, first

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._entries) > _MAX_KEYS:
                self._entries = {k: e for k, e in self._entries.items() if now - e.last_failure <= FORGET_AFTER}
            for key in self.keys(username, address):
                entry = self._live(key, now) or self._entries.setdefault(key, _Entry())
                entry.failures += 1
                entry.last_failure = now
                over = entry.failures - FREE[key[0]]
                if over > 0:
                    entry.blocked_until = now + min(MAX_DELAY, BASE_DELAY * 2 ** min(over - 1, 32))
                    entry.reported = False

    def succeeded(self, username: str, address: str) -> None:
        """A correct password clears the account's own keys (not the address: one account must not unlock
        guessing at others from the same address)."""
        with self._lock:
            for key in self.keys(username, address)[:2]:
                self._entries.pop(key, None)


def throttle_of(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


def check_allowed(request: Request, username: str) -> str:
    """Refuse (429 with Retry-After, audited once per wait) while the account or address must wait; returns
    the client address the result is to be recorded under."""
    from api.audit import audit_commit

    settings = request.app.state.settings
    address = client_address(request, settings.trusted_proxy_hops)
    delay, first = throttle_of(request).wait(username, address)
    if delay > 0:
        if first:
            from sqlmodel import Session

            with Session(request.app.state.engine) as session:
                audit_commit(session, username[:64] or "(empty)", "login_throttled", "user",
                             retry_after=math.ceil(delay))
        seconds = max(1, math.ceil(delay))
        raise ApiProblem(429, f"too many failed logins; try again in {seconds} s", kind="login-throttled",
                      headers={"Retry-After": str(seconds)})
    return address


def sign_in(request: Request, session: Any, username: str, password: str) -> Any:
    """The whole password check of a sign-in, for the token route and any sign-in form: throttled, the same
    work for unknown, disabled and real accounts (one argon2 verification each), audited. Returns the user;
    raises 429 while throttled and 401 for a wrong username or password (the same answer for both)."""
    from sqlmodel import select

    from api.audit import audit
    from api.auth import DUMMY_HASH, verify_password
    from api.models import User

    address = check_allowed(request, username)
    user = session.exec(select(User).where(User.username == username)).first()
    matches = verify_password(user.password_hash if user is not None else DUMMY_HASH, password)
    if user is None or not user.active or not matches:
        throttle_of(request).failed(username, address)
        audit(session, username[:64] or "(empty)", "login_failed", "user")
        session.commit()
        raise ApiProblem(401, "wrong username or password", kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    throttle_of(request).succeeded(username, address)
    audit(session, user.username, "login", "user", user.id)
    session.commit()
    return user
