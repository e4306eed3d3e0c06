"""Marshmallow schemas: request/response shapes for validation and the OpenAPI document.

The bodies of domain types (technicians, shifts, tiers, requests, roster params)
use the one schema of each type in :mod:`fieldops.schemas`, so the API, the CLI
and the store share one definition and one error path per field; the other
shapes here are the API's own (pages, plans, keys, status updates).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from fieldops.domain._checks import MAX_ID_LENGTH
from fieldops.schemas import dispatch as ds
from fieldops.schemas import roster as rs
from fieldops.schemas._base import DomainSchema, Key, List, Mapping_, Nested, Num, Text
from fieldops.schemas.scalars import EARLIEST_INSTANT, LATEST_INSTANT
from fieldops.store.models import PLAN_STATUSES, REQUEST_STATUSES, ROLES, ROSTER_STATUSES

INSTANT = {"format": "date-time", "example": "2026-03-02T08:00:00+01:00",
           "description": "ISO 8601 instant with a UTC offset"}
#: An instant the API answers from its tables: always in UTC (docs/api.md, "Units").
STORED_INSTANT = {"format": "date-time", "example": "2026-03-02T07:00:00+00:00",
                  "description": "ISO 8601 instant, answered in UTC (+00:00)"}
#: Plan and roster results keep the JSON format the command line writes.
LOCAL_INSTANTS = ("; instants in the {what}'s timezone with their offset, as the "
                  "command line writes them (docs/json-format.md), not in UTC")
DURATION = {"example": "PT45M", "description": "ISO 8601 duration"}


def Instant(**kw: object) -> fields.String:
    """An instant the API answers (stored, so in UTC)."""
    return fields.String(metadata=dict(STORED_INSTANT), **kw)  # type: ignore[arg-type]


def InstantIn(**kw: object) -> fields.String:
    """An instant a client sends (any UTC offset)."""
    return fields.String(metadata=dict(INSTANT), **kw)  # type: ignore[arg-type]


def Duration(**kw: object) -> fields.String:
    return fields.String(metadata=dict(DURATION), **kw)  # type: ignore[arg-type]


def Id(**kw: Any) -> Key:
    """An id anywhere in the API (bodies and query filters): the domain's one id rule."""
    return Key(**kw)


class Stored(fields.Nested):
    """A result documented by its schema of :mod:`fieldops.schemas` and answered as
    stored: the row already holds that schema's JSON, so it is not dumped again
    (a day's plan is large, and ``GET /plans/{id}`` is read often)."""

    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return nested_obj


class Strict(Schema):
    class Meta:
        unknown = RAISE


MAX_KEY = MAX_ID_LENGTH  # characters in an id: the store's key columns
#: Longest free text of each kind the store's columns hold.
MAX_NAME, MAX_PHONE, MAX_EMAIL = 200, 64, 320


def _Key(**kw: Any) -> Key:
    """An id stored as a key (the domain's id rule, at most MAX_KEY characters)."""
    return Key(**kw)


def _Short(limit: int, **kw: Any) -> Text:
    """Free text stored in a column of ``limit`` characters."""
    return Text(validate=validate.Length(max=limit), **kw)


class _AsJson(DomainSchema):
    """An API body of a domain type: the schema of :mod:`fieldops.schemas`, checked
    in full (shape and meaning, errors naming the field), handed to the view as the
    JSON it was given; responses are written as the view built them."""

    @post_load(pass_original=True)
    def _build(self, data: dict[str, Any], original: Any, **kw: Any) -> Any:
        DomainSchema._build(self, data)
        return original

    def omit(self, obj: Any, data: dict[str, Any]) -> dict[str, Any]:
        return data


# Parts of a body: built into domain objects like any schema of fieldops.schemas.
LocationSchema = ds.LocationSchema
LunchSchema = ds.LunchSchema
WindowSchema = ds.WindowSchema


class SkillSchema(ds.SkillSchema):
    name = _Key(required=True)


