"""Hostile uploads and requests: server files named in a scenario, lying zip headers, YAML alias bombs,
formula text through every door, unaudited single reads, out-of-range numbers and broken Unicode."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

import pytest
from service_testkit import TEACHING, Api

SCENARIO_YAML = (TEACHING / "scenario.yaml").read_text("utf-8")
PEOPLE_CSV = (TEACHING / "people.csv").read_bytes()


def scenario_zip(files: dict[str, bytes | str], links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            z.writestr(info, target)
    return out.getvalue()


def yaml_naming_people(target: str) -> str:
    return SCENARIO_YAML.replace("people: people.csv", f"people: {target!r}") if "people: people.csv" in \
        SCENARIO_YAML else f"people: {target!r}\n" + SCENARIO_YAML


def import_zip(api: Api, data: bytes, name: str = "scenario.zip") -> Any:
    return api.post("/api/v1/operations/import", "coordinator",
                    files={"file": (name, data, "application/zip")})


# ------------------------------------------------------------------ server files through scenario imports

@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "../../../../etc/passwd",
                                    "sub/../../people.csv", "C:\\Windows\\win.ini"])
def test_scenario_import_never_reads_server_files(api: Api, target: str) -> None:
    r = import_zip(api, scenario_zip({"scenario.yaml": yaml_naming_people(target), "people.csv": PEOPLE_CSV}))
    assert r.status_code == 422, r.text
    text = r.text
    assert "root:" not in text and "PATH=" not in text and "HOME=" not in text
    errors = r.json()["errors"]
    assert any(e["column"] == "people" for e in errors), errors
    assert all(len(str(e["column"])) <= 120 for e in errors)
    assert api.get("/api/v1/operations").json()["total"] == 0


def test_scenario_import_refuses_symlink_members(api: Api) -> None:
    data = scenario_zip({"scenario.yaml": SCENARIO_YAML}, links={"people.csv": "/etc/passwd"})
    r = import_zip(api, data)
    assert r.status_code == 422, r.text
    assert "root:" not in r.text and "link" in r.text


def test_scenario_import_refuses_unsafe_member_names(api: Api) -> None:
    r = import_zip(api, scenario_zip({"scenario.yaml": SCENARIO_YAML, "people.csv": PEOPLE_CSV,
                                      "../evil.txt": b"x"}))
    assert r.status_code == 422 and "unsafe" in r.text


def test_cli_loader_refuses_people_paths_outside_the_folder(tmp_path: Any) -> None:
    from planner.io.loading import ScenarioInputError, load_scenario

    folder = tmp_path / "scenario"
    folder.mkdir()
    (tmp_path / "secret.csv").write_bytes(PEOPLE_CSV)
    for target in ("../secret.csv", str(tmp_path / "secret.csv")):
        (folder / "scenario.yaml").write_text(yaml_naming_people(target), "utf-8")
        with pytest.raises(ScenarioInputError) as caught:
            load_scenario(folder)
        assert any(i.field == "people" and "scenario folder" in i.message for i in caught.value.issues)
    # a people file given explicitly (as on the command line) may live anywhere
    scenario = load_scenario(folder, people_file=tmp_path / "secret.csv")
    assert len(scenario.people) == PEOPLE_CSV.count(b"\n") - 1


# ------------------------------------------------------------------ decompression with lying headers

def lying_zip(name: str, inflated: int, declared: int, others: dict[str, bytes] | None = None,
              prefix: bytes = b"", fill: bytes = b"\0") -> bytes:
    """A zip whose member `name` inflates to `prefix` and `inflated` bytes of `fill`, but whose local and
    central headers declare `declared` bytes (and a CRC that does not match)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for other, content in (others or {}).items():
            z.writestr(other, content)
        z.writestr(name, b"")  # placeholder, replaced below
    data = bytearray(out.getvalue())
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = fill * (1 << 20)
    body = compressor.compress(prefix) + b"".join(compressor.compress(block) for _ in range(inflated // len(block)))
    body += compressor.flush()
    # rebuild: every other member as is, then the bomb with a local header and central entry that lie
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as src:
        entries = [(i, src.read(i)) for i in src.infolist() if i.filename != name]
    out = io.BytesIO()
    central = b""
    for info, content in entries:
        offset = out.tell()
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = comp.compress(content) + comp.flush()
        crc = zlib.crc32(content)
        encoded = info.filename.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(packed), len(content),
                              len(encoded), 0) + encoded + packed)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(packed),
                               len(content), len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    offset = out.tell()
    encoded = name.encode()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(body), declared, len(encoded), 0)
              + encoded + body)
    central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, 0, len(body), declared,
                           len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    start = out.tell()
    out.write(central)
    count = len(entries) + 1
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0))
    return out.getvalue()


