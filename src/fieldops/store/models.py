"""SQLAlchemy 2.0 models: the relational form of the domain objects.

Instants are stored in UTC (``UTCDateTime``) and durations as float seconds, so
date filters compare correctly on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names keep Alembic migrations identical on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REQUEST_STATUSES = (
    "new", "scheduled", "dispatched", "en_route", "on_site", "done", "cancelled",
)
PLAN_STATUSES = ("queued", "solving", "done", "failed", "cancelled")
ROSTER_STATUSES = PLAN_STATUSES
ROLES = ("admin", "dispatcher", "manager", "technician")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps no offset, so normalise both ways."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def _in_utc(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) and value.tzinfo else value


@event.listens_for(Base, "mapper_configured", propagate=True)
def _instants_in_utc(mapper: Any, cls: type) -> None:
    """A row reads the same before and after a round trip through the database: an
    instant assigned with any offset is held in UTC at once (so an answer rendered
    from the row just written equals the one read back later)."""
    for prop in mapper.column_attrs:
        if any(isinstance(col.type, UTCDateTime) for col in prop.columns):
            event.listen(prop.class_attribute, "set", _in_utc, retval=True)


class ApiKey(Base):
    """A Bearer API key. Only the SHA-256 of the key is kept (keys are 256-bit random)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    technician_id: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("technicians.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # When the key last authenticated a request, to the minute (written at most once
    # a minute per key: see fieldops.store.keys.LAST_USED_EVERY).
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SkillRow(Base):
    """The catalogue of skill names (filled as technicians and requests use them)."""

    __tablename__ = "skills"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class TechnicianRow(Base):
    __tablename__ = "technicians"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    home_address: Mapped[str | None] = mapped_column(Text, nullable=True)
    home_matrix_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    territory: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cost_per_hour: Mapped[float] = mapped_column(Float, default=0.0)
    capacity: Mapped[float | None] = mapped_column(Float, nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    skills: Mapped[list[TechnicianSkill]] = relationship(
        cascade="all, delete-orphan", order_by="TechnicianSkill.position", lazy="selectin"
    )


class TechnicianSkill(Base):
    __tablename__ = "technician_skills"
    technician_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(200), ForeignKey("skills.name"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ShiftRow(Base):
    __tablename__ = "shifts"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    technician_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime] = mapped_column(index=True)
    start_location: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    end_location: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    lunch_duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    lunch_earliest_start: Mapped[datetime | None] = mapped_column(nullable=True)
    lunch_latest_start: Mapped[datetime | None] = mapped_column(nullable=True)
    max_overtime_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContractTierRow(Base):
    __tablename__ = "contract_tiers"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    response_time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    next_business_day: Mapped[bool] = mapped_column(Boolean, default=False)
    business_day_end: Mapped[str] = mapped_column(String(8), default="17:00")
    lateness_weight: Mapped[float] = mapped_column(Float, default=1.0)


class CustomerRow(Base):
    """A customer; its visit history is its requests that reached ``done``."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Technician ids every new request of this customer prefers (softly) unless the
    # request names its own ``preferred_technicians``.
    preferred_technicians: Mapped[list[Any]] = mapped_column(default=list)


class RequestRow(Base):
    __tablename__ = "service_requests"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("customers.id"), nullable=True, index=True
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    matrix_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_s: Mapped[float] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    contract_tier: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("contract_tiers.name"), nullable=True
    )
    created_at: Mapped[datetime | None] = mapped_column(nullable=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    preferred_technicians: Mapped[list[Any]] = mapped_column(default=list)
    required_technicians: Mapped[list[Any]] = mapped_column(default=list)
    excluded_technicians: Mapped[list[Any]] = mapped_column(default=list)
    pinned_technician: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("technicians.id"), nullable=True
    )
    pinned_start: Mapped[datetime | None] = mapped_column(nullable=True)
    load: Mapped[float] = mapped_column(Float, default=0.0)
    job_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The assignment of the latest publish that placed this request (ETA, ownership).
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    assigned_technician_id: Mapped[str | None] = mapped_column(
        String(200), nullable=True, index=True
    )
    assigned_shift_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    planned_arrival: Mapped[datetime | None] = mapped_column(nullable=True)
    planned_start: Mapped[datetime | None] = mapped_column(nullable=True)
    planned_end: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    windows: Mapped[list[RequestWindow]] = relationship(
        cascade="all, delete-orphan", order_by="RequestWindow.start", lazy="selectin"
    )
    skills: Mapped[list[RequestSkill]] = relationship(
        cascade="all, delete-orphan", order_by="RequestSkill.position", lazy="selectin"
    )


class RequestWindow(Base):
    __tablename__ = "request_windows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[datetime]
    end: Mapped[datetime]


class RequestSkill(Base):
    __tablename__ = "request_skills"
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(200), ForeignKey("skills.name"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class StatusEvent(Base):
    """One status change of a service request (the tracking history)."""

    __tablename__ = "request_status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class PlanRow(Base):
    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    horizon_start: Mapped[datetime]
    horizon_end: Mapped[datetime]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problem: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    best_objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    elapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    solutions: Mapped[int] = mapped_column(Integer, default=0)
    assigned: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Lease: the worker refreshes heartbeat_at while solving; a stale one means it died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The result as JSON text, written once when the solve ends: GET /plans/{id}
    # splices it into the answer instead of decoding and re-encoding ~120 KB.
    result_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A live-day proposal (insertion, move, replan): the day, the day's version it was
    # built on, its as_of, its diff and cost against the published plan (issue 17).
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    as_of: Mapped[datetime | None] = mapped_column(nullable=True)
    diff: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    cost: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class PlanAssignment(Base):
    """One assigned job of a plan, for ETA queries and calendars."""

    __tablename__ = "plan_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[str] = mapped_column(String(200), index=True)
    shift_id: Mapped[str] = mapped_column(String(200))
    technician_id: Mapped[str] = mapped_column(String(200), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    arrival: Mapped[datetime]
    start: Mapped[datetime]
    end: Mapped[datetime]


class PlanPublish(Base):
    """Every publish of a plan, so calendar feeds can be rebuilt from history."""

    __tablename__ = "plan_publishes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("plans.id", ondelete="CASCADE"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    published_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
    )


class FeedToken(Base):
    """A technician's calendar-feed token (hashed like API keys)."""

    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technician_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("technicians.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class TrackingToken(Base):
    """A customer's tracking-link token for one request (hashed like API keys).

    It expires some days after the job (computed from the request when it is used,
    so a rescheduled job keeps its link alive); ``prepare`` lists what the customer
    should get ready, shown on the page.
    """

    __tablename__ = "tracking_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prepare: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RatingRow(Base):
    """A customer's 1-5 rating of a completed visit: at most one per request (the
    unique constraint makes two racing submissions store exactly one)."""

    __tablename__ = "ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), unique=True
    )
    # Kept as plain ids: the rating outlives a deleted technician's row.
    technician_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    customer_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When the visit was done (the day it counts for), and when it was rated.
    visit_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerContact(Base):
    """A logged contact with a customer (a call, an e-mail, a chat, ...)."""

    __tablename__ = "customer_contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """A POST answered under an ``Idempotency-Key``; replayed on a retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_plan_assignments_plan_tech", PlanAssignment.plan_id, PlanAssignment.technician_id)


class RosterRow(Base):
    """A contact-center roster solve: the submitted problem, its progress and result.

    Agents are not stored on their own: a roster carries its whole problem (agents,
    contracts, templates, coverage) as submitted, like a plan's problem snapshot.
    ``horizon_start``/``horizon_end`` are the problem's local midnights as UTC
    instants, so calendar feeds can pick the rosters overlapping their window.
    """

    __tablename__ = "rosters"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    start_day: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    horizon_start: Mapped[datetime]
    horizon_end: Mapped[datetime]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problem: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # The solver's own verdict (optimal, feasible, time_limit, infeasible, ...).
    solver_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # {"valid": bool, "violations": [...]} from the independent validator.
    validation: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    best_objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    elapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    solutions: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Lease, as for plans: a stale heartbeat means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RosterAgent(Base):
    """An agent named by a roster's problem: which rosters concern which agent.

    Written with the roster, so feed tokens and feeds can find an agent's rosters
    without decoding problem JSON.
    """

    __tablename__ = "roster_agents"
    roster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rosters.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)


class RosterShift(Base):
    """One shift of a finished roster (agent, day, template, instants, break)."""

    __tablename__ = "roster_shifts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rosters.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[str] = mapped_column(String(200), index=True)
    day: Mapped[date] = mapped_column(Date)
    template_id: Mapped[str] = mapped_column(String(200))
    template_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    break_start: Mapped[datetime | None] = mapped_column(nullable=True)
    break_end: Mapped[datetime | None] = mapped_column(nullable=True)
    # Queues worked during the shift, in order of first appearance.
    queues: Mapped[list[Any]] = mapped_column(default=list)


class RosterPublish(Base):
    """Every publish of a roster, so agents' feeds can be rebuilt from history."""

    __tablename__ = "roster_publishes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("rosters.id", ondelete="CASCADE"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    published_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
    )