class TechnicianSchema(_AsJson, ds.TechnicianSchema):
    id = _Key(required=True)
    name = _Short(MAX_NAME)
    skills = List(Nested(SkillSchema))
    territory = _Short(MAX_NAME, allow_none=True)
    email = _Short(MAX_EMAIL, allow_none=True)
    phone = _Short(MAX_PHONE, allow_none=True)


class ShiftSchema(_AsJson, ds.ShiftSchema):
    id = _Key(required=True)
    technician_id = _Key(required=True)


class TierSchema(_AsJson, ds.TierSchema):
    name = _Key(required=True)


class HorizonSchema(_AsJson, ds.WindowSchema):
    """The time window of a plan or roster, as given."""


class RequestSchema(_AsJson, ds.RequestSchema):
    id = _Key(required=True)
    customer_id = _Key(allow_none=True)
    required_skills = List(Nested(SkillSchema))
    contract_tier = _Key(allow_none=True)
    preferred_technicians = List(_Key())
    required_technicians = List(_Key())
    excluded_technicians = List(_Key())
    pinned_technician = _Key(allow_none=True)
    job_type = _Short(MAX_NAME, allow_none=True)
    customer_name = _Short(MAX_NAME, allow_none=True)
    customer_phone = _Short(MAX_PHONE, allow_none=True)


class RequestAssignmentSchema(Schema):
    """Where a request is planned (named apart from a roster's shift assignment)."""

    plan_id = fields.String()
    technician_id = fields.String()
    shift_id = fields.String()
    planned_arrival = Instant()
    planned_start = Instant()
    planned_end = Instant()


class RequestOutSchema(RequestSchema):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    status_changed_at = Instant()
    received_at = Instant()
    assignment = fields.Nested(RequestAssignmentSchema, allow_none=True)


class CustomerSchema(Strict):
    id = Id(required=True)
    name = _Short(MAX_NAME, allow_none=True)
    phone = _Short(MAX_PHONE, allow_none=True)
    email = _Short(MAX_EMAIL, allow_none=True)
    address = Text(allow_none=True)
    preferred_technicians = fields.List(Id(), metadata={
        "description": "technicians every new request of this customer prefers (a soft "
                       "preference) unless the request names its own"})


class CustomerOutSchema(CustomerSchema):
    created_at = Instant()


class SkillCatalogueSchema(Strict):
    name = Id(required=True)
    description = fields.String(allow_none=True)


class KeyCreateSchema(Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    technician_id = Id(allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=200))


class KeyOutSchema(Schema):
    id = fields.Integer()
    prefix = fields.String()
    role = fields.String()
    technician_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    created_at = Instant()
    revoked_at = Instant(allow_none=True)
    # When the key last authenticated a request, to the minute (null: never).
    last_used_at = Instant(allow_none=True)
    key = fields.String(allow_none=True, metadata={
        "description": "the secret; returned once, on creation (null on a replay)"})
    detail = fields.String(metadata={"description": "only on an Idempotency-Key replay: "
                                     "the secret is shown once and was not kept"})


class FeedTokenOutSchema(Schema):
    id = fields.Integer()
    technician_id = fields.String()
    created_at = Instant()
    token = fields.String()


class StatusUpdateSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    at = InstantIn(allow_none=True)


class StatusEventSchema(Schema):
    status = fields.String()
    previous = fields.String(allow_none=True)
    at = Instant()
    actor = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    plan_id = fields.String(allow_none=True)


class TrackingSchema(Schema):
    id = fields.String()
    status = fields.String()
    eta = fields.String(allow_none=True, metadata={
        **INSTANT, "description": "the live expected start of service (statuses and delays "
                                  "applied), never before the window opens"})
    planned_start = Instant(allow_none=True)
    technician_id = fields.String(allow_none=True)
    history = fields.List(fields.Nested(StatusEventSchema))


class VisitSchema(Schema):
    request_id = fields.String()
    job_type = fields.String(allow_none=True)
    technician_id = fields.String(allow_none=True)
    done_at = Instant(allow_none=True)


