"""The people list's filters and pages (api.web.people_search) against a reference computed from every row, and
the cached roster forgetting what it kept when the caseload changes. No browser: always run."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from api import models as m
from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from api.web.people_search import PeopleFilters, search_people

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "first-charter-2022"


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int, dict[str, str]]]:
    """The bundled first charter imported and solved once (short time limit), with an admin's headers."""
    folder = tmp_path_factory.mktemp("people")
    settings = Settings(database_url=f"sqlite:///{folder / 'people.db'}", secret_key="people-" + "s" * 40,
                        solve_workers=1, default_time_limit=2.0, seating_time_limit=1.0)
    app = create_app(settings)
    with TestClient(app) as client:
        with Session(app.state.engine) as session:
            session.add(m.User(username="admin1", password_hash="x", role="admin"))
            session.commit()
        headers = {"Authorization": f"Bearer {issue_token('admin1', settings.secret_key, 60)}"}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in ("scenario.yaml", "people.csv"):
                z.write(SCENARIO / name, name)
        r = client.post("/api/v1/operations/import", headers=headers, files={"file": ("s.zip", buf.getvalue())})
        assert r.status_code == 201, r.text
        op = int(r.json()["id"])
        job = client.post(f"/api/v1/operations/{op}/solve-jobs", headers=headers, json={"time_limit": 2}).json()
        deadline = time.monotonic() + 120
        while client.get(f"/api/v1/operations/{op}/solve-jobs/{job['id']}", headers=headers).json()["status"] in (
                "queued", "running"):
            assert time.monotonic() < deadline, "the solve did not end"
            time.sleep(0.2)
        yield client, op, headers


def _plan(session: Session, op: int) -> m.Plan:
    plan = session.exec(select(m.Plan).where(m.Plan.operation_id == op)).first()
    assert plan is not None
    return plan


def _reference(session: Session, op: int, plan: m.Plan, f: PeopleFilters) -> list[str]:
    """The filters applied to every person row in plain Python, independently of the roster."""
    people = session.exec(select(m.Person).where(m.Person.operation_id == op)).all()
    rows = {a.case_id: a for a in session.exec(select(m.Assignment).where(m.Assignment.plan_id == plan.id)).all()}
    q = f.q.strip().casefold()
    out = []
    for p in people:
        names = f"{p.name_native} {p.given_name} {p.family_name}".casefold()
        if p.erased or (q and not (p.case_id.casefold().startswith(q) or p.household_id.casefold().startswith(q)
                                   or q in names)):
            continue
        if (f.destination and p.destination != f.destination) or (f.location and p.location != f.location):
            continue
        if f.vulnerability and f";{f.vulnerability};" not in (p.vulnerabilities or ""):
            continue
        a = rows.get(p.case_id)
        if f.status == "flying" and (a is None or a.flight_id is None):
            continue
        if f.status == "not_flying" and (a is None or a.flight_id is not None):
            continue
        out.append(p.case_id)
    return sorted(out)


def _all_pages(session: Session, op: int, plan: m.Plan, f: PeopleFilters, size: int = 7) -> tuple[int, list[str]]:
    total, seen, offset = -1, [], 0
    while True:
        total, rows, assignments = search_people(session, op, f, plan, size, offset)
        assert all(r.case_id in assignments for r in rows if r.case_id in assignments)
        seen += [r.case_id for r in rows]
        offset += size
        if offset >= total:
            return total, seen


def test_every_filter_and_page_matches_the_rows(solved: Any) -> None:
    client, op, _ = solved
    with Session(client.app.state.engine) as session:
        plan = _plan(session, op)
        people = session.exec(select(m.Person).where(m.Person.operation_id == op)).all()
        some = people[3]
        native = next(p.name_native for p in people if len(p.name_native) > 3)
        vulnerable = next(p.vulnerabilities for p in people if p.vulnerabilities).strip(";").split(";")[0]
        cases = [PeopleFilters(), PeopleFilters(q=some.case_id[:3].lower()), PeopleFilters(q=some.household_id),
                 PeopleFilters(q=some.given_name.upper()), PeopleFilters(q=f" {some.family_name[1:4]} "),
                 PeopleFilters(q=native[1:3]), PeopleFilters(destination=some.destination),
                 PeopleFilters(location=some.location, status="flying"), PeopleFilters(status="not_flying"),
                 PeopleFilters(vulnerability=vulnerable), PeopleFilters(q="no such person")]
        for f in cases:
            expected = _reference(session, op, plan, f)
            assert _all_pages(session, op, plan, f) == (len(expected), expected), f
        assert len(_reference(session, op, plan, PeopleFilters(status="flying"))) > 0


def test_the_roster_follows_edits_and_erasure(solved: Any) -> None:
    client, op, headers = solved
    engine = client.app.state.engine
    with Session(engine) as session:
        plan = _plan(session, op)
        target = session.exec(select(m.Person).where(m.Person.operation_id == op, m.Person.erased == False)  # noqa: E712
                              .order_by(m.Person.case_id)).all()[5]
        assert search_people(session, op, PeopleFilters(q="Zzyzx"), plan, 50, 0)[0] == 0
        total = search_people(session, op, PeopleFilters(), plan, 50, 0)[0]
    r = client.patch(f"/api/v1/operations/{op}/people/{target.case_id}", json={"given_name": "Zzyzx"},
                     headers={**headers, "If-Match": f'"{target.version}"'})
    assert r.status_code == 200, r.text
    with Session(engine) as session:
        found = search_people(session, op, PeopleFilters(q="zzyzx"), plan, 50, 0)
        assert [p.case_id for p in found[1]] == [target.case_id]
    r = client.post(f"/api/v1/operations/{op}/people/{target.case_id}/erase", headers=headers)
    assert r.status_code == 200, r.text
    with Session(engine) as session:
        assert search_people(session, op, PeopleFilters(q="zzyzx"), plan, 50, 0)[0] == 0
        assert search_people(session, op, PeopleFilters(), plan, 50, 0)[0] == total - 1


def test_the_people_list_counts_and_pages_from_the_index(solved: Any) -> None:
    """Migration 0007's index answers the count and a page's case numbers without reading the table."""
    client, op, _ = solved
    with client.app.state.engine.connect() as conn:
        plan = conn.execute(text("EXPLAIN QUERY PLAN SELECT count(*) FROM person WHERE operation_id = :op "
                                 "AND erased = 0"), {"op": op}).all()
        assert "COVERING INDEX ix_person_op_erased_case" in " ".join(str(row[-1]) for row in plan)
