"""Scenario exchange over HTTP: a zip of the scenario folder, in and out (docs/architecture.md#scenario-folder)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api.audit import audit, audit_commit
from api.content_disposition import content_disposition
from api.deps import Coordinator, Officer, SessionDep, SettingsDep
from api.lookups import get_operation
from api.memberships import add_creator
from api.params import Id
from api.routers.operations import OperationRead
from api.scenario_files import write_folder, zip_folder
from api.scenario_store import build_scenario, store_scenario
from api.uploads import input_problem, limits_of, read_limited
from api.versions import set_etag
from planner.io.input_errors import ScenarioInputError
from planner.io.scenario_archive import load_scenario_archive

router = APIRouter(tags=["scenarios"])


@router.post("/operations/import", status_code=201, response_model=OperationRead)
async def import_scenario(principal: Coordinator, session: SessionDep, response: Response, settings: SettingsDep,
                          file: Annotated[UploadFile, File(description="zip of a scenario folder")]) -> Any:
    """Create an operation from a zipped scenario folder, checked exactly as the CLI checks it.

    The archive is read in memory: the people file scenario.yaml names must be a member of it (never a file
    of the server), and members are unpacked as streams within the expansion limit (docs/input.md)."""
    filename = (file.filename or "scenario.zip").rsplit("/", 1)[-1][:200]
    data = await read_limited(file, settings.max_upload_bytes, filename)

    def work() -> Any:
        try:
            scenario = load_scenario_archive(data, filename, limits_of(settings))
        except ScenarioInputError as exc:
            raise input_problem(exc, "the scenario") from None
        op = store_scenario(session, scenario)
        add_creator(session, principal, op.id or 0)  # the creator becomes a member (api.memberships)
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
    return Response(content=data, media_type="application/zip",
                    headers={"Content-Disposition": content_disposition(op.name or "scenario", "zip"),
                             "Cache-Control": "no-store"})
