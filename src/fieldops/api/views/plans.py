"""Plans: solving as a resource (queue, progress, cancel, publish)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import defer

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import plan_json
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    PlanCreateSchema,
    PlanListArgs,
    PlanOutSchema,
    PublishOutSchema,
    PublishSchema,
    page_schema,
)
from fieldops.domain import DispatchProblem, TimeWindow
from fieldops.schemas import parse_instant, travel_from_json, weights_from_json
from fieldops.services import jobs, plans
from fieldops.services.crud import get, page
from fieldops.store.models import PlanRow

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans",
                description="Dispatch plans: solved in the background, then published.")


def _day_problem(s: Any, args: dict[str, Any]) -> DispatchProblem:
    """The plan request's problem: its JSON read here, the rest from the store."""
    horizon = TimeWindow(parse_instant(args["horizon"]["start"], "horizon.start"),
                         parse_instant(args["horizon"]["end"], "horizon.end"))
    return plans.build_day_problem(
        s, horizon, args["timezone"], technician_ids=args.get("technician_ids"),
        request_ids=args.get("request_ids"), name=args.get("name"),
        travel=travel_from_json(args["travel"], "travel") if args.get("travel") else None,
        weights=weights_from_json(args["weights"], "weights") if args.get("weights") else None,
    )


def _reap() -> None:
    jobs.reap_stale(state().db, PlanRow, state().lease_seconds)


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(PlanListArgs, location="query")
@blp.response(200, page_schema(PlanOutSchema, "PlanPage"))
def list_plans(args: dict[str, Any]) -> dict[str, Any]:
    """List plans, newest first (without results); ``from``/``to`` filter on creation."""
    _reap()
    query = plans.plans_query(args.get("status"), args.get("from_"), args.get("to"))
    with session() as s:
        return page(s, query, args, lambda r: plan_json(r, with_result=False))


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(PlanCreateSchema)
@blp.response(202, PlanOutSchema)
def create_plan(args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Queue a solve. Answers 202 with the plan and its ``Location``; poll it with GET."""
    params = plans.solve_params(args.get("params") or {}, state().max_solve_seconds)
    with session() as s:
        plan_id = plans.queue_plan(s, _day_problem(s, args), params, name=args.get("name"),
                                   created_by=principal().key_id).id
    jobs.submit(state().db, plans.PLAN_JOB, plan_id, state().backend.submit)
    with session() as s:
        out = plan_json(get(s, PlanRow, plan_id, "plan"))
    return out, 202, {"Location": f"/api/v1/plans/{plan_id}"}


@blp.route("/<string:plan_id>", methods=["GET"])
@roles(*READERS)
@blp.response(200, PlanOutSchema)
def get_plan(plan_id: str) -> dict[str, Any] | Response:
    """Status, progress and (when done or cancelled) the plan with KPIs and reasons."""
    _reap()
    with session() as s:
        # The result's JSON text, stored when the solve ended, is spliced in as it is:
        # decoding and re-encoding ~120 KB per GET was most of this endpoint's cost.
        row = s.scalars(select(PlanRow).where(PlanRow.id == plan_id)
                        .options(defer(PlanRow.result), defer(PlanRow.problem))).first()
        if row is None or row.result_text is None:
            return plan_json(get(s, PlanRow, plan_id, "plan"))
        head = PlanOutSchema().dump(plan_json(row, with_result=False))
        head.pop("result", None)
        result_text = row.result_text
    text = json.dumps(head, sort_keys=True, separators=(",", ":"))
    body = f'{text[:-1]},"result":{result_text}}}\n'
    return Response(body, status=200, mimetype="application/json")


@blp.route("/<string:plan_id>/problem", methods=["GET"])
@roles(*READERS)
@blp.doc(responses={"200": {"description": "the problem JSON",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_plan_problem(plan_id: str) -> Response:
    """The problem snapshot the plan was solved from (the problem JSON format)."""
    with session() as s:
        return jsonify(get(s, PlanRow, plan_id, "plan").problem)


@blp.route("/<string:plan_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(202, PlanOutSchema)
def cancel_plan(plan_id: str) -> tuple[dict[str, Any], int]:
    """Stop a solve early. A running solve ends ``cancelled`` keeping its best plan."""
    with session() as s:
        row = get(s, PlanRow, plan_id, "plan")
        jobs.cancel(row, "plan")
        s.flush()
        return plan_json(row), 202


@blp.route("/<string:plan_id>/publish", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(PublishSchema)
@blp.response(200, PublishOutSchema)
def publish_plan(body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    """Make the plan the dispatch: assigned requests become scheduled (or dispatched)."""
    who = principal()
    with session() as s:
        done = plans.publish_plan(s, plan_id, dispatch=bool(body.get("dispatch")),
                                  actor=who.label, published_by=who.key_id,
                                  url_root=request.url_root.rstrip("/"))
    return {**asdict(done), "published_at": done.published_at.isoformat()}
