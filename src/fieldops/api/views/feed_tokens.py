"""Technicians' calendar-feed tokens: one live token per technician."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from fieldops.api.auth import principal, roles
from fieldops.api.common import instant
from fieldops.api.ext import session
from fieldops.api.idempotency import shows_secret
from fieldops.api.schemas import Instant
from fieldops.services.feeds import rotate_technician_token

blp = Blueprint("feed_tokens", __name__, url_prefix="/api/v1/technicians",
                description="Calendar-feed tokens: one live token per technician.")


class FeedTokenIssuedSchema(Schema):
    id = fields.Integer()
    technician_id = fields.String()
    created_at = Instant()
    token = fields.String(allow_none=True, metadata={
        "description": "the feed token, shown only this once (null on a replay)"})
    url = fields.String(allow_none=True, metadata={
        "description": "the subscription URL (contains the token; null on a replay)"})
    detail = fields.String(metadata={"description": "only on an Idempotency-Key replay: "
                                     "the secret is shown once and was not kept"})
    revoked = fields.Integer(metadata={"description": "earlier tokens revoked by this call"})


@blp.route("/<string:tech_id>/feed-token", methods=["POST"])
@roles("admin", "dispatcher", "technician")
@blp.response(201, FeedTokenIssuedSchema)
@shows_secret("token", "url")
def rotate_feed_token(tech_id: str) -> tuple[dict[str, Any], int]:
    """A new calendar-feed token for the technician; every earlier token stops working.

    Admins and dispatchers may do this for anyone, a technician key for its own
    technician. The token and the subscription URL are shown once (only a hash is kept).
    """
    who = principal()
    own = who.technician_id if who.role == "technician" else None
    with session() as s:
        issued = rotate_technician_token(s, tech_id, own_technician=own)
        out = {"id": issued.id, "technician_id": tech_id,
               "created_at": instant(issued.created_at), "token": issued.token,
               "revoked": issued.revoked}
    out["url"] = url_for("calendars.technician_feed", tech_id=tech_id, token=issued.token,
                         _external=True)
    return out, 201