def _storable(value: datetime) -> None:
    """An instant a filter may compare with stored ones: inside the range every
    instant the API accepts lies in (converting year 1 or 9999 to UTC overflows)."""
    try:
        ok = EARLIEST_INSTANT <= value < LATEST_INSTANT
    except OverflowError:
        ok = False
    if not ok:
        raise ValidationError(f"must lie between the years {EARLIEST_INSTANT.year} and "
                              f"{LATEST_INSTANT.year - 1}")


class ContactSchema(Strict):
    channel = fields.String(required=True, metadata={
        "description": "phone, email, chat, sms, visit, letter or other"})
    at = fields.AwareDateTime(load_default=None, validate=_storable, metadata={
        **INSTANT, "description": "when the contact happened (default: now)"})
    summary = Text(required=True, validate=validate.Length(min=1, max=2000))
    request_id = Id(allow_none=True, load_default=None)


class ContactOutSchema(Schema):
    id = fields.Integer()
    customer_id = fields.String()
    channel = fields.String()
    at = Instant()
    summary = fields.String()
    request_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    created_at = Instant()


class HistoryEntrySchema(Schema):
    kind = fields.String(metadata={"description": "visit, rating or contact"})
    at = Instant()
    request_id = fields.String(allow_none=True)
    technician_id = fields.String(allow_none=True)
    job_type = fields.String(allow_none=True, metadata={"description": "visits"})
    rating = fields.Integer(metadata={"description": "ratings: 1-5"})
    comment = fields.String(allow_none=True, metadata={"description": "ratings"})
    id = fields.Integer(metadata={"description": "contacts"})
    channel = fields.String(metadata={"description": "contacts"})
    summary = fields.String(metadata={"description": "contacts"})
    actor = fields.String(allow_none=True, metadata={"description": "contacts"})


class SatisfactionArgs(Strict):
    from_ = fields.AwareDateTime(data_key="from", load_default=None, validate=_storable,
                                 metadata={"description": "visits done at or after this instant"})
    to = fields.AwareDateTime(load_default=None, validate=_storable, metadata={
        "description": "visits done before this instant"})
    timezone = fields.String(load_default="UTC", metadata={
        "description": "IANA zone whose calendar days by_day uses"})
    technician_id = Id()


class SatisfactionGroupSchema(Schema):
    technician_id = fields.String()
    name = fields.String(allow_none=True)
    date = fields.String(metadata={"description": "YYYY-MM-DD in the asked time zone"})
    count = fields.Integer()
    average = fields.Float()
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "how many ratings of each score, \"1\" to \"5\""})


class SatisfactionSchema(Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    timezone = fields.String()
    by_technician = fields.List(fields.Nested(SatisfactionGroupSchema))
    by_day = fields.List(fields.Nested(SatisfactionGroupSchema))


class SolveParamsSchema(Strict):
    time_limit = fields.Float(metadata={"description": "seconds"})
    seed = fields.Integer()
    workers = fields.Integer()
    first_solution = fields.String()
    metaheuristic = fields.String()
    distribute = fields.Dict(metadata={
        "description": "territory decomposition over the Celery workers, e.g. "
                       "{\"enabled\": true, \"territory_jobs\": 500} (docs/scaling.md)"})


class PlanCreateSchema(Strict):
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    timezone = fields.String(required=True, metadata={"example": "Europe/Berlin"})
    horizon = fields.Nested(HorizonSchema, required=True)
    technician_ids = fields.List(Id(), allow_none=True, metadata={
        "description": "default: every technician with a shift in the horizon"})
    request_ids = fields.List(Id(), allow_none=True, metadata={
        "description": "default: every request in status new, scheduled or dispatched"})
    params = fields.Nested(SolveParamsSchema, load_default=dict)
    travel = fields.Dict(allow_none=True)
    weights = fields.Dict(allow_none=True)


class ProgressSchema(Schema):
    best_objective = fields.Float(allow_none=True)
    elapsed = fields.Float(allow_none=True, metadata={"description": "seconds"})
    solutions = fields.Integer()
    assigned = fields.Integer(allow_none=True)


class PlanOutSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))
    timezone = fields.String()
    horizon = fields.Nested(HorizonSchema)
    params = fields.Dict()
    progress = fields.Nested(ProgressSchema)
    error = fields.String(allow_none=True)
    result = Stored(ds.PlanSchema, allow_none=True, metadata={
        "description": "the plan JSON (routes, KPIs, unassigned with reasons)"
                       + LOCAL_INSTANTS.format(what="plan")})
    created_by = fields.Integer(allow_none=True)
    created_at = Instant()
    started_at = Instant(allow_none=True)
    finished_at = Instant(allow_none=True)
    published_at = Instant(allow_none=True)
    # A live-day proposal only (docs/api.md, "The live day").
    kind = fields.String(metadata={"description": "insertion, move or replan"})
    base_version = fields.String(metadata={"description": "the day's version it was built on"})
    as_of = Instant()
    diff = fields.Dict(allow_none=True)
    cost = fields.Dict(allow_none=True)