def small_limits(api: Api) -> None:
    api.client.app.state.settings.max_xlsx_expanded_bytes = 4 * 1024 * 1024


def test_xlsx_member_lying_about_its_size_is_stopped_at_the_limit(api: Api) -> None:
    small_limits(api)
    op = api.post("/api/v1/operations", "coordinator", json={"name": "x", "as_of": "2021-11-28T18:00:00+03:00"})
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["case_id", "household_id"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as z:
        parts = {n: z.read(n) for n in z.namelist() if n != "xl/worksheets/sheet1.xml"}
    head = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData>')  # then 16 MiB of spaces: well-formed XML all the way to the limit
    data = lying_zip("xl/worksheets/sheet1.xml", 16 << 20, 5000, parts, prefix=head, fill=b" ")
    r = api.post(f"/api/v1/operations/{op.json()['id']}/people/import", "officer",
                 files={"file": ("people.xlsx", data, "application/octet-stream")})
    assert r.status_code in (413, 422), r.text
    assert "cannot be unpacked" in r.text or "expands" in r.text


def test_scenario_zip_member_lying_about_its_size_is_stopped_at_the_limit(api: Api) -> None:
    small_limits(api)
    data = lying_zip("people.csv", 16 << 20, 4000, {"scenario.yaml": SCENARIO_YAML.encode()})
    r = import_zip(api, data)
    assert r.status_code in (413, 422), r.text
    assert "cannot be unpacked" in r.text or "expands" in r.text


@pytest.mark.parametrize("kind", ["xlsx", "zip"])
def test_lying_members_are_read_in_bounded_memory(kind: str) -> None:
    """Reading the whole of a lying member at once inflated everything it holds before checking its size."""
    import tracemalloc

    from planner.io.input_errors import ScenarioInputError
    from planner.io.input_limits import InputLimits
    from planner.io.people_table import read_people_table
    from planner.io.scenario_archive import load_scenario_archive

    limits = InputLimits(max_expanded_bytes=8 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioInputError):
            if kind == "zip":
                load_scenario_archive(lying_zip("people.csv", 96 << 20, 4000,
                                                {"scenario.yaml": SCENARIO_YAML.encode()}), "s.zip", limits)
            else:
                read_people_table(lying_zip("xl/worksheets/sheet1.xml", 96 << 20, 4000, {
                    "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-'
                                           b'types"><Default Extension="xml" ContentType="application/vnd.openxml'
                                           b'formats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
                    "xl/workbook.xml": b"<workbook/>"}), "people.xlsx", limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak


def test_declared_expansion_over_the_limit_is_413(api: Api) -> None:
    small_limits(api)
    big = scenario_zip({"scenario.yaml": SCENARIO_YAML, "people.csv": PEOPLE_CSV + b"\n" * (5 << 20)})
    r = import_zip(api, big)
    assert r.status_code == 413 and "expands" in r.json()["detail"], r.text


def test_corrupt_zip_is_a_clear_422(api: Api) -> None:
    good = scenario_zip({"scenario.yaml": SCENARIO_YAML, "people.csv": PEOPLE_CSV})
    broken = bytearray(good)
    start = broken.find(b"PK\x03\x04", 10)  # the second member's data
    broken[start + 40:start + 120] = b"\xff" * 80
    r = import_zip(api, bytes(broken))
    assert r.status_code == 422, r.text
    assert "not a valid" in r.json()["detail"] or "cannot be unpacked" in r.text or "corrupt" in r.text


# ------------------------------------------------------------------ YAML alias bombs

def laughs(depth: int = 8) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, depth + 1):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines)


