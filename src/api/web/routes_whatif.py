"""What-if: variants made with forms (more charters, bigger aircraft, more lab capacity, test window), runs,
side-by-side comparison with SVG charts, and sweeps (a grid of variants run together).

Variants are stored and run through the API's `create_variant` and `run_variants`; the comparison is the
API's `build_comparison` (`planner.whatif.compare`). Plans are named by their number. See docs/web.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select

from api import models as m
from api.auth import Principal
from api.deps import FleetSlotsDep, JobsDep, SessionDep, SettingsDep
from api.lookups import get_operation
from api.params import Id
from api.problems import ApiProblem
from api.web import data, i18n, labels, planning
from api.web.charts import grouped_chart
from api.web.routes_plans import TIME_LIMITS, problem_words
from api.web.session import form, page
from api.web.templating import render

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page("viewer"))]
OfficerForm = Annotated[Principal, Depends(form("officer"))]
CoordinatorForm = Annotated[Principal, Depends(form("coordinator"))]
LAB_FACTORS = ("0.5", "0.75", "1.25", "1.5", "2")
WINDOWS = (24, 48, 72, 96)
RUN_LIMITS = (2, 5, 10, 30, 60, 120)
SWEEP_PREFIX = "sweep: "


def _destinations(session: Any, operation_id: int) -> list[str]:
    row = session.exec(select(m.Protocol).where(m.Protocol.operation_id == operation_id)).first()
    return sorted((row.data.get("destinations") or {}).keys()) if row else []


def _latest_plans(newest: list[m.Plan]) -> dict[int | None, m.Plan]:
    """The newest plan of each variant (key None: the newest plan of the operation itself) among `newest`, the
    operation's plans newest first."""
    out: dict[int | None, m.Plan] = {}
    for plan in newest:
        out.setdefault(plan.variant_id, plan)
    return out


def _context(session: Any, operation_id: int) -> dict[str, Any]:
    from planner.seating.seatmaps import library

    variants = list(session.exec(select(m.Variant).where(m.Variant.operation_id == operation_id)
                                 .order_by(m.Variant.name)).all())
    custom = sorted(session.exec(select(m.AircraftType.code).where(
        m.AircraftType.operation_id == operation_id)).all())
    running = list(session.exec(select(m.SolveJob).where(
        m.SolveJob.operation_id == operation_id, col(m.SolveJob.status).in_(("queued", "running")))
        .order_by(col(m.SolveJob.id))).all())
    newest = planning.plans(session, operation_id, limit=500)  # one read for the list and each variant's newest
    plans = newest[:60]
    names = {v.id: v.name for v in variants}
    latest = _latest_plans(newest)
    sweep = [(v.name.removeprefix(SWEEP_PREFIX), latest[v.id]) for v in variants
             if v.name.startswith(SWEEP_PREFIX) and v.id in latest]
    sweep_chart = grouped_chart([n for n, _ in sweep], ["on a flight"],
                                         [[p.assigned] for _, p in sweep], bar_w=48) if sweep else None
    return {"variants": variants, "latest": latest, "running": running, "sweep": sweep,
            "sweep_chart": sweep_chart, "sweep_numbers": ",".join(str(p.number) for _, p in sweep),
            "flights": data.flights(session, operation_id, None), "aircraft": sorted(set(library()) | set(custom)),
            "destinations": _destinations(session, operation_id), "lab_factors": LAB_FACTORS, "windows": WINDOWS,
            "run_limits": RUN_LIMITS, "time_limits": TIME_LIMITS, "plans": plans, "variant_names": names,
            "job_status": labels.JOB_STATUS, "solver_status": labels.SOLVER_STATUS, "section": "whatif"}


def _page(request: Request, session: Any, op: m.Operation, status_code: int = 200, **extra: Any) -> Response:
    return render(request, "whatif/index.html", {"op": op, **_context(session, op.id or 0), **extra},
                  status_code=status_code)


@router.get("/operations/{operation_id}/what-if", name="web.whatif")
def whatif_page(request: Request, operation_id: Id, _: Viewer, session: SessionDep) -> Response:
    op = get_operation(session, operation_id)
    return _page(request, session, op, created=request.query_params.get("created"),
                 started=request.query_params.get("started"))