class PublishSchema(Strict):
    dispatch = fields.Boolean(load_default=False, metadata={
        "description": "move assigned requests to dispatched instead of scheduled"})


class PublishOutSchema(Schema):
    plan_id = fields.String()
    published_at = Instant()
    scheduled = fields.List(fields.String())
    dispatched = fields.List(fields.String(), metadata={
        "description": "assigned requests moved to dispatched (publish with dispatch)"})
    unscheduled = fields.List(fields.String())
    skipped = fields.List(fields.String())


class AgentSchema(_AsJson, rs.AgentSchema):
    """A contact-center agent as a roster problem's ``agents[]`` holds it."""

    id = _Key(required=True)
    name = _Short(MAX_NAME)
    email = _Short(MAX_EMAIL, allow_none=True)
    contract = _Key(required=True, metadata={
        "description": "contract id, defined by each roster problem that names the agent"})


class AgentImportOutSchema(Schema):
    created = fields.Integer(metadata={"description": "agents new to the store"})
    updated = fields.Integer(metadata={"description": "agents already stored, replaced"})
    ids = fields.List(fields.String())


class ImportOutSchema(Schema):
    created = fields.Integer()
    ids = fields.List(fields.String())


class PageArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    from_ = fields.AwareDateTime(data_key="from", load_default=None, validate=_storable)
    to = fields.AwareDateTime(load_default=None, validate=_storable)


class RequestListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(REQUEST_STATUSES))
    technician_id = Id()
    customer_id = Id()
    after = fields.String(validate=validate.Length(min=1, max=1000), metadata={
        "description": "keyset paging: the next_after of the previous page (instead "
                       "of page)"})


class ShiftListArgs(PageArgs):
    technician_id = Id()


class PlanListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))


class RosterParamsSchema(_AsJson, rs.RosterParamsSchema):
    time_limit = Num(metadata={"description": "seconds (default 60, at most MAX_SOLVE_SECONDS)"})


class RosterCreateSchema(Strict):
    name = fields.String(allow_none=True, validate=validate.Length(max=200))
    problem = fields.Dict(required=True, metadata={
        "description": "the roster problem JSON (docs/workforce.md, Rostering)"})
    params = fields.Nested(RosterParamsSchema, load_default=dict)
    volumes = fields.List(fields.Dict(), allow_none=True, metadata={
        "description": "forecast records {interval_start, queue, offered, aht | "
                       "aht_seconds} on the problem's interval: the result then has "
                       "`predicted`, the service level per interval and queue"})
    forecast_id = fields.String(allow_none=True, metadata={
        "description": "instead of volumes: the id of a forecast made by POST /forecasts "
                       "(on the problem's interval)"})
    target = fields.Dict(allow_none=True, metadata={"description": "StaffingTarget "
                                                     "(with volumes or forecast_id)"})
    queues = fields.Dict(allow_none=True, metadata={"description": "{queue id: QueueSpec} "
                                                     "(with volumes or forecast_id)"})
    what_if = fields.Dict(allow_none=True, metadata={
        "description": "scenario {volume_factor, aht_factor, shrinkage} (with volumes or "
                       "forecast_id)"})


