"""SQLModel tables. Keys are surrogate integers; domain ids (case_id, flight id, ...) are unique per operation.

Every updatable row has a `version` that increases on each change: it is the ETag, and a conditional UPDATE on
it turns two concurrent edits into one success and one 409 instead of a lost update.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint, false
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Keyed(SQLModel):
    """A surrogate integer key."""

    id: int | None = Field(default=None, primary_key=True)


class InOperation(Keyed):
    """A row that belongs to an operation."""

    operation_id: int = Field(foreign_key="operation.id", index=True)


class Versioned(SQLModel):
    """The row's version: its ETag, and the condition of every update (docs/architecture.md)."""

    version: int = 1


class CodedData(InOperation, Versioned):
    """A resource stored as the planner's model dump (`data`), found by its id in the operation (`code`,
    unique per operation through each table's own constraint)."""

    code: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)


class User(Keyed, Versioned, table=True):
    __tablename__ = "app_user"

    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    #: in every access token; incremented by a password, role or status change and by "sign out everywhere",
    #: which ends every token issued before (docs/security.md)
    session_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class RevokedToken(SQLModel, table=True):
    """An access token signed out before it expired (its SHA-256; kept until its expiry, then purged)."""

    __tablename__ = "revoked_token"

    token_hash: str = Field(max_length=64, primary_key=True)
    expires_at: datetime = Field(index=True)


class ApiToken(Keyed, table=True):
    __tablename__ = "api_token"

    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=128, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked: bool = False


class Operation(Keyed, Versioned, table=True):
    name: str = Field(max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    as_of: str = Field(max_length=40)  # ISO 8601 with offset, as in scenario.yaml
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Protocol(Keyed, Versioned, table=True):
    """The operation's protocol as the planner's `Protocol` model dumps it (one row per operation)."""

    operation_id: int = Field(foreign_key="operation.id", unique=True, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Household(InOperation, Versioned, table=True):
    """Households seen in the caseload; members point at it by `household_id` code."""

    __table_args__ = (UniqueConstraint("operation_id", "code"),)

    code: str = Field(max_length=64)
    notes: str = Field(default="", max_length=2000)


class Person(InOperation, Versioned, table=True):
    """One returnee (docs/architecture.md#people-file). Erasure blanks the personal fields and keeps the row as a
    tombstone."""

    __table_args__ = (
        UniqueConstraint("operation_id", "case_id"),
        Index("ix_person_op_dest", "operation_id", "destination"),
        Index("ix_person_op_loc", "operation_id", "location"),
        Index("ix_person_op_household", "operation_id", "household_id"),
        Index("ix_person_op_erased_case", "operation_id", "erased", "case_id"),  # people pages (migration 0007)
    )

    case_id: str = Field(max_length=64)
    household_id: str = Field(max_length=64)
    given_name: str = Field(default="", max_length=200)
    family_name: str = Field(default="", max_length=200)
    name_native: str = Field(default="", max_length=200)
    sex: str = Field(max_length=1)
    date_of_birth: date | None = None
    nationality: str = Field(max_length=3)
    destination: str = Field(max_length=3)
    location: str = Field(max_length=100)
    testing_site: str | None = Field(default=None, max_length=64)
    consent: str = Field(max_length=16)
    consent_date: date | None = None
    consent_note: str = Field(default="", max_length=2000)
    document_type: str = Field(max_length=16)
    document_number: str = Field(default="", max_length=64)
    document_expiry: date | None = None
    exit_cleared: bool = False
    fitness: str = Field(default="pending", max_length=20)
    mobility: str = Field(default="none", max_length=8)
    pregnant: bool = False
    evacuation_capable: bool = True
    unaccompanied_minor: bool = False
    best_interests_approved: bool = False
    reception_contact: str = Field(default="", max_length=500)
    vaccinated: bool = False
    last_positive_test: date | None = None
    last_test_sample: str | None = Field(default=None, max_length=40)  # ISO 8601 with offset
    last_test_result: str | None = Field(default=None, max_length=16)
    registered_on: date | None = None
    vulnerabilities: str = Field(default="", max_length=500)  # ";code;code;" so a LIKE filter is exact
    notes: str = Field(default="", max_length=4000)
    # Fields a newer planner adds before the table has a column for them; kept, never dropped.
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    erased: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class Flight(CodedData, table=True):
    """A charter flight; `data` is the planner's `Flight` model dump."""

    __table_args__ = (UniqueConstraint("operation_id", "code"),)

    departure: str = Field(max_length=40)
    locked: bool = False


class AircraftType(CodedData, table=True):
    """A seat map an operation adds to the bundled library types; `data` is the planner's `AircraftType`."""

    __tablename__ = "aircraft_type"
    __table_args__ = (UniqueConstraint("operation_id", "code"),)


class TestingSite(CodedData, table=True):
    """A testing site; `data` is the planner's `TestingSite` without its explicit slots."""

    __test__ = False
    __tablename__ = "testing_site"
    __table_args__ = (UniqueConstraint("operation_id", "code"),)


class TestingSlot(Keyed, table=True):
    """An explicitly listed sampling slot; a site without any uses its opening hours and slot length."""

    __test__ = False
    __tablename__ = "testing_slot"

    site_id: int = Field(foreign_key="testing_site.id", index=True)
    start: str = Field(max_length=40)
    end: str = Field(max_length=40)
    capacity: int | None = None


class Escort(CodedData, table=True):
    __table_args__ = (UniqueConstraint("operation_id", "code"),)


class Pin(InOperation, Versioned, table=True):
    """Keeps a household on a flight (and a person on a seat) in the next solve (docs/rules.md#pins)."""

    __table_args__ = (UniqueConstraint("operation_id", "case_id"),)

    case_id: str = Field(max_length=64)
    flight_id: str = Field(max_length=64)
    seat: str | None = Field(default=None, max_length=8)


class Plan(InOperation, Versioned, table=True):
    """A plan version; published versions never change (only their `stale` flag)."""

    __table_args__ = (UniqueConstraint("operation_id", "number"),)

    number: int
    state: str = Field(default="draft", max_length=16)  # draft | published
    solver_status: str = Field(max_length=16)  # optimal | feasible | stopped | greedy
    scenario_sha256: str = Field(default="", max_length=64)
    people: int = 0
    assigned: int = 0
    unassigned: int = 0
    reason_counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Counts per flight (reasons of unassigned people, passengers), computed once when the plan is stored.
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False,
                                                                           server_default="{}"))
    stale: bool = False
    job_id: int | None = None
    previous_plan_id: int | None = None
    # A what-if plan: solved on the operation with this variant applied (never publishable). `variant` keeps
    # the document it was solved with, so comparisons rebuild its scenario even after the variant changes.
    variant_id: int | None = Field(default=None, index=True)
    variant: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)
    published_at: datetime | None = None
    published_by: str | None = Field(default=None, max_length=64)