def document_from_form(formdata: Any) -> dict[str, Any] | str:
    """The variant document (`charterplan.variant/1`, base = the operation) a form describes; the API checks it."""
    kind = str(formdata.get("kind") or "")
    name = str(formdata.get("name") or "").strip()
    description = str(formdata.get("description") or "").strip()
    doc: dict[str, Any] = {"format": "charterplan.variant/1", "name": name, "description": description}
    if kind == "charters":
        like = str(formdata.get("like") or "")
        copies = max(1, min(int(_number(formdata.get("copies"), 1)), 10))
        days = _number(formdata.get("days_apart"), 1)
        doc["flights"] = {"add": [{"like": like, "id": f"{like}-W{i}"[:64], "shift_hours": 24 * days * i}
                                  for i in range(1, copies + 1)]}
        summary = f"{copies} more flight(s) like {like}, every {days:g} day(s) after it"
    elif kind == "aircraft":
        aircraft = str(formdata.get("aircraft") or "")
        flights = [str(f) for f in formdata.getlist("flight")]
        doc["flights"] = {"update": [{"id": f, "aircraft": aircraft} for f in flights]}
        summary = f"{aircraft} on {', '.join(flights) or 'no flight'}"
    elif kind == "lab":
        factor = _number(formdata.get("factor"), 1.5)
        doc["testing_sites"] = {"scale": {"daily_capacity": factor, "capacity_per_slot": factor}}
        summary = f"lab capacity × {factor:g} at every site"
    elif kind == "window":
        hours = int(_number(formdata.get("window_hours"), 72))
        destinations = [str(d) for d in formdata.getlist("destination")]
        doc["protocol"] = {"destinations": {d: {"window_hours": hours} for d in destinations}}
        summary = f"test valid {hours} h before flights to {', '.join(destinations) or 'no destination'}"
    elif kind == "document":
        return str(formdata.get("document") or "")
    else:
        raise ValueError("kind")
    if not description:
        doc["description"] = summary
    return doc


def _number(value: Any, default: float) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default


@router.post("/operations/{operation_id}/what-if/variants", name="web.variant_create")
def create_variant_form(request: Request, operation_id: Id, principal: CoordinatorForm,
                        session: SessionDep) -> Response:
    from api.routers.variants import VariantCreate, create_variant

    op = get_operation(session, operation_id)
    try:
        document = document_from_form(request.state.form)
        row = create_variant(operation_id, VariantCreate(document=document), principal, session, Response())
    except ValueError:
        return _page(request, session, op, 422, variant_problem=i18n.gettext_("Choose what the variant changes."))
    except ApiProblem as exc:
        session.rollback()
        return _page(request, session, op, exc.status, variant_problem=problem_words(exc),
                     variant_errors=exc.extra.get("errors", []))
    return RedirectResponse(f"/operations/{operation_id}/what-if?created={row.id}#variants", status_code=303)


def _run(session: Any, settings: Any, manager: Any, operation_id: int, principal: Principal, ids: list[int],
         base: bool, limit: float, seat: bool) -> list[m.SolveJob]:
    from api.routers.variants import VariantRunRequest, run_variants

    body = VariantRunRequest(variant_ids=ids, base=base, time_limit=limit, seat=seat)
    return list(run_variants(operation_id, body, principal, session, settings, manager)["jobs"])


@router.post("/operations/{operation_id}/what-if/run", name="web.variant_run")
def run_form(request: Request, operation_id: Id, principal: OfficerForm, session: SessionDep, settings: SettingsDep,
             manager: JobsDep) -> Response:
    """Run the ticked variants (and the operation itself as the reference, if ticked) in parallel."""
    op = get_operation(session, operation_id)
    formdata = request.state.form
    ids = [int(v) for v in formdata.getlist("variant") if str(v).isdigit()]
    limit = _number(formdata.get("time_limit"), 10)
    try:
        jobs = _run(session, settings, manager, operation_id, principal, ids, formdata.get("base") == "on", limit,
                    formdata.get("seat") == "on")
    except (ApiProblem, ValidationError) as exc:
        session.rollback()
        detail = problem_words(exc) if isinstance(exc, ApiProblem) else i18n.gettext_("Check the time limit.")
        return _page(request, session, op, exc.status if isinstance(exc, ApiProblem) else 422, run_problem=detail)
    started = ",".join(str(j.id) for j in jobs)
    return RedirectResponse(f"/operations/{operation_id}/what-if?started={started}#runs", status_code=303)


