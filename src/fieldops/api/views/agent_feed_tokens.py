"""Agents' calendar-feed tokens: one live token per agent named by a roster."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from fieldops.api.auth import roles
from fieldops.api.common import instant
from fieldops.api.ext import session
from fieldops.api.idempotency import shows_secret
from fieldops.api.schemas import Instant
from fieldops.services.feeds import rotate_agent_token

blp = Blueprint("agent_feed_tokens", __name__, url_prefix="/api/v1/agents",
                description="Agents' calendar-feed tokens: one live token per agent "
                            "named by a roster.")


class AgentFeedTokenIssuedSchema(Schema):
    id = fields.Integer()
    agent_id = fields.String()
    created_at = Instant()
    token = fields.String(allow_none=True, metadata={
        "description": "the feed token, shown only this once (null on a replay)"})
    url = fields.String(allow_none=True, metadata={
        "description": "the subscription URL (contains the token; null on a replay)"})
    detail = fields.String(metadata={"description": "only on an Idempotency-Key replay: "
                                     "the secret is shown once and was not kept"})
    revoked = fields.Integer(metadata={"description": "earlier tokens revoked by this call"})


@blp.route("/<string:agent_id>/feed-token", methods=["POST"])
@roles("admin", "manager")
@blp.response(201, AgentFeedTokenIssuedSchema)
@shows_secret("token", "url")
def rotate_agent_feed_token(agent_id: str) -> tuple[dict[str, Any], int]:
    """A new calendar-feed token for an agent; every earlier token stops working.

    The agent must be named by at least one roster (404 otherwise). The token and
    the subscription URL are shown once (only a hash is kept).
    """
    with session() as s:
        issued = rotate_agent_token(s, agent_id)
        out = {"id": issued.id, "agent_id": agent_id, "created_at": instant(issued.created_at),
               "token": issued.token, "revoked": issued.revoked}
    out["url"] = url_for("calendars.agent_feed", agent_id=agent_id, token=issued.token,
                         _external=True)
    return out, 201
