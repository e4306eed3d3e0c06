"""Calendar feeds: the iCalendar feeds of technicians and agents.

The feed URL carries its own credential (``?token=``), because calendar apps cannot
send an ``Authorization`` header. Every way a token can be wrong answers the same
404, so a guessed URL tells nothing about which technicians exist. The tokens are
issued by :mod:`~fieldops.api.views.feed_tokens` and
:mod:`~fieldops.api.views.agent_feed_tokens`.
"""

from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint

from fieldops.api.ext import session
from fieldops.services.feeds import FeedAnswer, agent_feed_for, technician_feed_for
from fieldops.store.models import utcnow

#: ``Cache-Control`` of the feed: private (the URL holds a secret), re-validated by apps
#: at most every 5 minutes (they usually poll far less often, see REFRESH-INTERVAL).
FEED_CACHE_CONTROL = "private, max-age=300"
FEED_CONTENT_TYPE = "text/calendar; charset=utf-8"

blp = Blueprint("calendars", __name__, url_prefix="/calendars",
                description="iCalendar feeds for calendar apps (token in the URL, "
                            "no API key).")


def _current(etag: str) -> bool:
    """Whether the client's If-None-Match names ``etag`` (weak comparison, as for GET)."""
    return request.if_none_match.contains_weak(etag)


def _serve(feed: FeedAnswer) -> Response:
    resp = Response(feed.body or b"", status=200 if feed.body is not None else 304)
    if feed.body is not None:
        resp.headers["Content-Type"] = FEED_CONTENT_TYPE
    resp.set_etag(feed.etag)
    if feed.last_modified is not None:
        resp.last_modified = feed.last_modified
    resp.headers["Cache-Control"] = FEED_CACHE_CONTROL
    if feed.body is not None:
        resp.make_conditional(request)  # 304 without a body when the client's copy is current
    return resp


@blp.route("/technicians/<string:tech_id>.ics", methods=["GET"])
@blp.doc(security=[], parameters=[{
    "name": "token", "in": "query", "required": True, "schema": {"type": "string"},
    "description": "the technician's feed token (POST /api/v1/technicians/{id}/feed-token)",
}])
@blp.response(200, {"type": "string"}, content_type="text/calendar",
              description="RFC 5545 feed: published jobs from 7 days back to 30 "
                          "days ahead")
@blp.alt_response(304, description="Not Modified (If-None-Match / If-Modified-Since)")
def technician_feed(tech_id: str) -> Response:
    """The technician's published jobs as an iCalendar feed (404 for any bad token)."""
    with session() as s:
        feed = technician_feed_for(s, tech_id, request.args.get("token", ""), now=utcnow(),
                                   url_root=request.url_root.rstrip("/"), current=_current)
    return _serve(feed)


@blp.route("/agents/<string:agent_id>.ics", methods=["GET"])
@blp.doc(security=[], parameters=[{
    "name": "token", "in": "query", "required": True, "schema": {"type": "string"},
    "description": "the agent's feed token (POST /api/v1/agents/{id}/feed-token)",
}])
@blp.response(200, {"type": "string"}, content_type="text/calendar",
              description="RFC 5545 feed: published roster shifts (and breaks) from 7 "
                          "days back to 30 days ahead")
@blp.alt_response(304, description="Not Modified (If-None-Match / If-Modified-Since)")
def agent_feed(agent_id: str) -> Response:
    """The agent's published shifts as an iCalendar feed (404 for any bad token)."""
    with session() as s:
        feed = agent_feed_for(s, agent_id, request.args.get("token", ""), now=utcnow(),
                              current=_current)
    return _serve(feed)