@router.post("/operations/{operation_id}/what-if/sweep", name="web.sweep")
def sweep_form(request: Request, operation_id: Id, principal: CoordinatorForm, session: SessionDep,
               settings: SettingsDep, manager: JobsDep) -> Response:
    """A grid of charters kept (the first n by departure) × lab capacity factors: one variant per point
    (made once, reused by later sweeps), all run together without seating (the comparison's KPIs)."""
    from api.routers.variants import VariantCreate, create_variant

    op = get_operation(session, operation_id)
    formdata = request.state.form
    counts = sorted({int(v) for v in formdata.getlist("charters") if str(v).isdigit()})
    factors = sorted({_number(v, 1.0) for v in formdata.getlist("lab")})
    if not counts or not factors or len(counts) * len(factors) > 12:
        return _page(request, session, op, 422,
                     sweep_problem=i18n.gettext_("Tick at least one number of charters and one lab capacity, "
                                                 "at most 12 points in all."))
    existing = {v.name: v.id for v in session.exec(select(m.Variant).where(m.Variant.operation_id == operation_id))}
    ids = []
    try:
        for n in counts:
            for f in factors:
                name = f"{SWEEP_PREFIX}{n} charters, lab ×{f:g}"
                if name not in existing:
                    doc = {"format": "charterplan.variant/1", "name": name,
                           "description": f"first {n} charters by departure, lab capacity × {f:g}",
                           "flights": {"keep_first": n},
                           "testing_sites": {"scale": {"daily_capacity": f, "capacity_per_slot": f}}}
                    existing[name] = create_variant(operation_id, VariantCreate(document=doc), principal, session,
                                                    Response()).id
                ids.append(existing[name])
        jobs = _run(session, settings, manager, operation_id, principal, ids, False,
                    _number(formdata.get("time_limit"), 10), False)
    except ApiProblem as exc:
        session.rollback()
        return _page(request, session, op, exc.status, sweep_problem=problem_words(exc),
                     variant_errors=exc.extra.get("errors", []))
    started = ",".join(str(j.id) for j in jobs)
    return RedirectResponse(f"/operations/{operation_id}/what-if?started={started}#runs", status_code=303)


# ------------------------------------------------------------------------------------------ comparison


def _numbers(raw: str) -> list[int]:
    out = []
    for part in raw.split(","):
        part = part.strip()
        if part.isdigit() and part not in (str(n) for n in out):
            out.append(int(part))
    return out[:20]


def _row(table: dict[str, Any], key: str) -> list[Any] | None:
    for r in table["rows"]:
        if r["key"] == key:
            return list(r["values"])
    return None


def charts(table: dict[str, Any], headings: list[str]) -> dict[str, Any]:
    """Moved by variant, samples per day against lab capacity, seats used per flight against usable seats."""
    rows = table["rows"]
    out: dict[str, Any] = {}
    moved = _row(table, "moved") or []
    out["moved"] = grouped_chart(headings, ["moved"], [[v] for v in moved], bar_w=64) if moved else None
    days = [r for r in rows if r["key"].startswith("tests.") and r["key"].count(".") == 1]
    if days:
        caps = [(_row(table, "lab_capacity." + r["key"].split(".", 1)[1]) or [None] * len(headings)) for r in days]
        out["lab"] = grouped_chart([r["label"][5:] for r in days], headings,
                                            [list(r["values"]) for r in days], caps, bar_w=22)
    flights = [r for r in rows if r["key"].startswith("flight.") and r["key"].endswith(".seats_used")]
    if flights:
        caps = [(_row(table, r["key"].replace(".seats_used", ".seats")) or [None] * len(headings)) for r in flights]
        out["seats"] = grouped_chart([r["label"] for r in flights], headings,
                                              [list(r["values"]) for r in flights], caps, bar_w=22)
    return out


