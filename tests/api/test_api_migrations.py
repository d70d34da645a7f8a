"""The Alembic migrations produce exactly the tables the models describe, and run again without harm."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (every table of the service)
from api.db import make_engine, migrate


def test_migrations_match_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate(engine)
    migrate(engine)  # idempotent: a restart applies nothing twice
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []
    engine.dispose()
