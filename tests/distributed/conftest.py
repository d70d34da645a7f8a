"""Two service replicas and two Celery workers on loopback, against real PostgreSQL and Redis.

Skipped, with the reason, when PostgreSQL (CHARTERPLAN_TEST_PG_URL), Redis or the distributed extra are
missing, unless CHARTERPLAN_REQUIRE_SERVICES=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_kit import Cluster, add_users, cluster_env, new_queue, services_available

from pg_testdb import fresh_postgresql_database


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    services_available()
    folder = Path(tempfile.mkdtemp(prefix="cp-cluster-"))
    for database_url in fresh_postgresql_database("cp_dist_"):
        c = Cluster(database_url, folder, cluster_env(database_url, new_queue()))
        try:
            # both replicas start at once on an empty database: the migration lock lets one migrate
            replicas = [c.start_replica(), c.start_replica()]
            workers = [c.start_worker(), c.start_worker()]
            for replica in replicas:
                c.wait_ready(replica)
            c.tokens = add_users(database_url)
            for worker in workers:
                c.wait_worker(worker)
            yield c
        finally:
            c.stop()
    shutil.rmtree(folder, ignore_errors=True)
