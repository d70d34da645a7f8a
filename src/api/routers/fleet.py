"""Fleet sizing (docs/what-if.md): the fewest or cheapest `optional` charters that move everyone eligible by a date.

Candidates are the flights a stored variant marks `optional: {cost}` (the operation's own flights are booked);
without a variant, the operation's flights as they are. The answer is computed in the request's worker thread
within a time limit capped by the service's `max_time_limit`; at most `solve_workers` sizings run at once.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.audit import audit_commit
from api.deps import Coordinator, FleetSlotsDep, SessionDep, SettingsDep
from api.lookups import get_operation
from api.params import BodyId, Id
from api.problems import ApiProblem

router = APIRouter(tags=["what-if"])


class FleetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: date | None = Field(default=None, description="move everyone eligible on flights departing by this date "
                                                      "(local date at the origin); none: every flight")
    minimise: Literal["count", "cost"] = Field(default="count", description="the number of optional charters "
                                                                            "operated, or their total cost")
    variant_id: BodyId | None = Field(default=None, description="a stored variant of the operation whose "
                                                                "`optional` flights are the candidates")
    time_limit: float | None = Field(default=None, gt=0, le=86_400,
                                     description="wall-clock seconds; capped by the service's maximum")


class FleetRead(BaseModel):
    operation_id: int
    variant_id: int | None
    variant_name: str | None
    by: date | None
    minimise: str
    chosen: list[str] = Field(description="optional charters to book")
    dropped: list[str] = Field(description="optional charters not needed")
    booked: list[str] = Field(description="flights by the date that are not optional")
    value: int = Field(description="number or cost of the chosen charters")
    bound: int = Field(description="no choice does better than this")
    gap: float
    optimal: bool
    eligible_people: int
    moved_people: int
    moved_weight: int
    movable_weight_bound: int
    time_limit: float
    elapsed: float
    text: str = Field(description="the answer in words")


def fleet_scenario(session: Any, operation_id: int, variant_id: int | None) -> tuple[Any, str | None]:
    """The operation's scenario, with the stored variant applied (409 if it no longer applies)."""
    from api.routers.variants import get_variant
    from api.scenario_store import build_scenario
    from api.variant_documents import BASE
    from planner.io.loading import ScenarioInputError
    from planner.whatif.variant_files import parse_variant
    from planner.whatif.variants import apply_variant

    scenario = build_scenario(session, operation_id)
    if variant_id is None:
        return scenario, None
    row = get_variant(session, operation_id, variant_id)
    try:
        return apply_variant(scenario, parse_variant({**row.data, "base": BASE}, row.name)).scenario, row.name
    except ScenarioInputError as exc:
        raise ApiProblem(409, "the variant no longer applies to the operation: "
                      + "; ".join(str(i) for i in exc.issues[:5]), kind="variant-does-not-apply") from None


@router.post("/operations/{operation_id}/fleet-sizing", response_model=FleetRead)
def size_fleet(operation_id: Id, body: FleetRequest, principal: Coordinator, session: SessionDep,
               settings: SettingsDep, slots: FleetSlotsDep) -> Any:
    """The fewest (or cheapest) optional charters that move every person eligible by the date, with the
    solver's proof of optimality or its gap. 422 when no flight by the date is optional; 429 when as many
    sizings as solve workers are running."""
    from planner.model.caseload import departure_date
    from planner.model.options import SolveOptions
    from planner.whatif.fleet import size_fleet as plan_fleet

    get_operation(session, operation_id)
    scenario, variant_name = fleet_scenario(session, operation_id, body.variant_id)
    session.rollback()  # end the read transaction: the solve may take minutes
    candidates = [f.id for f in scenario.flights if f.optional is not None
                  and (body.by is None or departure_date(f, scenario) <= body.by)]
    if not candidates:
        raise ApiProblem(422, "no flight departing by the date is optional: mark candidates `optional: {cost: …}` in "
                      "a variant", kind="no-candidates",
                      errors=[{"field": "body.variant_id", "message": "no optional flight by the date"}])
    limit = min(body.time_limit or settings.default_time_limit, settings.max_time_limit)
    if not slots.acquire(blocking=False):
        raise ApiProblem(429, "as many fleet sizings as solve workers are running; try again shortly",
                      kind="queue-full", headers={"Retry-After": "30"})
    started = time.monotonic()
    try:
        result = plan_fleet(scenario, by=body.by, minimise=body.minimise,
                            options=SolveOptions(time_limit=limit, workers=settings.solve_workers))
    finally:
        slots.release()
    elapsed = round(time.monotonic() - started, 3)
    audit_commit(session, principal, "fleet-sizing", "operation", operation_id, operation_id=operation_id,
                 variant_id=body.variant_id, by=body.by.isoformat() if body.by else None, minimise=body.minimise,
                 time_limit=limit, chosen=result.chosen, value=result.value, optimal=result.optimal)
    return {"operation_id": operation_id, "variant_id": body.variant_id, "variant_name": variant_name,
            "by": body.by, "minimise": body.minimise, "chosen": result.chosen, "dropped": result.dropped,
            "booked": result.booked, "value": result.value, "bound": result.bound, "gap": round(result.gap, 6),
            "optimal": result.optimal, "eligible_people": result.eligible_people,
            "moved_people": result.moved_people, "moved_weight": result.moved_weight,
            "movable_weight_bound": result.movable_weight_bound, "time_limit": limit, "elapsed": elapsed,
            "text": result.to_text()}
