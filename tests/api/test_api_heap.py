"""The service keeps what it builds in bulk out of the garbage collector's full walks (api.heap)."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def test_starting_the_service_freezes_what_it_built(tmp_path: Path) -> None:
    gc.unfreeze()  # whatever an earlier test froze goes back to the collector
    assert gc.get_freeze_count() == 0
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'heap.db'}", secret_key="test-secret-" + "x" * 40)
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() > 0
    gc.unfreeze()