class PlanBody(SQLModel, table=True):
    """The plan JSON (case_ids only), megabytes at 7,000 people, in a table of its own.

    SQLite reaches a row's later columns through the overflow pages of a long value before them, so a body
    inside the plan row made every read of a plan's counts walk megabytes."""

    __tablename__ = "plan_body"

    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    body: str = Field(sa_column=Column(Text, nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The model's Core table (its `__table__`, which SQLModel's types do not declare)."""
    table = sa_inspect(model).local_table
    assert isinstance(table, Table)
    return table


def plan_json(session: Any, plan_id: int) -> str:
    """The stored plan document of a plan row."""
    row = session.get(PlanBody, plan_id)
    if row is None:
        raise LookupError(f"plan {plan_id} has no stored document")
    return str(row.body)


class Assignment(Keyed, table=True):
    """One person's line in a plan, for fast manifests, filters and explanations."""

    __table_args__ = (
        Index("ix_assignment_plan_flight", "plan_id", "flight_id"),
        Index("ix_assignment_plan_case", "plan_id", "case_id"),
    )

    plan_id: int = Field(foreign_key="plan.id")
    case_id: str = Field(max_length=64)
    flight_id: str | None = Field(default=None, max_length=64)
    seat: str | None = Field(default=None, max_length=8)
    lap_of: str | None = Field(default=None, max_length=64)
    provisional: bool = False
    test_site: str | None = Field(default=None, max_length=64)
    test_start: str | None = Field(default=None, max_length=40)
    test_end: str | None = Field(default=None, max_length=40)
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class SolveJob(InOperation, table=True):
    __tablename__ = "solve_job"

    status: str = Field(default="queued", max_length=16, index=True)
    time_limit: float
    replan: bool = False
    previous_plan_id: int | None = None
    # A re-plan's options: flights whose lock is lifted (["all"]: every flight), and a full re-optimisation
    # (nothing kept but the departed flights).
    unlock: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    full: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    variant_id: int | None = None
    seat: bool = True  # False: allocation and test slots only (what-if runs that compare KPIs)
    stop_requested: bool = False
    # Who owns the job now (docs/deployment.md, "Jobs, leases and retries"): the replica that queued it in its
    # local pool, or the worker that claimed it; "" while it waits in the broker. The owner renews the lease;
    # once `lease_expires_at` passes, any replica or worker re-queues the job (at most `job_max_attempts` claims).
    runner: str = Field(default="", max_length=64)
    lease_expires_at: datetime | None = Field(default=None, index=True)
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    worker: str = Field(default="", sa_column=Column(String(128), nullable=False, server_default=""))
    dispatched_at: datetime | None = None
    stage: str | None = Field(default=None, max_length=64)
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    elapsed: float | None = None
    message: str | None = Field(default=None, max_length=500)
    progress_at: datetime | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    violations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    plan_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    created_by: str = Field(default="", max_length=64)


class Variant(InOperation, Versioned, table=True):
    """A what-if variant of an operation (docs/what-if.md); `base` is always the operation itself.

    `document` is the text as the coordinator sent it (comments and order kept); `data` is its parsed form.
    """

    __table_args__ = (UniqueConstraint("operation_id", "name"),)

    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    document: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=64)


class AuditEntry(Keyed, table=True):
    """Append-only: the API has no route that changes it, and database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64, index=True)
    resource: str = Field(max_length=64)
    resource_id: str | None = Field(default=None, max_length=128)
    operation_id: int | None = Field(default=None, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