class RosterProgressSchema(Schema):
    best_objective = fields.Float(allow_none=True)
    elapsed = fields.Float(allow_none=True, metadata={"description": "seconds"})
    solutions = fields.Integer()


class RosterValidationSchema(Schema):
    valid = fields.Boolean()
    violations = fields.List(fields.String())


class RosterResultSchema(rs.RosterSchema):
    """The roster JSON as a roster resource holds it: written with its problem, so
    with the problem's name and zone, the totals and each agent's totals."""

    problem_name = Text(allow_none=True)
    timezone = Text(allow_none=True)
    totals = Mapping_(metadata={"description": "{shifts, required, staffed, short, over}; "
                                "staffed, short and over count capacity (a learner "
                                "half an agent), so may be fractions"})
    verdict = Text(metadata={"description": "the status in words, with the shortfall: "
                             "'optimal for the agents available, 334 agent-intervals short'"})
    agents = List(Mapping_(), metadata={
        "description": "per agent: shifts, paid time, nights, weekends worked"})
    predicted = Mapping_(allow_none=True)


class RosterOutSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(ROSTER_STATUSES))
    timezone = fields.String()
    start = fields.String(metadata={"format": "date", "description": "first day (local)"})
    days = fields.Integer()
    horizon = fields.Nested(HorizonSchema)
    params = fields.Dict()
    predict = fields.Dict(allow_none=True, metadata={
        "description": "with volumes or forecast_id: {volumes (row count), forecast_id, "
                       "target, queues, what_if}"})
    progress = fields.Nested(RosterProgressSchema)
    error = fields.String(allow_none=True)
    solver_status = fields.String(allow_none=True, metadata={
        "description": "optimal, feasible, time_limit, cancelled, infeasible or no_solution"})
    verdict = fields.String(allow_none=True, metadata={
        "description": "solver_status in words, honest about coverage: 'optimal for the "
                       "agents available, N agent-intervals short' (null until finished)"})
    validation = fields.Nested(RosterValidationSchema, allow_none=True, metadata={
        "description": "the independent validator's verdict on the result"})
    result = Stored(RosterResultSchema, allow_none=True, metadata={
        "description": "the roster JSON (assignments, coverage, penalties, totals)"
                       + LOCAL_INSTANTS.format(what="roster")})
    created_by = fields.Integer(allow_none=True)
    created_at = Instant()
    started_at = Instant(allow_none=True)
    finished_at = Instant(allow_none=True)
    published_at = Instant(allow_none=True)


class RosterPublishOutSchema(Schema):
    roster_id = fields.String()
    published_at = Instant()
    agents = fields.Integer(metadata={"description": "agents of the roster's problem"})
    shifts = fields.Integer(metadata={"description": "shifts published"})


class RosterListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(ROSTER_STATUSES))


class AgentListArgs(PageArgs):
    contract = Id()


def page_schema(item: type[Schema], name: str, *, keyset: bool = False) -> type[Schema]:
    """A page envelope ``{items, page, per_page, total}`` around ``item``
    (``keyset``: with ``next_after``, the cursor of the following page)."""
    envelope: dict[str, fields.Field] = {
        "items": fields.List(fields.Nested(item)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    }
    if keyset:
        envelope["next_after"] = fields.String(allow_none=True, metadata={
            "description": "pass as after for the next page (null: this page is the "
                           "last one)"})
    return Schema.from_dict(envelope, name=name)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    field = fields.String(metadata={"description": "the offending input field"})
    row = fields.Integer(metadata={"description": "1-based row of a bulk import"})
    errors = fields.List(fields.Dict())
