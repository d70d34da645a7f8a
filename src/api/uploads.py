"""Reading uploads safely: size limits, XLSX expansion and formula checks, zip archives without path tricks."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath

from fastapi import UploadFile

from api.problems import Problem
from planner.loading import InputIssue

_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*\br="([A-Z]{1,3}[0-9]{1,7})"')
_SAFE_SIGNED = re.compile(r"^[+-][\d\s()./-]*$")


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read at most `limit` bytes; a bigger upload is a 413 with the limit in the message."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await upload.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"the file is larger than the limit of {limit} bytes ({limit // 2**20} MiB)",
                          kind="too-large")
        chunks.append(chunk)
    return b"".join(chunks)


def check_zip(data: bytes, filename: str, max_expanded: int, max_members: int) -> zipfile.ZipFile:
    """Open a zip (XLSX or scenario archive) only if it cannot expand into a bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Problem(422, f"{filename} is not a valid {'XLSX workbook' if _is_xlsx(filename) else 'zip archive'}",
                      kind="bad-file", errors=[_issue(filename, "(file)", "not a valid zip container")]) from None
    members = archive.infolist()
    if len(members) > max_members:
        raise Problem(422, f"{filename} holds {len(members)} files; the limit is {max_members}", kind="bad-file",
                      errors=[_issue(filename, "(file)", "too many members")])
    expanded = sum(i.file_size for i in members)
    if expanded > max_expanded:
        raise Problem(413, f"{filename} expands to {expanded // 2**20} MiB; the limit is {max_expanded // 2**20} MiB",
                      kind="expands-too-much")
    for info in members:
        if info.file_size > 1024 * 1024 and info.file_size > 100 * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise Problem(413, f"{filename}: member {info.filename} is compressed {ratio} times; refusing a "
                          "possible zip bomb", kind="expands-too-much")
    return archive


def check_xlsx(data: bytes, filename: str, max_expanded: int) -> None:
    """Refuse workbooks that would expand enormously or that hold formulas (cached values may lie)."""
    archive = check_zip(data, filename, max_expanded, max_members=500)
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        body = archive.read(info)
        match = _FORMULA_TAG.search(body)
        if match:
            refs = _CELL_REF.findall(body[:match.start()])
            cell = refs[-1].decode() if refs else "?"
            raise Problem(422, f"{filename} contains spreadsheet formulas (first in cell {cell}); "
                          "paste values only and upload again", kind="formula-cells",
                          errors=[_issue(filename, cell, "formulas are not accepted")])


def formula_like(value: str) -> bool:
    """Would a spreadsheet evaluate this cell? Phone numbers like +964 750 ... are allowed."""
    if not value:
        return False
    first = value[0]
    if first in "=@\t\r":
        return True
    return first in "+-" and not _SAFE_SIGNED.match(value)


def safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    """Extract without absolute paths, `..` or links escaping the target folder."""
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts or info.filename.startswith(("/", "\\")):
            raise Problem(422, f"archive member {info.filename!r} has an unsafe path", kind="bad-file")
        if info.is_dir():
            continue
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise Problem(422, f"archive member {info.filename!r} is a link", kind="bad-file")
        out = target / Path(*name.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(archive.read(info))


def _is_xlsx(filename: str) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm"))


def _issue(filename: str, column: str, message: str) -> dict[str, object]:
    return {"file": filename, "row": None, "column": column, "message": message}


def issue_dict(issue: InputIssue) -> dict[str, object]:
    return {"file": issue.file, "row": issue.row, "column": issue.field, "message": issue.message}
