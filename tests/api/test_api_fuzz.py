"""Property-based fuzzing of the whole API from its OpenAPI schema: no 5xx, no response outside the schema.

Runs on SQLite and, when CHARTERPLAN_TEST_PG_URL is set, on PostgreSQL (which refuses over-long text and
out-of-range numbers that SQLite stores). Random examples per operation and database:
CHARTERPLAN_FUZZ_EXAMPLES (default 2, about a minute per database on two cores, so the suite stays fast; CI
runs more). Schemathesis' coverage phase adds the boundary values (longest strings, largest ids) on top.
The examples are derandomized (the same for the same code and schema), so that a run's verdict does not depend
on luck; CHARTERPLAN_FUZZ_RANDOM=1 draws new ones each run, for hunting.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402
from service_testkit import DATABASES, Api, database, make_api  # noqa: E402

from api.settings import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("CHARTERPLAN_FUZZ_EXAMPLES", "2"))
RANDOM = os.environ.get("CHARTERPLAN_FUZZ_RANDOM") == "1"


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
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.client.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not RANDOM)
def test_fuzz(case: Any, fuzz_api: Api) -> None:
    response = case.call(headers=fuzz_api.headers("admin"))
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