def test_yaml_alias_bomb_in_a_scenario_is_refused_small(api: Api) -> None:
    bomb = laughs()
    text = SCENARIO_YAML.replace("as_of:", "x_bomb_as_of:", 1)
    text = "x_bombs:\n" + "\n".join("  " + line for line in bomb.splitlines()) + "\nas_of: *a8\n" + text
    r = import_zip(api, scenario_zip({"scenario.yaml": text, "people.csv": PEOPLE_CSV}))
    assert r.status_code == 422, r.text[:500]
    assert len(r.content) < 20_000
    assert "alias" in r.text or "anchor" in r.text


def test_yaml_alias_bomb_in_events_and_variants_is_refused(api: Api, tmp_path: Any) -> None:
    from planner.io.loading import ScenarioInputError
    from planner.whatif.events import load_events

    path = tmp_path / "events.yaml"
    path.write_text(laughs() + "\nformat: charterplan.events/1\nevents: *a8\n", "utf-8")
    with pytest.raises(ScenarioInputError) as caught:
        load_events(path)
    assert "alias" in str(caught.value) or "anchor" in str(caught.value)
    op = api.import_teaching()
    r = api.post(f"/api/v1/operations/{op}/variants", "coordinator",
                 json={"name": "bomb", "document": laughs() + "\nformat: charterplan.variant/1\n"})
    assert r.status_code == 422 and len(r.content) < 20_000


def test_error_messages_cap_echoed_input(api: Api) -> None:
    long = "x" * 5000
    text = SCENARIO_YAML.replace("as_of:", f"as_of: {long!r}\nx_old_as_of:", 1)
    r = import_zip(api, scenario_zip({"scenario.yaml": text, "people.csv": PEOPLE_CSV}))
    assert r.status_code == 422
    assert long not in r.text and all(len(e["message"]) < 400 for e in r.json()["errors"])


# ------------------------------------------------------------------ formula text through other doors

FORMULAS = ['=HYPERLINK("http://evil.example","click")', ' =1+1', '\n=cmd|"/c calc"!A1', '＝1+1', '@SUM(A1)',
            '+A1*2', '-2+3+cmd']


@pytest.mark.parametrize("value", FORMULAS)
def test_person_create_and_update_refuse_formula_text(api: Api, value: str) -> None:
    op = api.import_teaching()
    person = api.get(f"/api/v1/operations/{op}/people/C0001").json()
    body = {k: v for k, v in person.items() if k not in ("id", "erased", "updated_at", "version")}
    body.update(case_id="C9999", notes=value)
    r = api.post(f"/api/v1/operations/{op}/people", "officer", json=body)
    assert r.status_code == 422, r.text
    assert "formula" in r.text and "notes" in r.text
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=person["version"],
                  json={"given_name": value})
    assert r.status_code == 422 and "formula" in r.text


def test_phone_numbers_and_negative_numbers_are_not_formulas(api: Api) -> None:
    op = api.import_teaching()
    person = api.get(f"/api/v1/operations/{op}/people/C0001").json()
    r = api.patch(f"/api/v1/operations/{op}/people/C0001", "officer", if_match=person["version"],
                  json={"reception_contact": "+964 750 123 4567", "notes": "-3"})
    assert r.status_code == 200, r.text


