"""Property-based fuzzing of the whole API from its OpenAPI schema, with every schemathesis check that judges one
answer: no 5xx, every status, content type, header and body as documented, schema-invalid requests refused and
schema-valid ones accepted (or refused for a documented business reason: an unknown id, a conflict, a version
to send).

Runs on SQLite and, when CHARTERPLAN_TEST_PG_URL is set, on PostgreSQL (which refuses over-long text and
out-of-range numbers that SQLite stores). Schemathesis is driven directly (one parametrized test per operation,
its strategies under hypothesis' `@given`), not through its pytest plugin, so the test runs the same on pytest
8 and 9. Random examples per operation, database and generation mode: CHARTERPLAN_FUZZ_EXAMPLES (default 2, so
the suite stays fast; CI runs 25). The examples are derandomized (the same for the same code and schema), so a
run's verdict does not depend on luck; CHARTERPLAN_FUZZ_RANDOM=1 draws new ones each run, for hunting.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig  # noqa: E402
from service_testkit import DATABASES, Api, database, make_api  # noqa: E402
from sqlalchemy import update  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from api.auth import issue_token  # noqa: E402
from api.models import User  # noqa: E402
from api.settings import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("CHARTERPLAN_FUZZ_EXAMPLES", "2"))
RANDOM = os.environ.get("CHARTERPLAN_FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection, positive_data_acceptance]
#: Schema-valid requests the service refuses for reasons no schema can express: ids that do not exist (404),
#: conflicts with stored data or a version that is not the current one (409), business rules across fields
#: (422), an uploaded file that is neither CSV, XLSX nor zip (415), an update without If-Match (428), login
#: throttling and a full solve queue (429).
EXPECTED = ["2xx", "404", "409", "415", "422", "428", "429"]
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": EXPECTED}},
    "operations": [
        # a wrong current password is a 403 (the caller is known, the proof is not)
        {"include-path": "/api/v1/auth/password",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*EXPECTED, "403"]}}},
        # a username and password that the schema allows but no account has
        {"include-path": "/api/v1/auth/token",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*EXPECTED, "401"]}}},
    ],
})


def _operations() -> list[str]:
    """`METHOD /path` of every documented operation, read from an app built (not started) for the purpose."""
    from api.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/schema.db", secret_key="s" * 40))
        schema = app.openapi()
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


OPERATIONS = _operations()


@pytest.fixture(scope="module", params=DATABASES)
def fuzz_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app per database (SQLite and PostgreSQL, like the other API tests): PostgreSQL refuses what SQLite
    stores silently (over-long text, out-of-range numbers), so only fuzzing it finds those 500s."""
    for url in database(request.param, Path(tmp_path_factory.mktemp("fuzz"))):
        s = Settings(database_url=url, secret_key="fuzz-" + "y" * 40, solver="planner:solve",
                     validator="planner:validate", default_time_limit=1.0, max_time_limit=2.0, shutdown_grace=0.0,
                     solve_workers=1, max_queued_jobs=1)
        for api in make_api(s):
            api.import_teaching()
            yield api


@pytest.fixture(scope="module")
def api_schema(fuzz_api: Api) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.client.app, config=CONFIG)


def admin_headers(api: Api) -> dict[str, str]:
    """A fresh admin token for each request. Fuzzed requests may change or sign out the fuzzing admin itself
    (a new role, a disabled account, sign-out everywhere); its role and status are put back first."""
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        session.execute(update(User).where(User.username == "admin1")  # type: ignore[arg-type]
                        .values(role="admin", active=True))
        session.commit()
        version = session.exec(select(User.session_version).where(User.username == "admin1")).one()
    api.client.app.state.principals.clear()  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {issue_token('admin1', api.settings.secret_key, 60, version)}"}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_fuzz(operation: str, fuzz_api: Api, api_schema: Any) -> None:
    method, path = operation.split(" ", 1)
    target = api_schema[path][method]
    strategy = st.one_of(target.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         target.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=not RANDOM, database=None)
    def run(case: Any) -> None:
        response = case.call(headers=admin_headers(fuzz_api))
        case.validate_response(response, checks=CHECKS)

    run()
