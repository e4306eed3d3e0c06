"""Rosters: contact-center roster solves as a resource (queue, progress, stop, publish).

Modelled on plans (:mod:`fieldops.api.views.plans`): ``POST`` answers 202 at once
and a worker solves in the background; ``GET`` shows progress and, when finished,
the roster with its coverage, penalties and the independent validator's verdict;
``DELETE`` stops the search and keeps the best roster found; ``publish`` puts the
agents' shifts on their calendar feeds. A roster's problem is sent whole in the
request (contracts, templates, coverage); its agents are objects or ids of stored
agents (:mod:`fieldops.api.views.agents`). With ``volumes``, or ``forecast_id``
naming a forecast kept by ``POST /forecasts``, the result carries the predicted
service level per interval and queue.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint

from fieldops.api.auth import principal, roles
from fieldops.api.common import roster_json
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    RosterCreateSchema,
    RosterListArgs,
    RosterOutSchema,
    RosterPublishOutSchema,
    page_schema,
)
from fieldops.services import agents, jobs, rosters
from fieldops.services.crud import get, page
from fieldops.store.models import RosterRow

#: Roles that may read, submit, stop and publish rosters.
ROSTER_ROLES = ("admin", "manager")

blp = Blueprint("rosters", __name__, url_prefix="/api/v1/rosters",
                description="Contact-center rosters: solved in the background, then "
                            "published to agents' calendar feeds.")


def _reap() -> None:
    jobs.reap_stale(state().db, RosterRow, state().lease_seconds)


@blp.route("", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.arguments(RosterListArgs, location="query")
@blp.response(200, page_schema(RosterOutSchema, "RosterPage"))
def list_rosters(args: dict[str, Any]) -> dict[str, Any]:
    """List rosters, newest first (without results); ``from``/``to`` filter on creation."""
    _reap()
    query = rosters.rosters_query(args.get("status"), args.get("from_"), args.get("to"))
    with session() as s:
        return page(s, query, args, lambda r: roster_json(r, with_result=False))


@blp.route("", methods=["POST"])
@roles(*ROSTER_ROLES)
@blp.arguments(RosterCreateSchema)
@blp.response(202, RosterOutSchema)
def create_roster(args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Queue a roster solve. Answers 202 with the roster and its ``Location``; poll it."""
    params = rosters.roster_params(args.get("params") or {}, state().max_solve_seconds)
    with session() as s:
        raw = agents.resolve_agents(s, args["problem"])
        problem = rosters.roster_problem(raw)
        predict = rosters.prediction_request(args, problem, s)
        roster_id = rosters.queue_roster(s, problem, raw, params, predict=predict,
                                         name=args.get("name"), created_by=principal().key_id)
    jobs.submit(state().db, rosters.ROSTER_JOB, roster_id, state().backend.submit_roster)
    with session() as s:
        out = roster_json(get(s, RosterRow, roster_id, "roster"))
    return out, 202, {"Location": f"/api/v1/rosters/{roster_id}"}


@blp.route("/<string:roster_id>", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.response(200, RosterOutSchema)
def get_roster(roster_id: str) -> dict[str, Any]:
    """Status, progress and (when done or cancelled) the roster, its coverage,
    penalties and the validator's verdict."""
    _reap()
    with session() as s:
        return roster_json(get(s, RosterRow, roster_id, "roster"))


@blp.route("/<string:roster_id>/problem", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.doc(responses={"200": {"description": "the roster problem JSON",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_roster_problem(roster_id: str) -> Response:
    """The problem the roster was solved from, as submitted."""
    with session() as s:
        return jsonify(get(s, RosterRow, roster_id, "roster").problem)


@blp.route("/<string:roster_id>", methods=["DELETE"])
@roles(*ROSTER_ROLES)
@blp.response(202, RosterOutSchema)
def cancel_roster(roster_id: str) -> tuple[dict[str, Any], int]:
    """Stop a solve early. A running solve ends ``cancelled`` keeping its best roster."""
    with session() as s:
        row = get(s, RosterRow, roster_id, "roster")
        jobs.cancel(row, "roster")
        s.flush()
        return roster_json(row), 202


@blp.route("/<string:roster_id>/publish", methods=["POST"])
@roles(*ROSTER_ROLES)
@blp.response(200, RosterPublishOutSchema)
def publish_roster(roster_id: str) -> dict[str, Any]:
    """Put the roster's shifts on its agents' calendar feeds.

    Only a finished roster (done, or cancelled with a result) that the validator
    passed can be published. Each publish is kept; agents' feeds replay them in
    order, so a republish of another roster for the same days moves, adds and
    cancels shifts in place.
    """
    with session() as s:
        done = rosters.publish_roster(s, roster_id, published_by=principal().key_id)
    return {**asdict(done), "published_at": done.published_at.isoformat()}
