"""Plans: solving as a resource (queue, progress, cancel, publish)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint
from sqlalchemy import select

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import get_or_404, page, plan_json, request_cancel
from fieldops.api.errors import Problem
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    PlanCreateSchema,
    PlanListArgs,
    PlanOutSchema,
    PublishOutSchema,
    PublishSchema,
    page_schema,
)
from fieldops.domain import (
    DispatchProblem,
    ObjectiveWeights,
    ServiceRequest,
    TimeWindow,
    TravelSettings,
)
from fieldops.domain.errors import FieldError
from fieldops.schemas import (
    parse_instant,
    problem_to_json,
    travel_from_json,
    weights_from_json,
)
from fieldops.store.convert import (
    request_from_row,
    shift_from_row,
    technician_from_row,
    tier_from_row,
)
from fieldops.store.models import (
    ContractTierRow,
    PlanAssignment,
    PlanPublish,
    PlanRow,
    RequestRow,
    ShiftRow,
    StatusEvent,
    TechnicianRow,
    utcnow,
)
from fieldops.worker.job import mark_failed, reap_stale

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans",
                description="Dispatch plans: solved in the background, then published.")

OPEN_STATUSES = ("new", "scheduled", "dispatched")


def _solve_params(raw: dict[str, Any]) -> dict[str, Any]:
    from fieldops.solver.dispatch import SolveParams

    try:
        params = SolveParams(**raw)
    except FieldError as exc:
        raise exc.within("params") from None
    cap = state().max_solve_seconds
    if params.time_limit > cap:
        raise FieldError("params.time_limit", f"must be at most {cap:g} s on this server")
    return dict(raw)


def _published_slots(s: Any) -> dict[str, datetime]:
    """Planned start of every request in its latest published plan."""
    rows = s.execute(
        select(PlanAssignment.request_id, PlanAssignment.start)
        .join(PlanRow, PlanRow.id == PlanAssignment.plan_id)
        .where(PlanRow.published_at.is_not(None))
        .order_by(PlanRow.published_at)
    )
    return {request_id: start for request_id, start in rows}


def _belongs_to(req: ServiceRequest, row: Any, horizon: TimeWindow,
                slots: dict[str, datetime]) -> bool:
    """Whether an open request is work for this horizon when none were named.

    A request belongs when its pinned start or one of its appointment windows falls
    in the horizon (no windows: any day will do). A scheduled or dispatched request
    stays with the day it was published for: re-planning tomorrow must not pull in
    today's dispatched work.
    """
    if row.status != "new" and row.id in slots and not horizon.contains(slots[row.id]):
        return False
    if req.pinned_start is not None:
        return horizon.contains(req.pinned_start)
    return not req.windows or any(w.overlaps(horizon) for w in req.windows)


def _build_problem(s: Any, args: dict[str, Any]) -> DispatchProblem:
    horizon_json = args["horizon"]
    horizon = TimeWindow(parse_instant(horizon_json["start"], "horizon.start"),
                         parse_instant(horizon_json["end"], "horizon.end"))
    tech_ids = args.get("technician_ids")
    shift_q = select(ShiftRow).where(ShiftRow.start < horizon.end, ShiftRow.end > horizon.start)
    if tech_ids is not None:
        found = {t.id: t for t in s.scalars(select(TechnicianRow).where(
            TechnicianRow.id.in_(tech_ids)))}
        for i, tid in enumerate(tech_ids):
            if tid not in found:
                raise FieldError(f"technician_ids[{i}]", f"unknown technician {tid!r}")
        techs = [found[t] for t in dict.fromkeys(tech_ids)]
        shift_rows = list(s.scalars(shift_q.where(ShiftRow.technician_id.in_(tech_ids))
                                    .order_by(ShiftRow.start)))
    else:
        shift_rows = list(s.scalars(shift_q.order_by(ShiftRow.start)))
        with_shift = {r.technician_id for r in shift_rows}
        techs = list(s.scalars(select(TechnicianRow).where(TechnicianRow.id.in_(with_shift))
                               .order_by(TechnicianRow.id)))
    req_ids = args.get("request_ids")
    if req_ids is not None:
        found_r = {r.id: r for r in s.scalars(select(RequestRow).where(
            RequestRow.id.in_(req_ids)))}
        for i, rid in enumerate(req_ids):
            if rid not in found_r:
                raise FieldError(f"request_ids[{i}]", f"unknown request {rid!r}")
            if found_r[rid].status not in OPEN_STATUSES:
                raise FieldError(f"request_ids[{i}]",
                                 f"request {rid!r} is {found_r[rid].status}, not open")
        reqs = [found_r[r] for r in dict.fromkeys(req_ids)]
    else:
        candidates = s.scalars(select(RequestRow).where(RequestRow.status.in_(OPEN_STATUSES))
                               .order_by(RequestRow.received_at, RequestRow.id))
        slots = _published_slots(s)
        reqs = [r for r in candidates if _belongs_to(request_from_row(r), r, horizon, slots)]
    tiers = [tier_from_row(t) for t in s.scalars(select(ContractTierRow)
                                                 .order_by(ContractTierRow.name))]
    travel = (travel_from_json(args["travel"], "travel") if args.get("travel")
              else TravelSettings())
    weights = (weights_from_json(args["weights"], "weights") if args.get("weights")
               else ObjectiveWeights())
    return DispatchProblem(
        horizon=horizon, timezone=args["timezone"],
        technicians=tuple(technician_from_row(t) for t in techs),
        shifts=tuple(shift_from_row(r) for r in shift_rows),
        requests=tuple(request_from_row(r) for r in reqs),
        contract_tiers=tuple(tiers), travel=travel, weights=weights, name=args.get("name"),
    )


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(PlanListArgs, location="query")
@blp.response(200, page_schema(PlanOutSchema, "PlanPage"))
def list_plans(args: dict[str, Any]) -> dict[str, Any]:
    """List plans, newest first (without results); ``from``/``to`` filter on creation."""
    reap_stale(state().db, state().lease_seconds)
    q = select(PlanRow).order_by(PlanRow.created_at.desc(), PlanRow.id)
    if args.get("status"):
        q = q.where(PlanRow.status == args["status"])
    if args.get("from_") is not None:
        q = q.where(PlanRow.created_at >= args["from_"])
    if args.get("to") is not None:
        q = q.where(PlanRow.created_at < args["to"])
    with session() as s:
        return page(s, q, args, lambda r: plan_json(r, with_result=False))


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(PlanCreateSchema)
@blp.response(202, PlanOutSchema)
def create_plan(args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Queue a solve. Answers 202 with the plan and its ``Location``; poll it with GET."""
    params = _solve_params(args.get("params") or {})
    who = principal()
    plan_id = str(uuid.uuid4())
    with session() as s:
        problem = _build_problem(s, args)
        row = PlanRow(
            id=plan_id, name=args.get("name"), status="queued", timezone=problem.timezone,
            horizon_start=problem.horizon.start, horizon_end=problem.horizon.end,
            params=params, problem=problem_to_json(problem), created_by=who.key_id,
        )
        s.add(row)
        s.flush()
    try:
        state().backend.submit(plan_id)
    except Exception as exc:
        mark_failed(state().db, plan_id, f"could not queue the solve: {exc}")
        raise Problem(503, f"the solve could not be queued: {exc}", kind="queue-unavailable"
                      ) from None
    with session() as s:
        out = plan_json(get_or_404(s, PlanRow, plan_id, "plan"))
    return out, 202, {"Location": f"/api/v1/plans/{plan_id}"}


