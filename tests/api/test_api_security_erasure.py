"""Erased personal data must not stay readable in the SQLite file or its write-ahead log."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_testkit import make_api

from api.settings import Settings

SECRETS = [b"Rebin", b"1985-03-02", b"A0001123"]


def _files(path: Path) -> list[Path]:
    return [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erasure_leaves_no_trace_in_the_database_files(settings: Settings) -> None:
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    for api in make_api(settings):
        op = api.import_teaching()
        person = api.get(f"/api/v1/operations/{op}/people/C0001").json()
        assert person["given_name"] == "Rebin"
        # the data is there before the erasure (so the scan below can see it)
        assert any(s in p.read_bytes() for p in _files(db) for s in SECRETS)
        r = api.post(f"/api/v1/operations/{op}/people/C0001/erase", "coordinator")
        assert r.status_code == 200, r.text
        for path in _files(db):
            data = path.read_bytes()
            found = [s.decode() for s in SECRETS if s in data]
            assert not found, f"{path.name} still holds {found}"