def test_scenario_import_refuses_formula_text(api: Api) -> None:
    lines = PEOPLE_CSV.decode().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("notes")] = '"=HYPERLINK(""http://x"",""y"")"'
    data = scenario_zip({"scenario.yaml": SCENARIO_YAML, "people.csv": "\n".join([lines[0], ",".join(cells),
                                                                                  *lines[2:]]) + "\n"})
    r = import_zip(api, data)
    assert r.status_code == 422, r.text
    assert any(e["row"] == 2 and e["column"] == "notes" and "formula" in e["message"] for e in r.json()["errors"])


def test_exported_scenario_zip_neutralises_stored_formula_text(api: Api) -> None:
    """Text stored before the import rule existed still leaves the service neutralised."""
    from sqlalchemy import update
    from sqlmodel import Session

    from api import models as m
    from api.db import make_engine

    op = api.import_teaching()
    with Session(make_engine(api.settings.database_url)) as s:
        s.execute(update(m.Person).where(m.Person.case_id == "C0001").values(notes="=HYPERLINK(1)",
                                                                            given_name="\n=cmd"))
        s.commit()
    r = api.get(f"/api/v1/operations/{op}/scenario.zip", "officer")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        people = next(n for n in z.namelist() if n.endswith("people.csv"))
        text = z.read(people).decode()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    assert "'\n=cmd" in text


# ------------------------------------------------------------------ audit of single reads

def test_reading_one_person_is_audited(api: Api) -> None:
    op = api.import_teaching()
    assert api.get(f"/api/v1/operations/{op}/people/C0003", "viewer").status_code == 200
    entries = api.get("/api/v1/audit", "coordinator", params={"action": "read"}).json()["items"]
    assert any(e["resource"] == "person" and e["resource_id"] == "C0003" for e in entries), entries


# ------------------------------------------------------------------ numbers, Unicode and ids

def test_out_of_range_numbers_are_422_and_commit_nothing(api: Api) -> None:
    op = api.import_teaching()
    site = api.get(f"/api/v1/operations/{op}/testing-sites").json()["items"][0]
    body = {k: v for k, v in site.items() if k not in ("db_id", "version")}
    body.update(id="NEW-SITE", capacity_per_slot=3_000_000_000,
                slots=[{"start": "2021-12-01T08:00:00+03:00", "end": "2021-12-01T09:00:00+03:00",
                        "capacity": 3_000_000_000}])
    r = api.post(f"/api/v1/operations/{op}/testing-sites", "officer", json=body)
    assert r.status_code == 422, r.text
    flight = api.get(f"/api/v1/operations/{op}/flights").json()["items"][0]
    fbody = {k: v for k, v in flight.items() if k not in ("db_id", "version")}
    fbody.update(id="LATE-1", departure="9999-12-31T20:00:00+03:00",
                 stops=[{"airport": "EBL", "arrival": "9999-12-31T23:00:00+03:00"}])
    r = api.post(f"/api/v1/operations/{op}/flights", "officer", json=fbody)
    assert r.status_code == 422, r.text
    r = api.get(f"/api/v1/operations/{op}/people", params={"plan_id": 99_999_999_999})
    assert r.status_code == 422


