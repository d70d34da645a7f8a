"""NUL characters anywhere in a request are a 422 naming the field, never a database error (PostgreSQL text
cannot hold them), and nothing is stored."""

from __future__ import annotations

import io

from service_testkit import Api


def test_nul_in_query_path_and_body_is_a_422_naming_the_field(api: Api) -> None:
    op = api.import_teaching()
    r = api.get(f"/api/v1/operations/{op}/people", params={"flight": "\x00x", "destination": "EBL"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["query.flight"]

    r = api.get(f"/api/v1/operations/{op}/people/a%00b")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path"

    person = api.get(f"/api/v1/operations/{op}/people").json()["items"][0]
    url = f"/api/v1/operations/{op}/people/{person['case_id']}"
    r = api.patch(url, if_match=person["version"], json={"notes": "a\x00b", "location": "BRUZGI"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "body.notes", "message": "must not contain a NUL character (U+0000)",
                                   "type": "nul_character"}]
    after = api.get(url).json()
    assert after["version"] == person["version"] and after["notes"] == person["notes"]

    # a body without NUL still reaches the route after the guard has read it
    r = api.patch(url, if_match=person["version"], json={"notes": "escorted"})
    assert r.status_code == 200, r.text
    assert r.json()["notes"] == "escorted"


def test_nul_in_an_imported_csv_names_row_and_column(api: Api) -> None:
    op = api.import_teaching()
    before = api.get(f"/api/v1/operations/{op}/people").json()["total"]
    csv = "case_id,household_id,given_name\nC9001,H90,Ra\x00nj\n"
    r = api.post(f"/api/v1/operations/{op}/people/import", "officer",
                 files={"file": ("people.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e.get("row") == 2 and e.get("column") == "given_name" and "NUL" in e["message"] for e in errors), errors
    assert api.get(f"/api/v1/operations/{op}/people").json()["total"] == before


def test_nul_in_a_login_form_is_a_422_naming_the_field(api: Api) -> None:
    r = api.client.post("/api/v1/auth/token", data={"username": "officer1\x00", "password": "x"})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["body.username"]
    r = api.client.post("/api/v1/auth/token", data={"username": "officer1", "password": "correct horse battery"})
    assert r.status_code == 200, r.text