@blp.route("/<string:plan_id>", methods=["GET"])
@roles(*READERS)
@blp.response(200, PlanOutSchema)
def get_plan(plan_id: str) -> dict[str, Any]:
    """Status, progress and (when done or cancelled) the plan with KPIs and reasons."""
    reap_stale(state().db, state().lease_seconds)
    with session() as s:
        return plan_json(get_or_404(s, PlanRow, plan_id, "plan"))


@blp.route("/<string:plan_id>/problem", methods=["GET"])
@roles(*READERS)
@blp.doc(responses={"200": {"description": "the problem JSON",
                             "content": {"application/json": {"schema": {"type": "object"}}}}})
def get_plan_problem(plan_id: str) -> Response:
    """The problem snapshot the plan was solved from (the problem JSON format)."""
    with session() as s:
        return jsonify(get_or_404(s, PlanRow, plan_id, "plan").problem)


@blp.route("/<string:plan_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(202, PlanOutSchema)
def cancel_plan(plan_id: str) -> tuple[dict[str, Any], int]:
    """Stop a solve early. A running solve ends ``cancelled`` keeping its best plan."""
    with session() as s:
        row = get_or_404(s, PlanRow, plan_id, "plan")
        request_cancel(row, "plan")
        s.flush()
        return plan_json(row), 202


@blp.route("/<string:plan_id>/publish", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(PublishSchema)
@blp.response(200, PublishOutSchema)
def publish_plan(body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    """Make the plan the dispatch: assigned requests become scheduled (or dispatched)."""
    who = principal()
    target = "dispatched" if body.get("dispatch") else "scheduled"
    with session() as s:
        plan = get_or_404(s, PlanRow, plan_id, "plan")
        if plan.result is None or plan.status not in ("done", "cancelled"):
            raise Problem(409, f"plan is {plan.status}; only a finished plan can be published",
                          field="status", kind="conflict")
        now = utcnow()
        assigned = {a.request_id: a for a in s.scalars(
            select(PlanAssignment).where(PlanAssignment.plan_id == plan_id))}
        ids = [r["id"] for r in plan.problem.get("requests", [])]
        scheduled, unscheduled, skipped = [], [], []
        for rid in ids:
            row = s.get(RequestRow, rid)
            if row is None or row.status not in OPEN_STATUSES:
                skipped.append(rid)
                continue
            a = assigned.get(rid)
            new_status = target if a is not None else "new"
            if a is not None:
                row.plan_id, row.assigned_technician_id = plan_id, a.technician_id
                row.assigned_shift_id = a.shift_id
                row.planned_arrival, row.planned_start, row.planned_end = a.arrival, a.start, a.end
                scheduled.append(rid)
            else:
                row.plan_id = row.assigned_technician_id = row.assigned_shift_id = None
                row.planned_arrival = row.planned_start = row.planned_end = None
                unscheduled.append(rid)
            if new_status != row.status or a is not None:
                s.add(StatusEvent(request_id=rid, status=new_status, previous=row.status, at=now,
                                  actor=who.label, plan_id=plan_id,
                                  note=f"published plan {plan_id}"))
                row.status, row.status_changed_at = new_status, now
        plan.published_at = now
        s.add(PlanPublish(plan_id=plan_id, published_at=now, published_by=who.key_id))
        s.flush()
        return {"plan_id": plan_id, "published_at": now.isoformat(), "scheduled": scheduled,
                "unscheduled": unscheduled, "skipped": skipped}


