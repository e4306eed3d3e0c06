"""Request and response shapes of the slot endpoints (api/views/slots.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldops.api.schemas import Duration, Id, Instant, Strict
from fieldops.services.slots import DEFAULT_DAYS, MAX_BULK, MAX_DAYS, MAX_HOLD_MINUTES

SLOT_ID = {"example": "2026-12-07T08:00:00Z/2026-12-07T10:00:00Z",
           "description": "'<start>/<end>' of the slot, as offers give it"}
#: Most offers one answer lists when ``limit`` is given.
MAX_LIMIT = 1000


class SlotOfferArgs(Strict):
    from_ = fields.Date(data_key="from", load_default=None, metadata={
        "description": "first date (default: today in the business time zone)"})
    days = fields.Integer(load_default=DEFAULT_DAYS, validate=validate.Range(1, MAX_DAYS),
                          metadata={"description": "working days (dates with shifts) looked at"})
    grid = fields.String(load_default=None, metadata={
        "example": "PT2H", "description": "slot length, ISO 8601 (default: the SLOT_GRID "
                                          "setting)"})
    limit = fields.Integer(load_default=None, validate=validate.Range(1, MAX_LIMIT))
    as_of = Instant(load_default=None)


class BulkOfferArgs(SlotOfferArgs):
    request_ids = fields.List(Id(), required=True,
                              validate=validate.Length(min=1, max=MAX_BULK))


class SlotCostSchema(Schema):
    added_travel_s = fields.Integer()
    disruption = fields.Float()
    added_cost = fields.Float(metadata={"description": "objective units; the ranking key"})


class SlotSchema(Schema):
    slot_id = fields.String(metadata=SLOT_ID)
    date = fields.String(metadata={"description": "local date of the slot"})
    start = Instant()
    end = Instant()
    earliest_arrival = Instant()
    latest_arrival = Instant()
    rank = fields.Integer()
    cost = fields.Nested(SlotCostSchema)


class OfferDaySchema(Schema):
    date = fields.String()
    offers = fields.Integer()
    published_plan_id = fields.String(allow_none=True)


class OfferSetSchema(Schema):
    request_id = fields.String()
    as_of = Instant()
    grid = Duration()
    offers = fields.List(fields.Nested(SlotSchema))
    days = fields.List(fields.Nested(OfferDaySchema))


class BulkErrorSchema(Schema):
    code = fields.String()
    message = fields.String()


class BulkItemSchema(Schema):
    request_id = fields.String()
    offers = fields.List(fields.Nested(SlotSchema))
    error = fields.Nested(BulkErrorSchema)


class BulkOutSchema(Schema):
    results = fields.List(fields.Nested(BulkItemSchema))


class SlotChoice(Strict):
    """A slot named by ``slot_id`` or by ``start`` and ``end``."""

    slot_id = fields.String(metadata=SLOT_ID)
    start = Instant()
    end = Instant()


class HoldArgs(SlotChoice):
    minutes = fields.Integer(load_default=10, validate=validate.Range(1, MAX_HOLD_MINUTES))


class HoldSchema(Schema):
    hold_id = fields.String()
    request_id = fields.String()
    date = fields.String()
    slot_id = fields.String(metadata=SLOT_ID)
    start = Instant()
    end = Instant()
    expires_at = Instant()


class BookingArgs(SlotChoice):
    hold_id = fields.String(validate=validate.Length(max=36))


class CancelArgs(Strict):
    reason = fields.String(load_default=None, validate=validate.Length(max=1000))


class BookingSchema(Schema):
    request_id = fields.String()
    status = fields.String(validate=validate.OneOf(("booked", "cancelled")))
    date = fields.String()
    slot_id = fields.String(metadata=SLOT_ID)
    start = Instant()
    end = Instant()
    booked_at = Instant()
    plan_id = fields.String(allow_none=True)
    technician_id = fields.String(allow_none=True)
    planned_start = Instant(allow_none=True)
    planned_end = Instant(allow_none=True)
