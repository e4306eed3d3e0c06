"""Rosters: contact-center roster solves as a resource (queue, progress, stop, publish).

Modelled on plans (:mod:`fieldops.api.views.plans`): ``POST`` answers 202 at once
and a worker solves in the background; ``GET`` shows progress and, when finished,
the roster with its coverage, penalties and the independent validator's verdict;
``DELETE`` stops the search and keeps the best roster found; ``publish`` puts the
agents' shifts on their calendar feeds. Unlike a plan, a roster's problem is sent
whole in the request (agents, contracts, templates, coverage): nothing about agents
is stored outside rosters.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from sqlalchemy import func, select

from fieldops.api.auth import principal, roles
from fieldops.api.common import get_or_404, instant, page, request_cancel
from fieldops.api.errors import Problem
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    RosterCreateSchema,
    RosterListArgs,
    RosterOutSchema,
    RosterPublishOutSchema,
    page_schema,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.roster import RosterParams, RosterProblem
from fieldops.store.models import RosterAgent, RosterPublish, RosterRow, RosterShift, utcnow
from fieldops.worker.roster_job import mark_roster_failed, params_json, reap_stale_rosters

#: Roles that may read, submit, stop and publish rosters.
ROSTER_ROLES = ("admin", "manager")
#: Solver verdicts with no roster to publish (publishing one would empty every feed).
UNPUBLISHABLE = ("infeasible", "no_solution")
#: Longest agent or template id stored (the width of their columns).
MAX_ID = 200

blp = Blueprint("rosters", __name__, url_prefix="/api/v1/rosters",
                description="Contact-center rosters: solved in the background, then "
                            "published to agents' calendar feeds.")


def roster_json(row: RosterRow, *, with_result: bool = True) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "status": row.status, "timezone": row.timezone,
        "start": row.start_day.isoformat(), "days": row.days,
        "horizon": {"start": instant(row.horizon_start), "end": instant(row.horizon_end)},
        "params": row.params,
        "progress": {"best_objective": row.best_objective, "elapsed": row.elapsed,
                     "solutions": row.solutions},
        "error": row.error, "solver_status": row.solver_status,
        "validation": row.validation,
        "result": row.result if with_result else None,
        "created_by": row.created_by, "created_at": instant(row.created_at),
        "started_at": instant(row.started_at), "finished_at": instant(row.finished_at),
        "published_at": instant(row.published_at),
    }


def _problem(raw: dict[str, Any]) -> RosterProblem:
    from fieldops.schemas import roster_problem_from_json

    try:
        problem = roster_problem_from_json(raw)
    except FieldError as exc:
        raise exc.within("problem") from None
    # Agent and template ids become indexed columns (roster_agents, roster_shifts).
    for kind, ids in (("agents", [a.id for a in problem.agents]),
                      ("templates", [t.id for t in problem.templates])):
        for i, item_id in enumerate(ids):
            if len(item_id) > MAX_ID:
                raise FieldError(f"problem.{kind}[{i}].id", f"must be at most {MAX_ID} characters")
    return problem


def _params(raw: dict[str, Any]) -> RosterParams:
    from fieldops.schemas import roster_params_from_json

    params = roster_params_from_json(raw, "params")
    cap = state().max_solve_seconds
    if params.time_limit > cap:
        raise FieldError("params.time_limit", f"must be at most {cap:g} s on this server")
    return params


@blp.route("", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.arguments(RosterListArgs, location="query")
@blp.response(200, page_schema(RosterOutSchema, "RosterPage"))
def list_rosters(args: dict[str, Any]) -> dict[str, Any]:
    """List rosters, newest first (without results); ``from``/``to`` filter on creation."""
    reap_stale_rosters(state().db, state().lease_seconds)
    q = select(RosterRow).order_by(RosterRow.created_at.desc(), RosterRow.id)
    if args.get("status"):
        q = q.where(RosterRow.status == args["status"])
    if args.get("from_") is not None:
        q = q.where(RosterRow.created_at >= args["from_"])
    if args.get("to") is not None:
        q = q.where(RosterRow.created_at < args["to"])
    with session() as s:
        return page(s, q, args, lambda r: roster_json(r, with_result=False))


@blp.route("", methods=["POST"])
@roles(*ROSTER_ROLES)
@blp.arguments(RosterCreateSchema)
@blp.response(202, RosterOutSchema)
def create_roster(args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Queue a roster solve. Answers 202 with the roster and its ``Location``; poll it."""
    params = _params(args.get("params") or {})
    problem = _problem(args["problem"])
    who = principal()
    roster_id = str(uuid.uuid4())
    start, end = problem.horizon
    with session() as s:
        s.add(RosterRow(
            id=roster_id, name=args.get("name") or problem.name[:200] or None, status="queued",
            timezone=problem.timezone, start_day=problem.start, days=problem.days,
            horizon_start=start, horizon_end=end, params=params_json(params),
            problem=args["problem"], created_by=who.key_id,
        ))
        s.flush()  # the roster row first: roster_agents refers to it
        s.add_all(RosterAgent(roster_id=roster_id, agent_id=a.id, name=a.name or None)
                  for a in problem.agents)
    try:
        state().backend.submit_roster(roster_id)
    except Exception as exc:
        mark_roster_failed(state().db, roster_id, f"could not queue the solve: {exc}")
        raise Problem(503, f"the solve could not be queued: {exc}", kind="queue-unavailable"
                      ) from None
    with session() as s:
        out = roster_json(get_or_404(s, RosterRow, roster_id, "roster"))
    return out, 202, {"Location": f"/api/v1/rosters/{roster_id}"}