@router.get("/operations/{operation_id}/what-if/compare", name="web.compare")
def compare_page(request: Request, operation_id: Id, _: Viewer, session: SessionDep) -> Response:
    """Plans side by side: their numbers in `plans` (`plans=3,5` keeps that order, the first being the
    reference; ticked boxes `plans=5&plans=3` are put in ascending order)."""
    from api.routers.variants import build_comparison

    op = get_operation(session, operation_id)
    given = request.query_params.getlist("plans")
    numbers = _numbers(given[0][:300]) if len(given) == 1 else sorted(_numbers(",".join(given)[:300]))
    rows = [planning.plan_by_number(session, operation_id, n) for n in numbers]
    if len(rows) < 2:
        return _page(request, session, op, 422,
                     compare_problem=i18n.gettext_("Tick at least two plans to compare."))
    try:
        table, described, warnings = build_comparison(session, operation_id, [r.id or 0 for r in rows])
    except ApiProblem as exc:
        return _page(request, session, op, exc.status, compare_problem=problem_words(exc))
    result = table.to_json()
    headings = [i18n.gettext_("Plan %(n)s") % {"n": d["number"]} + (f" · {d['variant_name']}" if d["variant_name"]
                                                                       else "") for d in described]
    return render(request, "whatif/compare.html", {
        "op": op, "table": result, "plans": described, "headings": headings, "warnings": warnings,
        "charts": charts(result, headings), "numbers": ",".join(str(n) for n in numbers),
        "reason_codes": labels.REASONS, "section": "whatif"})


# ------------------------------------------------------------------------------------------ fleet sizing

CoordinatorPage = Annotated[Principal, Depends(page("coordinator"))]
FLEET_LIMITS = (5, 10, 30, 60, 120)


def _candidates(row: m.Variant) -> list[str]:
    """Flight ids a variant marks `optional` (updated or added)."""
    flights = (row.data or {}).get("flights") or {}
    return [str(f.get("id") or "") for key in ("update", "add") for f in flights.get(key) or []
            if isinstance(f, dict) and f.get("optional") is not None]


def _fleet_page(request: Request, session: Any, op: m.Operation, status_code: int = 200,
                **extra: Any) -> Response:
    variants = [(v, _candidates(v)) for v in session.exec(select(m.Variant).where(
        m.Variant.operation_id == op.id).order_by(m.Variant.name)).all()]
    with_candidates = [(v, c) for v, c in variants if c]
    return render(request, "whatif/fleet.html", {
        "op": op, "variants": with_candidates, "limits": FLEET_LIMITS, "section": "whatif",
        "values": {"by": "", "minimise": "count", "variant": "", "time_limit": "10"}, **extra},
        status_code=status_code)


@router.get("/operations/{operation_id}/what-if/fleet", name="web.fleet")
def fleet_page(request: Request, operation_id: Id, _: CoordinatorPage, session: SessionDep) -> Response:
    """The form: a date, fewest or cheapest, the variant whose optional flights are the candidates."""
    return _fleet_page(request, session, get_operation(session, operation_id))


@router.post("/operations/{operation_id}/what-if/fleet", name="web.fleet_run")
def fleet_form(request: Request, operation_id: Id, principal: CoordinatorForm, session: SessionDep,
               settings: SettingsDep, slots: FleetSlotsDep) -> Response:
    """Size the fleet (the API's `size_fleet`, within the chosen time) and show the answer under the form."""
    from datetime import date

    from api.routers.fleet import FleetRequest, fleet_scenario, size_fleet

    op = get_operation(session, operation_id)
    formdata = request.state.form
    values = {k: str(formdata.get(k) or "") for k in ("by", "minimise", "variant", "time_limit")}
    try:
        body = FleetRequest(by=date.fromisoformat(values["by"]) if values["by"] else None,
                            minimise="cost" if values["minimise"] == "cost" else "count",
                            variant_id=int(values["variant"]) if values["variant"].isdigit() else None,
                            time_limit=_number(values["time_limit"], 10))
    except (ValueError, ValidationError):
        return _fleet_page(request, session, op, 422, values=values,
                           fleet_problem=i18n.gettext_("Check the date and the time limit."))
    try:
        answer = size_fleet(operation_id, body, principal, session, settings, slots)
        scenario, _ = fleet_scenario(session, operation_id, body.variant_id)
    except ApiProblem as exc:
        session.rollback()
        return _fleet_page(request, session, op, exc.status, values=values, fleet_problem=problem_words(exc))
    costs = {f.id: f.optional.cost for f in scenario.flights if f.optional is not None}
    rows = ([(f, "book", costs.get(f)) for f in answer["chosen"]] + [(f, "spare", costs.get(f))
            for f in answer["dropped"]] + [(f, "booked", None) for f in answer["booked"]])
    return _fleet_page(request, session, op, values=values, answer=answer, rows=rows,
                       total=len(answer["chosen"]) + len(answer["dropped"]))
