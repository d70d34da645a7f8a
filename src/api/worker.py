"""What runs inside a solve worker process: build the scenario, solve, validate, store the plan.

The worker talks to the database itself, so progress and the final plan need no channel to the web process
(every replica reads them there); every write is conditional on the job still being `running` under this
worker's owner id (api.leases), so a worker that lost its job (interrupted, or handed to another worker after
its lease ran out) can never overwrite anything, and a job completes once.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import insert, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from api import models as m
from api.db import make_engine
from api.leases import Heartbeat, claim

log = logging.getLogger("api.worker")
_ENGINES: dict[str, Engine] = {}


def init_worker(nice: int) -> None:
    """Pool initializer: lower the priority so solving never starves request handling."""
    if nice and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)


def load(path: str) -> Any:
    """Resolve "module:attribute" (the solver and validator are settings, so tests can swap them)."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def _engine(url: str, busy_ms: int) -> Engine:
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url, busy_ms, pool_size=2)
    return _ENGINES[url]


def _running(job_id: int, runner: str) -> Any:
    return (m.SolveJob.id == job_id) & (m.SolveJob.status == "running") & (m.SolveJob.runner == runner)


class DbStopSignal:
    """`is_set()` for the planner: a stop requested through the API, a lost job, or the hard deadline."""

    def __init__(self, engine: Engine, job_id: int, runner: str, deadline: float, poll: float = 0.5,
                 lost: Any = None):
        self.engine, self.job_id, self.runner, self.deadline, self.poll = engine, job_id, runner, deadline, poll
        self.lost = lost  # threading.Event of the lease's heartbeat, when this process keeps the lease itself
        self._checked = 0.0
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if self._set or now >= self.deadline or (self.lost is not None and self.lost.is_set()):
            self._set = True
            return True
        if now - self._checked >= self.poll:
            self._checked = now
            with Session(self.engine) as s:
                job = s.get(m.SolveJob, self.job_id)
                self._set = job is None or job.stop_requested or job.status != "running" or job.runner != self.runner
        return self._set


class ProgressWriter:
    """The planner's progress callback; writes to the job row at most once per `interval` seconds, and at once
    when the stage changes (so the stage a reader sees follows the solve into seating and validation)."""

    def __init__(self, engine: Engine, job_id: int, runner: str, interval: float):
        self.engine, self.job_id, self.runner, self.interval = engine, job_id, runner, interval
        self._last = 0.0
        self._stage: str | None = None
        self.latest: Any = None

    def __call__(self, progress: Any) -> None:
        self.latest = progress
        now = time.monotonic()
        if now - self._last >= self.interval or progress.stage != self._stage:
            self._last = now
            self._stage = progress.stage
            self.flush()

    def flush(self) -> None:
        p = self.latest
        if p is None:
            return
        with Session(self.engine) as s:
            s.execute(update(m.SolveJob).where(_running(self.job_id, self.runner)).values(
                stage=str(p.stage)[:64], objective=p.objective, bound=p.bound, gap=p.gap, elapsed=p.elapsed,
                message=str(p.message)[:500] if p.message else None, progress_at=m.utcnow()))
            s.commit()


@dataclass
class _JobInput:
    """What a claimed job solves: the scenario (a variant applied), the plan it starts from, pins, unlocks."""

    operation_id: int
    time_limit: float
    seat: bool
    full: bool
    previous_plan_id: int | None
    variant_id: int | None
    scenario: Any
    previous: Any
    pins: list[dict[str, Any]]
    unlock: set[str] | Literal["all"] | None
    excluded: dict[str, str] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None