class AgentFeedToken(Base):
    """An agent's calendar-feed token (hashed). ``agent_id`` is the caller's id as it
    appears in rosters, not a foreign key: a roster may carry agents that are not
    kept in ``agents`` (:class:`AgentRow`)."""

    __tablename__ = "agent_feed_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AgentRow(Base):
    """A contact-center agent kept between rosters (``/api/v1/agents``, CSV import).

    ``data`` is the agent JSON of a roster problem (skills with proficiency,
    days off, unavailability, templates, preferences); a roster request may name
    agents by id and gets this JSON in their place. ``contract`` is a contract id
    that each roster problem defines. The id is the HR system's, as in rosters.
    """

    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    contract: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ForecastRow(Base):
    """A forecast made by ``POST /api/v1/forecasts``, kept so a roster request can name
    it (``forecast_id``) instead of sending its volumes again.

    ``document`` is the endpoint's answer (``forecast_to_json``: the forecast records,
    back-test, missing intervals); ``interval`` its ISO 8601 interval length.
    """

    __tablename__ = "forecasts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    interval: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PublicationDay(Base):
    """One row per UTC date some published plan covers: the lock publishing takes.

    Publishing a plan locks the rows of every date its horizon touches (``SELECT …
    FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway), so two publishes of
    the same day run one after the other, and the second sees the first's ``plan_id``.
    """

    __tablename__ = "publication_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class LiveDayRow(Base):
    """The live state of one local date: its version and its current full-day plan.

    ``version`` goes up with every change of the day (a publish, an event, a status
    change of one of its requests): the ETag of ``GET /days/{date}`` and the base a
    proposal is checked against when published. ``problem`` / ``plan`` are the
    day's whole problem and the plan in force (the morning plan with every published
    live proposal merged in, history kept), the state :class:`LiveDay` is built from.
    """

    __tablename__ = "live_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    timezone: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    problem: Mapped[dict[str, Any]] = mapped_column()
    plan: Mapped[dict[str, Any]] = mapped_column()