def test_lone_surrogate_is_refused_and_nothing_saved(api: Api) -> None:
    op = api.import_teaching()
    site = api.get(f"/api/v1/operations/{op}/testing-sites").json()["items"][0]
    body = {k: v for k, v in site.items() if k not in ("db_id", "version")}
    body.update(id="SURR")
    raw = __import__("json").dumps(body).replace('"serves": [', '"serves": ["bad\\ud800", ', 1)
    r = api.post(f"/api/v1/operations/{op}/testing-sites", "officer", content=raw,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert api.get(f"/api/v1/operations/{op}/testing-sites/SURR").status_code == 404


@pytest.mark.parametrize("code", ["A/B", "=X", "a b", "", "../x", "x" * 65])
def test_resource_ids_must_be_safe(api: Api, code: str) -> None:
    op = api.import_teaching()
    flight = api.get(f"/api/v1/operations/{op}/flights").json()["items"][0]
    body = {k: v for k, v in flight.items() if k not in ("db_id", "version")}
    body["id"] = code
    r = api.post(f"/api/v1/operations/{op}/flights", "officer", json=body)
    assert r.status_code == 422, r.text


def test_people_filter_refuses_a_plan_of_another_operation(api: Api) -> None:
    from sqlmodel import Session

    from api import models as m
    from api.db import make_engine

    first = api.import_teaching()
    second = api.import_teaching()
    with Session(make_engine(api.settings.database_url)) as s:
        plan = m.Plan(operation_id=first, number=1, solver_status="feasible", people=0, assigned=0, unassigned=0)
        s.add(plan)
        s.commit()
        plan_id = plan.id
    r = api.get(f"/api/v1/operations/{second}/people", params={"flight": "none", "plan_id": plan_id})
    assert r.status_code == 404, r.text


# ------------------------------------------------------------------ one gate: the same errors as the CLI

def bad_people_files() -> dict[str, bytes]:
    lines = PEOPLE_CSV.decode().splitlines()
    header = lines[0].split(",")

    def cell(row: int, column: str, value: str) -> bytes:
        out = list(lines)
        cells = out[row - 1].split(",")
        cells[header.index(column)] = '"' + value.replace('"', '""') + '"'
        out[row - 1] = ",".join(cells)
        return ("\n".join(out) + "\n").encode()

    duplicate = list(lines)
    duplicate[5] = duplicate[5].replace("C0005", "C0002", 1)
    return {"long-notes": cell(3, "notes", "n" * 100_000), "formula": cell(4, "given_name", '=HYPERLINK("x")'),
            "semicolons": "\n".join(x.replace(",", ";") for x in lines).encode(),
            "duplicate": ("\n".join(duplicate) + "\n").encode()}


@pytest.mark.parametrize("case", sorted(bad_people_files()))
def test_service_import_and_cli_give_the_same_errors(api: Api, tmp_path: Any, case: str) -> None:
    from planner.io.loading import ScenarioInputError, load_scenario

    data = bad_people_files()[case]
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(SCENARIO_YAML, "utf-8")
    (folder / "people.csv").write_bytes(data)
    with pytest.raises(ScenarioInputError) as caught:
        load_scenario(folder)
    cli = {(i.row, i.field, i.message) for i in caught.value.issues if i.file == "people.csv"}
    r = import_zip(api, scenario_zip({"scenario.yaml": SCENARIO_YAML, "people.csv": data}))
    assert r.status_code == 422, r.text
    assert {(e["row"], e["column"], e["message"]) for e in r.json()["errors"] if e["file"] == "people.csv"} == cli
    op = api.post("/api/v1/operations", "coordinator", json={"name": "x", "timezone": "Europe/Minsk",
                                                             "as_of": "2021-11-28T18:00:00+03:00"}).json()["id"]
    r = api.post(f"/api/v1/operations/{op}/people/import", "officer",
                 files={"file": ("people.csv", data, "text/csv")})
    assert r.status_code == 422, r.text
    assert {(e["row"], e["column"], e["message"]) for e in r.json()["errors"]} == cli


def test_a_delay_cannot_push_a_flight_out_of_the_calendar(api: Api) -> None:
    """A huge delay was a SQLite OverflowError (500) past year 9999: delays are bounded, nothing is changed."""
    op = api.import_teaching()
    flight = api.get(f"/api/v1/operations/{op}/flights").json()["items"][0]
    for hours in (10**9, 1e308, -10**9):
        events = {"format": "charterplan.events/1",
                  "events": [{"type": "flight_delayed", "flight_id": flight["id"], "hours": hours}]}
        r = api.post(f"/api/v1/operations/{op}/events", "officer", json=events)
        assert r.status_code == 422, r.text
    after = api.get(f"/api/v1/operations/{op}/flights").json()["items"][0]
    assert after["departure"] == flight["departure"] and after["version"] == flight["version"]
