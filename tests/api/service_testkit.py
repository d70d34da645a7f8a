"""What the service tests share: the app with one logged-in client per role, job polling, scenarios.

(Kept out of conftest.py under a unique module name so that no other conftest can shadow it.)
"""

from __future__ import annotations

import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import ROLES, hash_password, issue_token
from api.models import User
from api.settings import Settings
from pg_testdb import fresh_postgresql_database

ROOT = Path(__file__).resolve().parents[2]
TEACHING = ROOT / "scenarios" / "teaching-two-flights"
PASSWORD = "correct horse battery"


def real_planner() -> bool:
    try:
        from planner import solve, validate  # noqa: F401
    except ImportError:
        return False
    return True


class Api:
    """The app under test with one logged-in client per role."""

    def __init__(self, client: TestClient, settings: Settings):
        self.client = client
        self.settings = settings
        self.tokens: dict[str, str] = {}

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    def call(self, method: str, url: str, role: str = "admin", *, if_match: int | str | None = None,
             **kwargs: Any) -> Any:
        headers = self.headers(role)
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        headers.update(kwargs.pop("headers", {}))
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.call("GET", url, role, **kw)

    def post(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.call("POST", url, role, **kw)

    def patch(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.call("PATCH", url, role, **kw)

    def put(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.call("PUT", url, role, **kw)

    def delete(self, url: str, role: str = "admin", **kw: Any) -> Any:
        return self.call("DELETE", url, role, **kw)

    def import_teaching(self) -> int:
        """The teaching scenario as an operation, through the scenario zip import."""
        import io
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in ("scenario.yaml", "people.csv"):
                z.write(TEACHING / name, name)
        r = self.post("/api/v1/operations/import", "coordinator",
                      files={"file": ("teaching.zip", buf.getvalue(), "application/zip")})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def database(kind: str, folder: Path, template: str | None = None) -> Generator[str, None, None]:
    """A fresh database URL: a SQLite file in `folder`, or a new PostgreSQL database (dropped afterwards)
    when CHARTERPLAN_TEST_PG_URL is set; pytest skips the PostgreSQL case otherwise.

    With `template` (from `migrated_template`), the new database starts as a copy of that already migrated,
    empty one: the app's start then finds the schema at head, instead of every test paying for the whole
    migration chain (a third of a second on SQLite, two seconds on PostgreSQL). test_api_migrations.py
    migrates empty databases."""
    if kind == "sqlite":
        path = folder / "test.db"
        if template:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    yield from fresh_postgresql_database("cp_", template=template, wait_drop=False)


def migrated_template(kind: str, folder: Path) -> Generator[str, None, None]:
    """An empty database at the head migration, for `database` to copy: a SQLite file's path, or the name of
    a PostgreSQL database (which must have no open connection while it is copied)."""
    from api.db import make_engine, migrate

    made = database(kind, folder)
    url = next(made)
    try:
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url.removeprefix("sqlite:///") if kind == "sqlite" else url.rpartition("/")[2]
    finally:
        made.close()


DATABASES = ["sqlite", "postgresql"]
#: A test (or, as `pytestmark`, a module) that runs on SQLite only, though CHARTERPLAN_TEST_PG_URL is set: for
#: what renders or computes over stored rows through statements other tests run on both (the rule: conftest.py).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def make_api(settings: Settings, users: bool = True) -> Iterator[Api]:
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client, settings)
        from sqlmodel import Session

        with Session(app.state.engine) as s:
            for role in ROLES if users else ():
                s.add(User(username=f"{role}1", password_hash=FAST_HASH, role=role))
            s.commit()
        for role in ROLES:
            api.tokens[role] = issue_token(f"{role}1", settings.secret_key, 60)
        yield api


FAST_HASH = hash_password(PASSWORD)


def wait_job(api: Api, operation_id: int, job_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a solve job until it leaves queued/running."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/api/v1/operations/{operation_id}/solve-jobs/{job_id}", "viewer").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def teaching_scenario() -> Any:
    from planner.io.loading import load_scenario

    return load_scenario(TEACHING)
