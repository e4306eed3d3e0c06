"""Request and response shapes of the live-day endpoints (``/days/{date}``, issue 17).

Kept apart from :mod:`fieldops.api.schemas` so the live-day contract reads in one
place; the shapes are documented in docs/api.md ("The live day").
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldops.api.schemas import INSTANT, Id, Instant, Strict


def At(description: str, *, allow_none: bool = False) -> fields.String:
    """An instant field with its own description."""
    return fields.String(metadata={**INSTANT, "description": description},
                         allow_none=allow_none)

EVENT_TYPES = ("unavailable", "delay", "cancelled")
MAX_REASON = 2000
INSERT_MODES = ("least_disruption", "sla_first")
MINUTES_PER_DAY = 24 * 60


class DayArgs(Schema):
    as_of = At("the view at this instant (default now)")


class TrackingArgs(Schema):
    as_of = At("the ETA as of this instant (default now)")


class EventInSchema(Strict):
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    technician_id = Id(metadata={"description": "unavailable: who"})
    request_id = Id(metadata={"description": "delay, cancelled: which job"})
    start = At("unavailable: from")
    end = At("unavailable: until (null: the rest of the day)", allow_none=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=MAX_REASON))
    expected_end = At("delay: the job's new expected end")
    at = At("cancelled: when (default reported_at)")
    reported_at = At("when it became known (default now)")


class EventOutSchema(Schema):
    class Meta:
        unknown = "include"

    id = fields.Integer()
    type = fields.String()
    technician_id = fields.String()
    request_id = fields.String()
    start = Instant()
    end = Instant(allow_none=True)
    reason = fields.String(allow_none=True)
    expected_end = Instant()
    at = Instant()
    reported_at = Instant()
    actor = fields.String(allow_none=True)


class ReportedSchema(Schema):
    event = fields.Nested(EventOutSchema)
    released = fields.List(fields.String())
    version = fields.String()


class DaySchema(Schema):
    date = fields.String()
    version = fields.String()
    as_of = Instant()
    published_plan_id = fields.String(allow_none=True)
    technicians = fields.List(fields.Dict(), metadata={
        "description": "per shift: availability, free time and place, stops with ETAs"})
    unassigned = fields.List(fields.Dict())
    events = fields.List(fields.Nested(EventOutSchema))


class InsertionInSchema(Strict):
    request_id = Id(required=True)
    as_of = Instant()
    mode = fields.String(validate=validate.OneOf(INSERT_MODES))


class MoveInSchema(Strict):
    request_id = Id(required=True)
    technician_id = Id(required=True)
    start = Instant()
    as_of = Instant()


class ReplanInSchema(Strict):
    as_of = Instant()
    time_limit = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    freeze_minutes = fields.Float(validate=validate.Range(min=0, max=MINUTES_PER_DAY))


class ProposalSchema(Schema):
    plan_id = fields.String()
    kind = fields.String()
    placement = fields.Dict(allow_none=True)
    diff = fields.Dict()
    cost = fields.Dict()
    base_version = fields.String()
    as_of = Instant()
    status = fields.String()
