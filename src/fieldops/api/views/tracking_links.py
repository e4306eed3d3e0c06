"""Tracking links: staff issue (and revoke) the customer's link to ``/track/{token}``."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from fieldops.api.auth import WRITERS, roles
from fieldops.api.common import instant
from fieldops.api.ext import session
from fieldops.api.idempotency import shows_secret
from fieldops.api.schemas import Instant, Strict
from fieldops.services import tracking as svc

blp = Blueprint("tracking_links", __name__, url_prefix="/api/v1/requests",
                description="Customers' tracking links: issue and revoke.")


class TrackingLinkSchema(Strict):
    prepare = fields.List(
        fields.String(validate=validate.Length(min=1, max=svc.MAX_PREPARE_CHARS)),
        validate=validate.Length(max=svc.MAX_PREPARE_ITEMS),
        metadata={"description": "what the customer should get ready (default: a "
                                 "generic list)"})


class TrackingLinkIssuedSchema(Schema):
    id = fields.Integer()
    request_id = fields.String()
    created_at = Instant()
    expires_at = Instant()
    token = fields.String(allow_none=True, metadata={
        "description": "the token, shown only this once (null on a replay)"})
    url = fields.String(allow_none=True, metadata={
        "description": "the customer's page (contains the token; null on a replay)"})
    detail = fields.String(metadata={"description": "only on an Idempotency-Key replay: "
                                     "the secret is shown once and was not kept"})
    revoked = fields.Integer(metadata={"description": "earlier links revoked by this call"})


class RevokedSchema(Schema):
    revoked = fields.Integer(metadata={"description": "links that stopped working"})


@blp.route("/<string:request_id>/tracking-link", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(TrackingLinkSchema)
@blp.response(201, TrackingLinkIssuedSchema)
@shows_secret("token", "url")
def issue_tracking_link(body: dict[str, Any], request_id: str) -> tuple[dict[str, Any], int]:
    """A new tracking link for the request's customer; earlier links stop working.

    The token and URL are shown once (only a hash is kept).
    """
    with session() as s:
        issued = svc.issue_link(s, request_id, body.get("prepare"))
        out = {"id": issued.id, "request_id": request_id, "token": issued.token,
               "created_at": instant(issued.created_at),
               "expires_at": instant(issued.expires_at), "revoked": issued.revoked}
    out["url"] = url_for("tracking.track_page", token=issued.token, _external=True)
    return out, 201


@blp.route("/<string:request_id>/tracking-link", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(200, RevokedSchema)
def revoke_tracking_link(request_id: str) -> dict[str, Any]:
    """Every tracking link of the request stops working (404 for them from now on)."""
    with session() as s:
        return {"revoked": svc.revoke_links(s, request_id)}
