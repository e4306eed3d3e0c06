"""The live day: its state (ETag / 304), events and proposals (docs/api.md, "The live day")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.day_schemas import (
    DayArgs,
    DaySchema,
    EventInSchema,
    EventOutSchema,
    InsertionInSchema,
    MoveInSchema,
    ProposalSchema,
    ReplanInSchema,
    ReportedSchema,
)
from fieldops.api.ext import session, state
from fieldops.services import jobs, live, live_ops, plans

blp = Blueprint("days", __name__, url_prefix="/api/v1/days",
                description="The live day: state, events, insertions, moves, re-plans.")


@blp.route("/<string:date>", methods=["GET"])
@roles(*READERS)
@blp.arguments(DayArgs, location="query")
@blp.response(200, DaySchema)
@blp.alt_response(304, description="Not Modified (If-None-Match names the current version)")
def get_day(args: dict[str, Any], date: str) -> Response:
    """The day's technicians, stops with live ETAs, unassigned work and events."""
    day = live.parse_day(date)
    as_of = live.instant_near(args.get("as_of"), "as_of", day)
    with session() as s:
        current = live.version(s, day)
        if request.if_none_match.contains_weak(current):
            resp = Response(status=304)
            resp.set_etag(current)
            return resp
        body = live.day_view(s, day, as_of)
    resp = jsonify(body)
    resp.set_etag(body["version"])
    return resp


@blp.route("/<string:date>/events", methods=["GET"])
@roles(*READERS)
@blp.response(200, EventOutSchema(many=True))
def list_events(date: str) -> list[dict[str, Any]]:
    """Every reported event of the day, oldest first."""
    with session() as s:
        return live.list_events(s, live.parse_day(date))


@blp.route("/<string:date>/events", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(EventInSchema)
@blp.response(201, ReportedSchema)
def report_event(body: dict[str, Any], date: str) -> tuple[dict[str, Any], int]:
    """Report an event: ``unavailable`` (releases jobs), ``delay`` or ``cancelled``."""
    day = live.parse_day(date)
    with session() as s:
        done = live.report_event(s, day, body, actor=principal().label)
    return {"event": done.event, "released": done.released, "version": done.version}, 201


def _proposed(propose: Callable[..., dict[str, Any]], body: dict[str, Any],
              date: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A live proposal made by ``propose`` (insertion or move), answered 201."""
    day = live.parse_day(date)
    with session() as s:
        out = propose(s, day, body, created_by=principal().key_id)
    return out, 201, {"Location": f"/api/v1/plans/{out['plan_id']}"}


@blp.route("/<string:date>/insertions", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(InsertionInSchema)
@blp.response(201, ProposalSchema)
def insert(body: dict[str, Any], date: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Place a new request into the live plan (cheapest, moving nobody when possible)."""
    return _proposed(live_ops.propose_insertion, body, date)


@blp.route("/<string:date>/moves", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(MoveInSchema)
@blp.response(201, ProposalSchema)
def move(body: dict[str, Any], date: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Pin a job on a technician (at a start), re-timing the rest of their route."""
    return _proposed(live_ops.propose_move, body, date)


@blp.route("/<string:date>/replans", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(ReplanInSchema)
@blp.response(202, ProposalSchema)
def replan(body: dict[str, Any], date: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Queue a re-plan of the rest of the day (freeze, disruption costs); poll the plan."""
    day = live.parse_day(date)
    with session() as s:
        row = live_ops.queue_replan(s, day, body, created_by=principal().key_id,
                                    max_seconds=state().max_solve_seconds)
        out = {**live_ops.proposal_json(row), "status": row.status}
    jobs.submit(state().db, plans.PLAN_JOB, out["plan_id"], state().backend.submit)
    return out, 202, {"Location": f"/api/v1/plans/{out['plan_id']}"}
