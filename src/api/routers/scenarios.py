"""Scenario exchange over HTTP: a zip of the scenario folder, in and out (DESIGN §5.1)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api.audit import audit, audit_commit
from api.auth import Coordinator, Officer, SessionDep
from api.common import Id, get_operation, set_etag
from api.convert import build_scenario, store_scenario
from api.problems import Problem
from api.routers.operations import OperationRead
from api.scenario_files import find_scenario_yaml, write_folder, zip_folder
from api.uploads import check_zip, issue_dict, read_limited, safe_extract
from planner.loading import ScenarioInputError, load_scenario

router = APIRouter(tags=["scenarios"])


@router.post("/operations/import", status_code=201, response_model=OperationRead)
async def import_scenario(request: Request, principal: Coordinator, session: SessionDep, response: Response,
                          file: Annotated[UploadFile, File(description="zip of a scenario folder")]) -> Any:
    """Create an operation from a zipped scenario folder, checked exactly as the CLI checks it."""
    settings = request.app.state.settings
    data = await read_limited(file, settings.max_upload_bytes)
    filename = (file.filename or "scenario.zip").rsplit("/", 1)[-1][:200]

    def work() -> Any:
        archive = check_zip(data, filename, settings.max_xlsx_expanded_bytes, settings.max_zip_members)
        with tempfile.TemporaryDirectory(prefix="charterplan-import-") as tmp:
            safe_extract(archive, Path(tmp))
            yaml_path = find_scenario_yaml(Path(tmp))
            if yaml_path is None:
                raise Problem(422, "the archive holds no scenario.yaml (at its top or in one folder)",
                              kind="bad-file")
            try:
                scenario = load_scenario(yaml_path.parent)
            except ScenarioInputError as exc:
                raise Problem(422, f"{len(exc.issues)} error(s) in the scenario; nothing was imported",
                              kind="import-errors", errors=[issue_dict(i) for i in exc.issues[:1000]],
                              error_count=len(exc.issues)) from None
        op = store_scenario(session, scenario)
        audit(session, principal, "import", "scenario", op.id, operation_id=op.id, people=len(scenario.people),
              flights=len(scenario.flights))
        session.commit()
        session.refresh(op)
        return op

    op = await run_in_threadpool(work)
    set_etag(response, op.version)
    return op


@router.get("/operations/{operation_id}/scenario.zip", response_class=Response,
            responses={200: {"content": {"application/zip": {}}}})
def export_scenario(operation_id: Id, principal: Officer, session: SessionDep) -> Response:
    """The operation as a scenario folder in a zip: `charterplan solve` reads it unchanged."""
    op = get_operation(session, operation_id)
    scenario = build_scenario(session, operation_id)
    with tempfile.TemporaryDirectory(prefix="charterplan-export-") as tmp:
        write_folder(scenario, Path(tmp) / "scenario")
        data = zip_folder(Path(tmp) / "scenario")
    audit_commit(session, principal, "export", "scenario", operation_id, operation_id=operation_id,
          people=len(scenario.people))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in op.name)[:60] or "scenario"
    return Response(content=data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{safe}.zip"',
                             "Cache-Control": "no-store"})
