"""Browser tests of the web pages: a real `charterplan serve` and Debian's Chromium driven by Playwright.

The server runs as a subprocess on a free loopback port with a temporary SQLite store, the bundled demo
operation `first-charter-2022` and one account per role; a plan is solved and published through the API
once, so the dashboard has figures. Tests skip when Playwright or Chromium is missing, and fail instead when
CHARTERPLAN_REQUIRE_BROWSER=1 (as in CI).

`server` is parametrized over the databases (ids `sqlite`, `postgresql`): every browser test runs on SQLite,
and the tests marked `web_postgresql` also run on a fresh PostgreSQL database (created and dropped here) when
CHARTERPLAN_TEST_PG_URL is set; that case is skipped otherwise.

Fixtures (docs/web.md): `server` (base URL, accounts), `browser`, `page` (fresh context, 1366×768, fails the
test on any console error, page error or failed request unless the test allowed that status), `sign_in`,
`axe_check` and `screenshot`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pg_testdb import PG_URL, fresh_postgresql_database

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: axe-core 4.14.1 (`npm pack axe-core`, file package/axe.min.js; MPL-2.0, licence in axe.LICENSE): the
#: accessibility rules run in the page.
AXE = Path(__file__).parent / "axe.min.js"
CHROMIUM = os.environ.get("CHARTERPLAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "amber-falcon-harbour-1962"
ROLES = ("viewer", "officer", "coordinator", "admin")
VIEWPORT = {"width": 1366, "height": 768}
#: The browser tests marked with this also run against PostgreSQL (when CHARTERPLAN_TEST_PG_URL is set).
PG_MARKER = "web_postgresql"


@dataclass
class Server:
    url: str
    accounts: dict[str, str]  # role -> username
    password: str
    operation_id: int
    tmp: Path
    database: str = "sqlite"

    def api_token(self, role: str) -> str:
        body = urllib.parse.urlencode({"username": self.accounts[role], "password": self.password}).encode()
        with urllib.request.urlopen(self.url + "/api/v1/auth/token", body, timeout=30) as r:
            return str(json.load(r)["access_token"])

    def api(self, method: str, path: str, role: str = "coordinator", body: Any = None,
            headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.api_token(role)}", "Content-Type": "application/json",
            **(headers or {})})
        with urllib.request.urlopen(request, timeout=60) as r:
            raw = r.read()
            return json.loads(raw) if raw else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser_missing(reason: str) -> None:
    """Skip, or fail when CHARTERPLAN_REQUIRE_BROWSER=1: CI must never pass with the browser tests skipped."""
    if os.environ.get("CHARTERPLAN_REQUIRE_BROWSER", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}, and CHARTERPLAN_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(reason)


def _playwright_or_skip() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).exists():
        _browser_missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    return sync_playwright


@contextlib.contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    """A fresh database URL for the server: a SQLite file in `tmp`, or a new PostgreSQL database on the
    server of CHARTERPLAN_TEST_PG_URL, dropped afterwards (skipped when the variable is unset)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'web.db'}"
        return
    yield from fresh_postgresql_database("cp_web_")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using `server` runs on SQLite; those marked `web_postgresql` on PostgreSQL as well."""
    if "server" not in metafunc.fixturenames:
        return
    kinds = ["sqlite", "postgresql"] if metafunc.definition.get_closest_marker(PG_MARKER) else ["sqlite"]
    metafunc.parametrize("server", kinds, indirect=True, ids=kinds, scope="session")


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    kind = getattr(request, "param", "sqlite")
    _playwright_or_skip()  # no browser, no server: skip before the slow part
    if kind == "postgresql" and not PG_URL:
        pytest.skip("CHARTERPLAN_TEST_PG_URL is not set")
    tmp = tmp_path_factory.mktemp(f"web-{kind}")
    with _database(kind, tmp) as database_url:
        yield from _serve(tmp, database_url, kind)


def _serve(tmp: Path, database_url: str, kind: str) -> Iterator[Server]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url,
           "CHARTERPLAN_SECRET_KEY": "web-test-secret-" + "k" * 40, "CHARTERPLAN_SOLVE_WORKERS": "1",
           "CHARTERPLAN_DEMO_SCENARIOS": '["first-charter-2022"]', "CHARTERPLAN_NEW_USER_PASSWORD": PASSWORD,
           "CHARTERPLAN_LOG_LEVEL": "WARNING", "CHARTERPLAN_SEATING_TIME_LIMIT": "0.2"}
    command = [sys.executable, "-m", "charterplan.cli"]
    accounts = {"viewer": "vera", "officer": "omar", "coordinator": "chiara", "admin": "adel"}
    creates = [[*command, "users", "create", name, "--role", role] for role, name in accounts.items()]
    # the first create migrates the new database; the others and the server start side by side (each spends
    # seconds importing the service)
    subprocess.run(creates[0], env=env, check=True, capture_output=True, cwd=tmp)
    others = [subprocess.Popen(c, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
              for c in creates[1:]]
    log = (tmp / "server.log").open("w")
    process = subprocess.Popen([*command, "serve", "--port", str(port), "--demo"], env=env, cwd=tmp,
                               stdout=log, stderr=subprocess.STDOUT)
    for c, other in zip(creates[1:], others, strict=True):
        out, _ = other.communicate()
        if other.returncode:
            process.terminate()
            raise RuntimeError(f"{' '.join(c[-4:])} failed:\n{out.decode()[-2000:]}")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, tmp / "server.log")
        srv = Server(url, accounts, PASSWORD, 1, tmp, kind)
        _solve_and_publish(srv)
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("charterplan serve ended:\n" + log.read_text()[-3000:])
        try:
            with urllib.request.urlopen(url + "/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError("charterplan serve did not become ready:\n" + log.read_text()[-3000:])


def _solve_and_publish(srv: Server) -> None:
    """One solve through the API and its publication: the dashboard and the person pages then have a plan."""
    op = srv.operation_id
    job = srv.api("POST", f"/api/v1/operations/{op}/solve-jobs", "officer", {"time_limit": 3})
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = srv.api("GET", f"/api/v1/operations/{op}/solve-jobs/{job['id']}", "officer")
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.25)
    assert job["status"] in ("succeeded", "stopped"), job
    plan = srv.api("GET", f"/api/v1/operations/{op}/plans/{job['plan_id']}")
    srv.api("POST", f"/api/v1/operations/{op}/plans/{plan['id']}/publish", "coordinator",
            headers={"If-Match": f'"{plan["version"]}"'})


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_playwright = _playwright_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class BrowserProblems:
    """Console errors, page errors and failed requests seen by a page; the test fails on any not allowed."""

    allowed_status: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def allow(self, *statuses: int) -> None:
        self.allowed_status.update(statuses)

    def console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        for status in self.allowed_status:
            if f"status of {status}" in text:
                return
        self.problems.append(f"console error: {text}")

    def failed(self, request: Any) -> None:
        # the browser's own favicon fetch is abandoned when a page is left or closed early: not the page's fault
        if "/favicon" in request.url and "ERR_ABORTED" in str(request.failure):
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed_status:
            self.problems.append(f"HTTP {response.status} {response.request.method} {response.url}")


@pytest.fixture
def problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def page(browser: Any, server: Server, problems: BrowserProblems) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale="en-GB")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.on("console", problems.console)
    pg.on("pageerror", lambda exc: problems.problems.append(f"page error: {exc}"))
    pg.on("requestfailed", problems.failed)
    pg.on("response", problems.response)
    yield pg
    context.close()
    assert not problems.problems, "the browser saw problems:\n" + "\n".join(problems.problems)


@pytest.fixture
def sign_in(server: Server) -> Callable[[Any, str], None]:
    def do(pg: Any, role: str) -> None:
        pg.goto("/login")
        pg.get_by_label("Username").fill(server.accounts[role])
        pg.get_by_label("Password").fill(server.password)
        pg.get_by_role("button", name="Sign in").click()
        pg.wait_for_url("**/operations")
    return do


@pytest.fixture
def axe_check() -> Callable[[Any], list[dict[str, Any]]]:
    """Run axe-core on the page; returns the serious and critical violations (the test asserts none)."""
    source = AXE.read_text(encoding="utf-8")

    def run(pg: Any) -> list[dict[str, Any]]:
        if not pg.evaluate("() => typeof window.axe !== 'undefined'"):
            pg.evaluate(source + "\n;undefined")  # DevTools evaluation: not subject to the page's CSP
        result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["target"] for n in v["nodes"]][:5]}
                for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return run


@pytest.fixture
def screenshot(server: Server) -> Callable[..., Path]:
    """Save the viewport (1366×768) as docs/screenshots/<name>.png; `full_page=True` for the whole page.
    On PostgreSQL the pictures go to the server's temporary folder, so docs/ keeps the SQLite run's."""
    folder = SCREENSHOTS if server.database == "sqlite" else server.tmp / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def shot(pg: Any, name: str, full_page: bool = False) -> Path:
        path = folder / f"{name}.png"
        pg.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path
    return shot


def pytest_report_header() -> str:
    return f"web tests: chromium={CHROMIUM if shutil.which(CHROMIUM) else 'missing'}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "web: browser tests of the web pages (Playwright and Chromium)")
    config.addinivalue_line("markers", f"{PG_MARKER}: browser test also run against PostgreSQL when "
                            "CHARTERPLAN_TEST_PG_URL is set")