class DayEventRow(Base):
    """One reported event of a live day (unavailable, delay, cancelled)."""

    __tablename__ = "day_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    type: Mapped[str] = mapped_column(String(16))
    technician_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column()
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)


class FeedDocument(Base):
    """A calendar feed rendered at publish time (technician or agent), with its ETag.

    ``valid_from``/``valid_until`` bound the instants for which the feed's sliding
    window (7 days back, 30 ahead) selects exactly the events in ``body``; outside
    them the feed is rebuilt. ``url_root`` is the API root the job URLs point to.
    """

    __tablename__ = "feed_documents"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime | None] = mapped_column(nullable=True)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    url_root: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_roster_shifts_roster_agent", RosterShift.roster_id, RosterShift.agent_id)


class BookingRow(Base):
    """A request's booked appointment (issue 18): the promised window and where the
    booking put it. One row per request; a reschedule rewrites it, a cancel marks
    it ``cancelled``."""

    __tablename__ = "bookings"
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), default="booked")
    day: Mapped[date] = mapped_column(Date, index=True)  # local date of the slot
    start: Mapped[datetime]
    end: Mapped[datetime]
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The request's own windows before the first booking replaced them with the
    # slot ([[start, end], ...] ISO instants): a reschedule offers within them again.
    original_windows: Mapped[list[Any]] = mapped_column(default=list)


class SlotHold(Base):
    """An offered slot held for one request until ``expires_at`` (then it is as if it
    never existed: every reader ignores expired holds, the next write deletes them)."""

    __tablename__ = "slot_holds"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("service_requests.id", ondelete="CASCADE"), unique=True
    )
    day: Mapped[date] = mapped_column(Date, index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
