"""Uploads in the service: read within the size limit, then handed to the planner's one input gate
(planner.io.people_table, planner.io.scenario_archive) with the service's limits, so the service and the CLI
refuse the same files with the same messages (docs/input.md)."""

from __future__ import annotations

from typing import Any

from fastapi import UploadFile

from api.problems import ApiProblem
from planner.io.input_errors import InputIssue, InputTooLarge, ScenarioInputError
from planner.io.input_limits import InputLimits, too_large


def limits_of(settings: Any) -> InputLimits:
    """The planner's input limits from the service settings."""
    return InputLimits(max_file_bytes=settings.max_upload_bytes,
                       max_expanded_bytes=settings.max_xlsx_expanded_bytes,
                       max_zip_members=settings.max_zip_members)


async def read_limited(upload: UploadFile, limit: int, filename: str = "upload") -> bytes:
    """Read at most `limit` bytes; a bigger upload is a 413 with the planner's message for it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await upload.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise input_problem(too_large(filename, limit), "the file")
        chunks.append(chunk)
    return b"".join(chunks)


def input_problem(exc: ScenarioInputError, what: str) -> ApiProblem:
    """A 413 for an input over a size, row or expansion limit; a 422 listing every issue otherwise."""
    errors = [issue_dict(i) for i in exc.issues[:1000]]
    if isinstance(exc, InputTooLarge):
        first = exc.issues[0]
        kind = "expands-too-much" if "expands" in first.message else "too-large"
        return ApiProblem(413, f"{first.file}: {first.message}", kind=kind, errors=errors)
    detail = f"{len(exc.issues)} error(s) in {what}; nothing was imported"
    if len(exc.issues) == 1:
        detail += f": {exc.issues[0]}"
    return ApiProblem(422, detail, kind="import-errors", errors=errors, error_count=len(exc.issues))


def issue_dict(issue: InputIssue) -> dict[str, object]:
    return {"file": issue.file, "row": issue.row, "column": issue.field, "message": issue.message}
