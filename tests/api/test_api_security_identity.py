"""Identity: sessions end with a password change, brute force is throttled, weak passwords are refused,
a disabled account costs the same work, the signing secret is never a published value."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from service_testkit import PASSWORD, Api, make_api

from api.settings import Settings

TOKEN = "/api/v1/auth/token"


def _login(api: Api, username: str, password: str, **headers: str) -> object:
    return api.client.post(TOKEN, data={"username": username, "password": password}, headers=headers)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_user(api: Api, name: str, role: str = "officer", password: str = "violet kestrel harbour") -> int:
    r = api.post("/api/v1/users", "admin", json={"username": name, "password": password, "role": role})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_password_change_by_an_admin_ends_old_sessions(api: Api) -> None:
    uid = _new_user(api, "layla")
    token = _login(api, "layla", "violet kestrel harbour").json()["access_token"]
    assert api.client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200  # now cached
    r = api.patch(f"/api/v1/users/{uid}", "admin", if_match=1, json={"password": "amber lantern orchard"})
    assert r.status_code == 200, r.text
    assert api.client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    assert _login(api, "layla", "amber lantern orchard").status_code == 200


def test_disable_and_enable_does_not_revive_old_sessions(api: Api) -> None:
    uid = _new_user(api, "karim")
    token = _login(api, "karim", "violet kestrel harbour").json()["access_token"]
    assert api.client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 200
    r = api.patch(f"/api/v1/users/{uid}", "admin", if_match=1, json={"active": False})
    assert r.status_code == 200, r.text
    r = api.patch(f"/api/v1/users/{uid}", "admin", if_match=r.json()["version"], json={"active": True})
    assert r.status_code == 200, r.text
    assert api.client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    fresh = _login(api, "karim", "violet kestrel harbour").json()["access_token"]
    assert api.client.get("/api/v1/auth/me", headers=_bearer(fresh)).status_code == 200


def test_a_role_change_ends_old_sessions(api: Api) -> None:
    uid = _new_user(api, "dana", role="coordinator")
    token = _login(api, "dana", "violet kestrel harbour").json()["access_token"]
    assert api.client.get("/api/v1/audit", headers=_bearer(token)).status_code == 200
    assert api.patch(f"/api/v1/users/{uid}", "admin", if_match=1, json={"role": "viewer"}).status_code == 200
    assert api.client.get("/api/v1/operations", headers=_bearer(token)).status_code == 401


def test_users_change_their_own_password_and_sign_out_everywhere(api: Api) -> None:
    _new_user(api, "sami")
    first = _login(api, "sami", "violet kestrel harbour").json()["access_token"]
    second = _login(api, "sami", "violet kestrel harbour").json()["access_token"]
    url = "/api/v1/auth/password"
    wrong = api.client.post(url, headers=_bearer(first),
                            json={"current_password": "not my password", "new_password": "amber lantern orchard"})
    assert wrong.status_code == 403, wrong.text
    weak = api.client.post(url, headers=_bearer(first),
                           json={"current_password": "violet kestrel harbour", "new_password": "password1234"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "body.new_password"
    r = api.client.post(url, headers=_bearer(first),
                        json={"current_password": "violet kestrel harbour", "new_password": "amber lantern orchard"})
    assert r.status_code == 200, r.text
    third = r.json()["access_token"]
    for old in (first, second):
        assert api.client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 401
    assert api.client.get("/api/v1/auth/me", headers=_bearer(third)).status_code == 200
    assert api.client.post("/api/v1/auth/sign-out-everywhere", headers=_bearer(third)).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=_bearer(third)).status_code == 401
    actions = {e["action"] for e in api.get("/api/v1/audit", params={"actor": "sami"}).json()["items"]}
    assert {"change_password", "sign_out_everywhere"} <= actions


def test_brute_force_is_throttled_with_growing_delays(api: Api) -> None:
    throttle = api.client.app.state.login_throttle  # type: ignore[attr-defined]
    now = [1000.0]
    throttle.clock = lambda: now[0]
    statuses = [_login(api, "officer1", f"guess-{i:04d}-wrong").status_code for i in range(60)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses.count(429) >= 55, statuses
    r = _login(api, "officer1", PASSWORD)
    assert r.status_code == 429, "the right password must not get through while throttled"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # delays double from 1 s and stop at 60 s: an officer is never locked out for long
    delays = []
    for _ in range(10):
        now[0] += 61
        assert _login(api, "officer1", "still-wrong-password").status_code == 401
        delays.append(int(_login(api, "officer1", "another-wrong-one").headers["retry-after"]))
    assert delays == sorted(delays) and max(delays) == 60
    now[0] += 61
    assert _login(api, "officer1", PASSWORD).status_code == 200  # success resets the account
    assert _login(api, "officer1", "one-typo-password").status_code == 401
    throttled = api.get("/api/v1/audit", "coordinator", params={"action": "login_throttled"}).json()
    assert throttled["total"] >= 1 and PASSWORD not in str(throttled)


def test_one_address_guessing_many_accounts_is_throttled(api: Api) -> None:
    throttle = api.client.app.state.login_throttle  # type: ignore[attr-defined]
    throttle.clock = lambda: 5000.0
    statuses = [_login(api, f"user{i}", "some-wrong-password").status_code for i in range(40)]
    assert 429 in statuses and statuses[:5] == [401] * 5


def test_forwarded_for_is_ignored_unless_configured(api: Api) -> None:
    from starlette.requests import Request

    from api.login_throttle import client_address

    request = Request({"type": "http", "headers": [(b"x-forwarded-for", b"203.0.113.9, 198.51.100.7")],
                       "client": ("10.0.0.1", 5000)})
    assert client_address(request, 0) == "10.0.0.1"
    assert client_address(request, 1) == "198.51.100.7"
    assert client_address(request, 2) == "203.0.113.9"


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "123456789012", "password1234", " " * 12, "lindaschmidt",
                                      "abcdefghijkl", "qwertyuiop12", "abcabcabcabc", "Password123!",
                                      "short pass"])
def test_weak_passwords_are_refused(api: Api, password: str) -> None:
    r = api.post("/api/v1/users", "admin", json={"username": "lindaschmidt", "password": password, "role": "viewer"})
    assert r.status_code == 422, (password, r.text)
    assert r.json()["errors"][0]["field"] == "body.password"


LONG = "seven owls watched the quick brown fox jump over the lazy dog at dawn"


@pytest.mark.parametrize("password", ["violet kestrel harbour", "Ŝtelita ĉevalo 42", "أمطار الربيع الغزيرة",
                                      "x" * 10 + "7qT!m@", LONG])
def test_strong_passwords_of_any_script_are_accepted(api: Api, password: str) -> None:
    r = api.post("/api/v1/users", "admin", json={"username": "omar2", "password": password, "role": "viewer"})
    assert r.status_code == 201, (password, r.text)
    assert _login(api, "omar2", password).status_code == 200


def test_password_policy_in_one_place() -> None:
    from api.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems

    assert MIN_LENGTH >= 12 and MAX_LENGTH >= 64
    assert password_problems("charterplan2024", "nadia")
    assert password_problems("nadia-nadia-nadia", "nadia")
    assert not password_problems("a very long passphrase " * 2, "nadia")
    assert password_problems("x" * (MAX_LENGTH + 1), "nadia")


def test_cli_create_user_reads_the_password_once_from_a_pipe(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from api.cli import create_user

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert create_user("piped-admin", "admin", settings=settings) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert create_user("nothing-given", "admin", settings=settings) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("password1234\n"))
    assert create_user("weak-one", "admin", settings=settings) == 2
    assert "common" in capsys.readouterr().err
    for api in make_api(settings, users=False):
        assert _login(api, "piped-admin", PASSWORD).status_code == 200


def test_a_disabled_account_costs_a_full_hash_verification(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import api.auth as auth

    uid = _new_user(api, "idle")
    assert api.delete(f"/api/v1/users/{uid}", "admin").status_code == 204
    calls: list[str] = []

    class Counting:
        def __init__(self, real: object):
            self.real = real

        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored)
            return self.real.verify(stored, password)  # type: ignore[attr-defined]

    monkeypatch.setattr(auth, "_hasher", Counting(auth._hasher))
    for name in ("idle", "ghost-user", "officer1"):
        calls.clear()
        assert _login(api, name, "wrong-password-here").status_code == 401
        assert len(calls) == 1, name


def test_a_generated_secret_is_kept_beside_the_database(tmp_path: Path) -> None:
    from api.app import create_app
    from api.settings import DEFAULT_SECRET

    url = f"sqlite:///{tmp_path / 'store.db'}"
    first = create_app(Settings(database_url=url)).state.settings.secret_key
    path = tmp_path / "charterplan.secret"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first != DEFAULT_SECRET and len(first) >= 32 and first == path.read_text().strip()
    assert create_app(Settings(database_url=url)).state.settings.secret_key == first
    assert create_app(Settings(database_url=url, secret_key=DEFAULT_SECRET)).state.settings.secret_key == first
    configured = "c" * 40
    assert create_app(Settings(database_url=url, secret_key=configured)).state.settings.secret_key == configured
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Settings(database_url=url, environment="production"))
    os.chmod(path, 0o644)
    assert create_app(Settings(database_url=url)).state.settings.secret_key == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_logout_ends_only_this_session(api: Api) -> None:
    from api.auth import SESSION_COOKIE

    _new_user(api, "rania")
    one = _login(api, "rania", "violet kestrel harbour").json()["access_token"]
    two = _login(api, "rania", "violet kestrel harbour").json()["access_token"]
    assert api.client.get("/api/v1/auth/me", headers=_bearer(one)).status_code == 200  # cached
    assert api.client.post("/api/v1/auth/logout", headers=_bearer(one)).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=_bearer(one)).status_code == 401
    assert api.client.get("/api/v1/auth/me", headers=_bearer(two)).status_code == 200
    assert SESSION_COOKIE == "cp_session"  # the web pages' cookie: the body limit knows it as a login