@blp.route("/<string:roster_id>", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.response(200, RosterOutSchema)
def get_roster(roster_id: str) -> dict[str, Any]:
    """Status, progress and (when done or cancelled) the roster, its coverage,
    penalties and the validator's verdict."""
    reap_stale_rosters(state().db, state().lease_seconds)
    with session() as s:
        return roster_json(get_or_404(s, RosterRow, roster_id, "roster"))


@blp.route("/<string:roster_id>/problem", methods=["GET"])
@roles(*ROSTER_ROLES)
@blp.doc(responses={"200": {"description": "the roster problem JSON",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_roster_problem(roster_id: str) -> Response:
    """The problem the roster was solved from, as submitted."""
    with session() as s:
        return jsonify(get_or_404(s, RosterRow, roster_id, "roster").problem)


@blp.route("/<string:roster_id>", methods=["DELETE"])
@roles(*ROSTER_ROLES)
@blp.response(202, RosterOutSchema)
def cancel_roster(roster_id: str) -> tuple[dict[str, Any], int]:
    """Stop a solve early. A running solve ends ``cancelled`` keeping its best roster."""
    with session() as s:
        row = get_or_404(s, RosterRow, roster_id, "roster")
        request_cancel(row, "roster")
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
    who = principal()
    with session() as s:
        row = get_or_404(s, RosterRow, roster_id, "roster")
        if row.result is None or row.status not in ("done", "cancelled"):
            raise Problem(409, f"roster is {row.status}; only a finished roster can be "
                          "published", field="status", kind="conflict")
        if row.solver_status in UNPUBLISHABLE or (row.solver_status == "cancelled"
                                                   and not row.solutions):
            raise Problem(409, f"the solver found no roster ({row.solver_status}); nothing to "
                          "publish", field="solver_status", kind="conflict")
        if not (row.validation or {}).get("valid"):
            raise Problem(409, "the roster failed validation and cannot be published: "
                          + "; ".join((row.validation or {}).get("violations", [])[:3]),
                          field="validation", kind="conflict")
        # Microsecond-distinct stamps keep the replay order of two quick publishes.
        now = utcnow()
        last = s.scalar(select(func.max(RosterPublish.published_at)))
        if last is not None and now <= last:
            now = last + timedelta(microseconds=1)
        row.published_at = now
        s.add(RosterPublish(roster_id=roster_id, published_at=now, published_by=who.key_id))
        agents = s.scalar(select(func.count()).select_from(RosterAgent)
                          .where(RosterAgent.roster_id == roster_id)) or 0
        shifts = s.scalar(select(func.count()).select_from(RosterShift)
                          .where(RosterShift.roster_id == roster_id)) or 0
        s.flush()
        return {"roster_id": roster_id, "published_at": now.isoformat(), "agents": agents,
                "shifts": shifts}
