"""Calendar feeds: feed-token rotation and the iCalendar feeds of technicians and agents.

The feed URL carries its own credential (``?token=``), because calendar apps cannot
send an ``Authorization`` header. Every way a token can be wrong answers the same
404, so a guessed URL tells nothing about which technicians exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from fieldops.api.auth import principal, roles
from fieldops.api.common import get_or_404, instant
from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.api.schemas import Instant
from fieldops.store import feeds
from fieldops.store.keys import create_feed_token, find_feed_token
from fieldops.store.models import FeedToken, TechnicianRow, utcnow

#: ``Cache-Control`` of the feed: private (the URL holds a secret), re-validated by apps
#: at most every 5 minutes (they usually poll far less often, see REFRESH-INTERVAL).
FEED_CACHE_CONTROL = "private, max-age=300"
FEED_CONTENT_TYPE = "text/calendar; charset=utf-8"

tokens = Blueprint("feed_tokens", __name__, url_prefix="/api/v1/technicians",
                   description="Calendar-feed tokens: one live token per technician.")
agent_tokens = Blueprint("agent_feed_tokens", __name__, url_prefix="/api/v1/agents",
                         description="Agents' calendar-feed tokens: one live token per agent "
                                     "named by a roster.")
calendars = Blueprint("calendars", __name__, url_prefix="/calendars",
                      description="iCalendar feeds for calendar apps (token in the URL, "
                                  "no API key).")


class FeedTokenIssuedSchema(Schema):
    id = fields.Integer()
    technician_id = fields.String()
    created_at = Instant()
    token = fields.String(metadata={"description": "the feed token, shown only this once"})
    url = fields.String(metadata={"description": "the subscription URL (contains the token)"})
    revoked = fields.Integer(metadata={"description": "earlier tokens revoked by this call"})


class AgentFeedTokenIssuedSchema(Schema):
    id = fields.Integer()
    agent_id = fields.String()
    created_at = Instant()
    token = fields.String(metadata={"description": "the feed token, shown only this once"})
    url = fields.String(metadata={"description": "the subscription URL (contains the token)"})
    revoked = fields.Integer(metadata={"description": "earlier tokens revoked by this call"})


def _not_found() -> Problem:
    return Problem(404, "calendar not found", kind="not-found")


@tokens.route("/<string:tech_id>/feed-token", methods=["POST"])
@roles("admin", "dispatcher", "technician")
@tokens.response(201, FeedTokenIssuedSchema)
def rotate_feed_token(tech_id: str) -> tuple[dict[str, Any], int]:
    """A new calendar-feed token for the technician; every earlier token stops working.

    Admins and dispatchers may do this for anyone, a technician key for its own
    technician. The token and the subscription URL are shown once (only a hash is kept).
    """
    who = principal()
    if who.role == "technician" and who.technician_id != tech_id:
        raise Problem(403, "a technician key may only rotate its own feed token",
                      kind="forbidden")
    with session() as s:
        get_or_404(s, TechnicianRow, tech_id, "technician")
        live = s.scalars(select(FeedToken).where(FeedToken.technician_id == tech_id,
                                                 FeedToken.revoked_at.is_(None))).all()
        for old in live:
            old.revoked_at = utcnow()
        row, secret = create_feed_token(s, tech_id)
        out = {"id": row.id, "technician_id": tech_id, "created_at": instant(row.created_at),
               "token": secret, "revoked": len(live)}
    out["url"] = url_for("calendars.technician_feed", tech_id=tech_id, token=secret,
                         _external=True)
    return out, 201


@calendars.route("/technicians/<string:tech_id>.ics", methods=["GET"])
@calendars.doc(security=[], parameters=[{
    "name": "token", "in": "query", "required": True, "schema": {"type": "string"},
    "description": "the technician's feed token (POST /api/v1/technicians/{id}/feed-token)",
}])
@calendars.response(200, {"type": "string"}, content_type="text/calendar",
                    description="RFC 5545 feed: published jobs from 7 days back to 30 "
                                "days ahead")
@calendars.alt_response(304, description="Not Modified (If-None-Match / If-Modified-Since)")
def technician_feed(tech_id: str) -> Response:
    """The technician's published jobs as an iCalendar feed (404 for any bad token)."""
    token = request.args.get("token", "")
    root = request.url_root.rstrip("/")

    def job_url(request_id: str) -> str:
        return f"{root}/api/v1/requests/{quote(request_id, safe='')}"

    with session() as s:
        found = find_feed_token(s, token) if token else None
        if found is None or found.technician_id != tech_id:
            raise _not_found()
        feed = feeds.technician_feed(s, tech_id, now=utcnow(), job_url=job_url)
        if feed is None:  # cannot happen: deleting a technician deletes its tokens
            raise _not_found()
    return _serve(feed)



def _serve(feed: feeds.TechnicianFeed) -> Response:
    resp = Response(feed.body, status=200)
    resp.headers["Content-Type"] = FEED_CONTENT_TYPE
    resp.set_etag(feed.etag)
    if feed.last_modified is not None:
        resp.last_modified = feed.last_modified
    resp.headers["Cache-Control"] = FEED_CACHE_CONTROL
    resp.make_conditional(request)  # 304 without a body when the client's copy is current
    return resp


@agent_tokens.route("/<string:agent_id>/feed-token", methods=["POST"])
@roles("admin", "manager")
@agent_tokens.response(201, AgentFeedTokenIssuedSchema)
def rotate_agent_feed_token(agent_id: str) -> tuple[dict[str, Any], int]:
    """A new calendar-feed token for an agent; every earlier token stops working.

    The agent must be named by at least one roster (404 otherwise). The token and
    the subscription URL are shown once (only a hash is kept).
    """
    with session() as s:
        if not feeds.agent_known(s, agent_id):
            raise Problem(404, f"agent {agent_id!r} not found in any roster", kind="not-found")
        revoked = feeds.revoke_agent_feed_tokens(s, agent_id)
        row, secret = feeds.create_agent_feed_token(s, agent_id)
        out = {"id": row.id, "agent_id": agent_id, "created_at": instant(row.created_at),
               "token": secret, "revoked": revoked}
    out["url"] = url_for("calendars.agent_feed", agent_id=agent_id, token=secret,
                         _external=True)
    return out, 201


@calendars.route("/agents/<string:agent_id>.ics", methods=["GET"])
@calendars.doc(security=[], parameters=[{
    "name": "token", "in": "query", "required": True, "schema": {"type": "string"},
    "description": "the agent's feed token (POST /api/v1/agents/{id}/feed-token)",
}])
@calendars.response(200, {"type": "string"}, content_type="text/calendar",
                    description="RFC 5545 feed: published roster shifts (and breaks) from 7 "
                                "days back to 30 days ahead")
@calendars.alt_response(304, description="Not Modified (If-None-Match / If-Modified-Since)")
def agent_feed(agent_id: str) -> Response:
    """The agent's published shifts as an iCalendar feed (404 for any bad token)."""
    token = request.args.get("token", "")
    with session() as s:
        found = feeds.find_agent_feed_token(s, token) if token else None
        if found is None or found.agent_id != agent_id:
            raise _not_found()
        feed = feeds.agent_feed(s, agent_id, now=utcnow())
        if feed is None:
            raise _not_found()
    return _serve(feed)