def run_job(job_id: int, runner: str, cfg: dict[str, Any], owner: str | None = None) -> str:
    """Entry point in the worker process; returns the final status (the database holds the details).

    `runner` is the owner the queued job must have (this replica for the local pool, "" for the broker);
    `owner` the id this claim runs under (a Celery worker's, which then renews the lease itself)."""
    claimed_at = time.monotonic()  # the job's time limit counts from here: loading and storing are inside it
    engine = _engine(cfg["database_url"], cfg["busy_timeout_ms"])
    owner = owner or runner
    if not claim(engine, job_id, runner, owner, cfg["lease_seconds"], cfg["max_attempts"]):
        return "skipped"  # stopped meanwhile, claimed by another delivery, or already ended
    heartbeat = Heartbeat(engine, owner, cfg["lease_seconds"], job_id).start() if owner != runner else None
    try:
        with Session(engine) as s:
            job = s.get(m.SolveJob, job_id)
            assert job is not None
            given = _job_input(s, job)
            if job.variant_id is not None:
                try:
                    given.scenario, given.excluded, given.snapshot = _apply_stored_variant(s, job.variant_id,
                                                                                           given.scenario)
                except Exception as exc:
                    _finish(engine, job_id, owner, status="failed", error=f"{type(exc).__name__}: {exc}"[:4000])
                    return "failed"
                given.pins = _pins_in(given.scenario, given.excluded, given.pins)
        return _solve_and_store(engine, job_id, owner, cfg, given, claimed_at,
                                heartbeat.lost if heartbeat is not None else None)
    finally:
        if heartbeat is not None:
            heartbeat.stop()


def _job_input(s: Session, job: m.SolveJob) -> _JobInput:
    """Load what the job solves from the operation (the caller applies a variant)."""
    from api.scenario_store import build_scenario
    from planner.model.plan import Plan
    from planner.whatif.replan import departed_only, lock_flights

    scenario = build_scenario(s, job.operation_id)
    previous = None
    if job.previous_plan_id is not None:
        prev = s.get(m.Plan, job.previous_plan_id)
        previous = Plan.model_validate_json(m.plan_json(s, prev.id)) if prev is not None else None
        if previous is not None and prev is not None and prev.state == "published":
            # publishing marks every flight locked in the body; plans published before that still lock
            previous = lock_flights(previous)
        if previous is not None and job.full:
            previous = departed_only(scenario, previous)  # nothing kept but the departed flights
    pins = [{"case_id": p.case_id, "flight_id": p.flight_id, **({"seat": p.seat} if p.seat else {})}
            for p in s.exec(select(m.Pin).where(m.Pin.operation_id == job.operation_id)
                            .order_by(m.Pin.case_id)).all()]
    return _JobInput(job.operation_id, job.time_limit, job.seat, job.full, job.previous_plan_id, job.variant_id,
                     scenario, previous, pins, "all" if job.unlock == ["all"] else (set(job.unlock or []) or None))


def _solve_and_store(engine: Engine, job_id: int, runner: str, cfg: dict[str, Any], given: _JobInput,
                     claimed_at: float, lost: Any = None) -> str:
    """Solve, validate against the plan it started from, and store it; a plan breaking a hard rule is not
    stored."""
    from planner.model.options import Progress, SolveOptions
    from planner.model.plan import Plan
    from planner.pipeline.deadline import Deadline
    from planner.whatif.pins import parse_pins, pinned_start

    # The job's wall-clock limit covers the whole job, from claiming it to storing the plan (docs/cli.md, "Time
    # budget"): the planner splits what is left between its stages. At `time_limit + job_grace_seconds` the
    # stop signal ends the solve (a safety net), which still returns a complete plan (later stages run greedy).
    time_limit, previous = given.time_limit, given.previous
    deadline = Deadline.after(time_limit, start=claimed_at)
    stop = DbStopSignal(engine, job_id, runner, claimed_at + time_limit + cfg["job_grace_seconds"], lost=lost)
    progress = ProgressWriter(engine, job_id, runner, cfg["progress_interval"])
    options = SolveOptions(time_limit=time_limit, seating_time_limit=cfg["seating_time_limit"],
                           workers=cfg["cpsat_workers"], seating_processes=cfg["seating_processes"],
                           seat=given.seat, on_progress=progress, stop=stop, deadline=deadline,
                           pins=parse_pins(given.pins), excluded=given.excluded or {},
                           unlock="all" if given.full else (given.unlock or None))
    try:
        plan = load(cfg["solver"])(given.scenario, previous, options)
        progress(Progress("validate", elapsed=deadline.elapsed(), limit=time_limit))
        # the plan the solve started from (an empty one for a first plan) lets the validator tell carried-over
        # bookings and departed flights from new ones; seat pins move kept passengers on purpose
        start = pinned_start(previous, given.pins) if previous is not None else Plan(scenario=plan.scenario)
        violations = list(load(cfg["validator"])(given.scenario, plan, start))
    except Exception as exc:
        # Only the type goes to the log; the job row (readable by authorised users) gets the message.
        log.error("solve job %s failed: %s", job_id, type(exc).__name__)
        _finish(engine, job_id, runner, status="failed", error=f"{type(exc).__name__}: {exc}"[:4000])
        return "failed"
    if violations:
        progress.flush()
        _finish(engine, job_id, runner, status="failed",
                error=f"the plan breaks {len(violations)} hard rule(s); it was not stored",
                violations=[v.model_dump() if hasattr(v, "model_dump") else dict(v) for v in violations][:1000])
        return "failed"
    progress(Progress("storing", elapsed=deadline.elapsed(), limit=time_limit))
    progress.flush()
    stopped = stop.is_set() or plan.status == "stopped"
    return store_plan(engine, job_id, runner, given.operation_id, plan, "stopped" if stopped else "succeeded",
                      previous_plan_id=given.previous_plan_id, variant_id=given.variant_id, variant=given.snapshot,
                      scenario=given.scenario)


