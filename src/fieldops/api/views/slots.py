"""Appointment slots: offers, holds, booking, reschedule and cancel (docs/customers.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.ext import session
from fieldops.api.slot_schemas import (
    BookingArgs,
    BookingSchema,
    BulkOfferArgs,
    BulkOutSchema,
    CancelArgs,
    HoldArgs,
    HoldSchema,
    OfferSetSchema,
    SlotOfferArgs,
)
from fieldops.domain import TimeWindow
from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_instant
from fieldops.schemas.scalars import parse_duration
from fieldops.services import slots as svc
from fieldops.solver.slots import parse_slot_id
from fieldops.store.models import RequestRow

blp = Blueprint("slots", __name__, url_prefix="/api/v1",
                description="Appointment slots: offers, holds, booking, reschedule, cancel.")


def settings() -> svc.SlotSettings:
    """The business's slot settings (``SLOT_GRID``, ``TIMEZONE``)."""
    grid = current_app.config.get("SLOT_GRID") or svc.DEFAULT_GRID
    if isinstance(grid, str):
        grid = parse_duration(grid, "SLOT_GRID")
    assert isinstance(grid, timedelta)
    return svc.SlotSettings(grid=grid, timezone=current_app.config.get("TIMEZONE"))


def _query(args: dict[str, Any]) -> svc.OfferQuery:
    return svc.OfferQuery(
        first=args.get("from_"), days=args["days"], limit=args.get("limit"),
        grid=parse_duration(args["grid"], "grid") if args.get("grid") else None,
        as_of=parse_instant(args["as_of"], "as_of") if args.get("as_of") else None)


def _slot(body: dict[str, Any], *, hold_allowed: bool = False) -> TimeWindow | None:
    """The slot the body names: ``slot_id``, or ``start`` and ``end`` (or a hold)."""
    given = [k for k in ("slot_id", "start", "hold_id") if body.get(k)]
    if len(given) != 1 or ("start" in given) != bool(body.get("end")):
        what = "slot_id, start and end" + (", or hold_id" if hold_allowed else "")
        raise FieldError("slot_id", f"name the slot by one of: {what}")
    if body.get("slot_id"):
        return parse_slot_id(body["slot_id"])
    if body.get("start"):
        start, end = parse_instant(body["start"], "start"), parse_instant(body["end"], "end")
        if end <= start:
            raise FieldError("end", "must be after start")
        return TimeWindow(start, end)
    return None


def _actor() -> svc.Actor:
    who = principal()
    return svc.Actor(who.label, who.key_id, request.url_root.rstrip("/"))


@blp.route("/requests/<string:request_id>/slot-offers", methods=["POST"])
@roles(*READERS)
@blp.arguments(SlotOfferArgs)
@blp.response(200, OfferSetSchema)
def slot_offers(args: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The request's bookable slots over the next working days, cheapest first."""
    with session() as s:
        return svc.offers(s, request_id, _query(args), settings())


@blp.route("/slot-offers", methods=["POST"])
@roles(*READERS)
@blp.arguments(BulkOfferArgs)
@blp.response(200, BulkOutSchema)
def bulk_slot_offers(args: dict[str, Any]) -> dict[str, Any]:
    """Offers for many requests at once, each independently."""
    with session() as s:
        return {"results": svc.bulk_offers(s, args["request_ids"], _query(args), settings())}


@blp.route("/requests/<string:request_id>/holds", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(HoldArgs)
@blp.response(201, HoldSchema)
def create_hold(body: dict[str, Any], request_id: str) -> tuple[dict[str, Any], int]:
    """Hold a slot for a few minutes (it expires by itself)."""
    slot = _slot(body)
    assert slot is not None
    with session() as s:
        return svc.hold_json(svc.hold(s, request_id, slot, body["minutes"], settings())), 201


@blp.route("/holds/<string:hold_id>", methods=["GET"])
@roles(*READERS)
@blp.response(200, HoldSchema)
def get_hold(hold_id: str) -> dict[str, Any]:
    """A live hold (404 once expired or released)."""
    with session() as s:
        return svc.hold_json(svc.live_hold(s, hold_id))


@blp.route("/holds/<string:hold_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_hold(hold_id: str) -> None:
    """Release a hold before it expires."""
    with session() as s:
        svc.release_hold(s, hold_id)


def _book(body: dict[str, Any], request_id: str, replace: bool) -> dict[str, Any]:
    slot = _slot(body, hold_allowed=True)
    with session() as s:
        b = svc.book(s, request_id, slot, body.get("hold_id"), settings(), _actor(),
                     replace=replace)
        return svc.booking_json(b, s.get(RequestRow, request_id))


@blp.route("/requests/<string:request_id>/booking", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(BookingArgs)
@blp.response(201, BookingSchema)
def create_booking(body: dict[str, Any], request_id: str) -> tuple[dict[str, Any], int]:
    """Book a slot: re-checked under the day's lock, inserted and published."""
    return _book(body, request_id, replace=False), 201


@blp.route("/requests/<string:request_id>/booking", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(BookingArgs)
@blp.response(200, BookingSchema)
def reschedule_booking(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Move the booking to another slot (the old one stays if the new one is taken)."""
    return _book(body, request_id, replace=True)


@blp.route("/requests/<string:request_id>/booking", methods=["GET"])
@roles(*READERS)
@blp.response(200, BookingSchema)
def get_booking(request_id: str) -> dict[str, Any]:
    """The request's booking (404 ``no-booking`` without one)."""
    with session() as s:
        return svc.booking_json(svc.get_booking(s, request_id),
                                s.get(RequestRow, request_id))


@blp.route("/requests/<string:request_id>/booking", methods=["DELETE"])
@roles(*WRITERS)
@blp.arguments(CancelArgs, location="query")
@blp.response(200, BookingSchema)
def cancel_booking(args: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Cancel the visit (``?reason=``): out of its day's plan, request ``cancelled``."""
    with session() as s:
        b = svc.cancel(s, request_id, args.get("reason"), settings(), _actor())
        return svc.booking_json(b)