def _apply_stored_variant(session: Session, variant_id: int, base: Any) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """The operation's scenario with a stored variant applied, its excluded households, and the variant as run.

    The snapshot goes with the plan, so a comparison rebuilds the same scenario after the variant is edited.
    """
    from planner.io.loading import ScenarioInputError
    from planner.whatif.variant_files import parse_variant
    from planner.whatif.variants import apply_variant

    row = session.get(m.Variant, variant_id)
    if row is None:
        raise LookupError(f"variant {variant_id} was deleted before its run started")
    try:
        vs = apply_variant(base, parse_variant({**row.data, "base": "operation"}, row.name))
    except ScenarioInputError as exc:
        raise ValueError("the variant no longer applies to the operation: "
                         + "; ".join(str(i) for i in exc.issues[:20])) from None
    return vs.scenario, vs.excluded, {"id": row.id, "name": row.name, "version": row.version, "data": row.data}


def _pins_in(scenario: Any, excluded: dict[str, str], pins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pins that still make sense in a variant: on a flight it keeps, for a household it plans."""
    flights = {f.id for f in scenario.flights}
    household = {p.case_id: p.household_id for p in scenario.people}
    return [p for p in pins if p["flight_id"] in flights and household.get(p["case_id"]) not in excluded]


def store_plan(engine: Engine, job_id: int | None, runner: str, operation_id: int, plan: Any, status: str,
               previous_plan_id: int | None = None, created_by: str = "", variant_id: int | None = None,
               variant: dict[str, Any] | None = None, scenario: Any = None) -> str:
    """Store the plan, its assignment rows and the job's end in one transaction (all or nothing).

    Jobs of one operation (variant runs, sweep points) finish in parallel on several workers: two may take the
    same next plan number; the one that loses the unique constraint tries again with the next. `scenario`, the
    one solved, spells out reasons for "all" flights in the per-flight reason counts."""
    assignments, reason_counts = plan_rows(plan)
    summary = plan_summary(assignments, scenario)
    summary["escorts_by_flight"] = {fp.flight_id: [e.model_dump() for e in fp.escorts] for fp in plan.flights}
    for attempt in range(5):
        try:
            return _store_once(engine, job_id, runner, operation_id, plan, status, assignments, reason_counts,
                               summary, previous_plan_id, created_by, variant_id, variant)
        except IntegrityError:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _store_once(engine: Engine, job_id: int | None, runner: str, operation_id: int, plan: Any, status: str,
                assignments: list[dict[str, Any]], reason_counts: dict[str, int], summary: dict[str, Any],
                previous_plan_id: int | None, created_by: str, variant_id: int | None,
                variant: dict[str, Any] | None) -> str:
    with Session(engine) as s:
        number = (s.exec(select(func.max(m.Plan.number)).where(m.Plan.operation_id == operation_id)).one() or 0) + 1
        if job_id is not None and not created_by:
            job = s.get(m.SolveJob, job_id)
            created_by = job.created_by if job else ""
        row = m.Plan(operation_id=operation_id, number=number, state="draft", solver_status=plan.status,
                     scenario_sha256=plan.scenario.sha256, people=len(assignments),
                     assigned=sum(1 for a in assignments if a["flight_id"]),
                     unassigned=sum(1 for a in assignments if not a["flight_id"]),
                     reason_counts=reason_counts, summary=summary, job_id=job_id,
                     previous_plan_id=previous_plan_id, variant_id=variant_id, variant=variant,
                     created_by=created_by)
        s.add(row)
        s.flush()
        s.add(m.PlanBody(plan_id=row.id, body=plan.to_json()))
        if assignments:
            s.execute(insert(m.Assignment), [{**a, "plan_id": row.id} for a in assignments])
        if job_id is not None:
            done = s.execute(update(m.SolveJob).where(_running(job_id, runner)).values(
                status=status, plan_id=row.id, finished_at=m.utcnow(), stage="done", lease_expires_at=None))
            # an UPDATE or DELETE executes to a CursorResult; Session.execute is typed as Result
            if cast("CursorResult[Any]", done).rowcount != 1:
                s.rollback()  # the job was interrupted meanwhile: keep no orphan plan
                return "discarded"
        s.commit()
    return status


def plan_rows(plan: Any) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One assignment row per person of the plan, and people counted per reason code."""
    tests = {t.person_id: t for t in plan.tests if t.person_id}
    rows: list[dict[str, Any]] = []

    def test_cols(case_id: str) -> dict[str, Any]:
        t = tests.get(case_id)
        if t is None:
            return {"test_site": None, "test_start": None, "test_end": None}
        return {"test_site": t.site_id, "test_start": t.start.isoformat(), "test_end": t.end.isoformat()}

    for fp in plan.flights:
        provisional = set(fp.provisional)
        for p in fp.passengers:
            rows.append({"case_id": p.person_id, "flight_id": fp.flight_id, "seat": p.seat, "lap_of": p.lap_of,
                         "provisional": p.person_id in provisional, "reasons": [], **test_cols(p.person_id)})
    counts: Counter[str] = Counter()
    for u in plan.unassigned:
        reasons = [r.model_dump(mode="json") for r in u.reasons]  # once per reason, with its flights
        counts.update({r["code"] for r in reasons})
        rows.append({"case_id": u.person_id, "flight_id": None, "seat": None, "lap_of": None,
                     "provisional": False, "reasons": reasons, **test_cols(u.person_id)})
    return rows, dict(sorted(counts.items()))


def plan_summary(assignments: list[dict[str, Any]], scenario: Any = None) -> dict[str, Any]:
    """People per reason code and flight, and passengers per flight, for the reason summary endpoint. A reason
    for "all" flights counts on each flight to the person's destination (from `scenario`; "(all)" without it)."""
    from api.stored_reasons import flights_of, grouped
    from planner.model.reasons import serving_flights

    destination = {p.case_id: p.destination for p in scenario.people} if scenario is not None else {}
    serving: dict[str, list[str]] = {}
    by_flight: dict[str, Counter[str]] = {}
    passengers: Counter[str] = Counter()
    for a in assignments:
        if a["flight_id"]:
            passengers[a["flight_id"]] += 1
            continue
        dest = destination.get(a["case_id"])
        if dest is not None and dest not in serving:
            serving[dest] = serving_flights(scenario, dest)
        pairs: set[tuple[str, str]] = set()
        for r in grouped(a["reasons"]):
            flights = flights_of(r, serving.get(dest) if dest is not None else None)
            named = flights or ["(any)" if r.get("flights") is None else "(all)"]
            pairs.update((r["code"], f) for f in named)
        for code, flight in pairs:
            by_flight.setdefault(flight, Counter())[code] += 1
    return {"by_flight": {f: dict(sorted(c.items())) for f, c in sorted(by_flight.items())},
            "passengers_by_flight": dict(sorted(passengers.items()))}


def _finish(engine: Engine, job_id: int, runner: str, **values: Any) -> None:
    with Session(engine) as s:
        s.execute(update(m.SolveJob).where(_running(job_id, runner)).values(finished_at=m.utcnow(),
                                                                          lease_expires_at=None, **values))
        s.commit()
