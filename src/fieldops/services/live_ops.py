"""Live-day proposals: an emergency insertion, a dispatcher's move, a re-plan.

Each is a plan row (``GET /plans/{id}`` shows it) with ``kind``, the day's
``base_version`` and ``as_of``, its ``diff`` against the plan in force and its
``cost``; publishing it (``POST /plans/{id}/publish``) applies it under the guards
of :func:`fieldops.services.live.check_proposal`. Insertions and moves are solved
here at once (well under a second); a re-plan is queued like any plan and
finished by :func:`fieldops.services.live.finish_replan`.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldops.domain import DispatchPlan, DispatchProblem, ServiceRequest
from fieldops.domain.errors import FieldError
from fieldops.domain.live import DEFAULT_FREEZE_HORIZON, LiveDay, LiveParams
from fieldops.domain.plan import Route
from fieldops.schemas import plan_to_json, problem_to_json, request_to_json
from fieldops.schemas.dispatch import RouteSchema
from fieldops.services import live
from fieldops.services.errors import Conflict, ServiceError
from fieldops.services.plans import insert_assignments, queue_plan
from fieldops.solver.live import (
    InsertMode,
    InsertParams,
    Replan,
    current_plan,
    insert_job,
    move_job,
    replan_problem,
)
from fieldops.store.convert import request_from_row
from fieldops.store.models import LiveDayRow, PlanRow, RequestRow, utcnow
from fieldops.validators.live import validate_live

#: Request statuses an insertion may place (not yet in the plan in force).
INSERTABLE = ("new",)
SECONDS_PER_MINUTE = 60
_ROUTE = RouteSchema()


class NotInsertable(ServiceError):
    """No feasible place for the job in the live plan (``reasons`` say why)."""

    status, kind = 422, "not-insertable"


class InfeasibleMove(ServiceError):
    """The move breaks a rule (``violations`` in plain words)."""

    status, kind = 422, "infeasible-move"


@dataclasses.dataclass
class LiveContext:
    """The day at ``as_of``: its row, the LiveDay, the re-planning problem, the live plan."""

    row: LiveDayRow
    day: LiveDay
    built: Replan
    plan: DispatchPlan


#: Live contexts built by this process, per day state, ``as_of`` and freeze: a
#: dispatcher comparing modes, retrying or moving at the same instant reuses the
#: re-planning problem and the carried-over plan (the slow part of a proposal). The
#: version is in the key, so a context never outlives the state it was built from;
#: each gunicorn worker keeps its own.
_CONTEXTS: OrderedDict[tuple[Any, ...], tuple[LiveDay, Replan, DispatchPlan]] = OrderedDict()
_CONTEXTS_LOCK = threading.Lock()
CONTEXTS_KEPT = 8


def context(s: Session, day: date, as_of: datetime,
            freeze: timedelta = DEFAULT_FREEZE_HORIZON) -> LiveContext:
    row = live.day_row(s, day)
    key = (row.day, row.version, row.plan_id, row.published_at, as_of, freeze)
    with _CONTEXTS_LOCK:
        found = _CONTEXTS.get(key)
        if found is not None:
            _CONTEXTS.move_to_end(key)
    if found is None:
        state = live.live_day(s, row, as_of)
        built = replan_problem(state, LiveParams(freeze_horizon=freeze))
        found = (state, built, current_plan(built))
        with _CONTEXTS_LOCK:
            _CONTEXTS[key] = found
            while len(_CONTEXTS) > CONTEXTS_KEPT:
                _CONTEXTS.popitem(last=False)
    return LiveContext(row, *found)


def _as_of(body: dict[str, Any], day: date) -> datetime:
    return live.instant_near(body.get("as_of"), "as_of", day) or utcnow()


def _cost(before: DispatchPlan, after: DispatchPlan) -> dict[str, float]:
    return {
        "added_travel_s": (after.kpis.travel_time - before.kpis.travel_time).total_seconds(),
        "disruption": after.penalties.get("disruption", 0.0)
        - before.penalties.get("disruption", 0.0),
        "objective_delta": after.objective - before.objective,
    }


def _original_shift(state: LiveDay, shift_id: str) -> str:
    return live.original_shift((sh.id for sh in state.problem.shifts), shift_id)


# ---------------------------------------------------------------- JSON of proposals
#: The JSON of requests and routes this process wrote, by value. A proposal's
#: problem and plan are the day's but for a few requests and routes, and so is the
#: next one's after a publish: dumping 1 000 requests and 120 routes through
#: marshmallow took about half a second per proposal. Entries are shared between
#: rows, never changed.
_JSON: dict[object, Any] = {}
JSON_KEPT = 10_000  # entries (a 1 000-job day: 1 120); starts again empty beyond this


def _cached_json(value: object, dump: Callable[[Any], Any]) -> Any:
    try:
        found = _JSON.get(value)
    except TypeError:  # not hashable: nothing to share
        return dump(value)
    if found is None:
        if len(_JSON) >= JSON_KEPT:
            _JSON.clear()
        found = _JSON[value] = dump(value)
    return found


class _Shell:
    """``obj`` with some attributes replaced: the schema dumps the rest of a problem
    or plan while its requests or routes come from :func:`_cached_json`."""

    def __init__(self, obj: object, **replaced: object) -> None:
        self._obj, self._replaced = obj, replaced

    def __getattr__(self, name: str) -> Any:
        replaced = self.__dict__["_replaced"]
        return replaced[name] if name in replaced else getattr(self.__dict__["_obj"], name)


def proposal_problem_json(problem: DispatchProblem) -> dict[str, Any]:
    """``problem_to_json(problem)``, its requests' JSON shared with earlier proposals."""
    out: dict[str, Any] = problem_to_json(_Shell(problem, requests=()))  # type: ignore[arg-type]
    if problem.requests:
        out["requests"] = [_cached_json(r, request_to_json) for r in problem.requests]
    return out


def proposal_plan_json(plan: DispatchPlan) -> dict[str, Any]:
    """``plan_to_json(plan)``, its routes' JSON shared with earlier proposals."""
    out: dict[str, Any] = plan_to_json(_Shell(plan, routes=()))  # type: ignore[arg-type]
    out["routes"] = [_cached_json(r, _route_json) for r in plan.routes]
    return out


def _route_json(route: Route) -> Any:
    return _ROUTE.dump(route)


def _store(s: Session, ctx: LiveContext, kind: str, problem: DispatchProblem,
           plan: DispatchPlan, as_of: datetime, created_by: int | None) -> PlanRow:
    """The proposal as a finished plan row (with its assignments)."""
    diff = live.diff_json(ctx.day, plan)
    row = PlanRow(
        id=str(uuid.uuid4()), name=f"{kind} {ctx.row.day.isoformat()}", status="done",
        timezone=problem.timezone, horizon_start=problem.horizon.start,
        horizon_end=problem.horizon.end, params={}, problem=proposal_problem_json(problem),
        created_by=created_by, kind=kind, day=ctx.row.day, base_version=ctx.row.version,
        as_of=as_of, diff=diff, cost=_cost(ctx.plan, plan), solutions=1,
        best_objective=plan.objective, assigned=plan.kpis.jobs_assigned,
        elapsed=plan.solve_time.total_seconds(), started_at=utcnow(), finished_at=utcnow())
    row.result = proposal_plan_json(plan)
    row.result_text = json.dumps(row.result, separators=(",", ":"))
    s.add(row)
    s.flush()
    live.remember_proposal(row.id, plan)
    insert_assignments(s, row.id, plan, lambda sid: _original_shift(ctx.day, sid))
    return row


def proposal_json(row: PlanRow, placement: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "plan_id": row.id, "kind": row.kind, "diff": row.diff, "cost": row.cost,
        "base_version": str(row.base_version), "as_of": live.utc(row.as_of),
    }
    if placement is not None:
        out["placement"] = placement
    return out


def _placement(ctx: LiveContext, plan: DispatchPlan, request_id: str) -> dict[str, Any]:
    for route in plan.routes:
        for step in route.jobs:
            if step.request_id == request_id:
                return {"technician_id": route.technician_id,
                        "shift_id": _original_shift(ctx.day, route.shift_id),
                        "start": live.utc(step.start), "end": live.utc(step.end)}
    raise AssertionError("placed job not found")


def _new_request(s: Session, ctx: LiveContext, request_id: str) -> ServiceRequest:
    row = s.get(RequestRow, request_id)
    if row is None:
        raise FieldError("request_id", f"unknown request {request_id!r}")
    placed = {rid for r in ctx.plan.routes for rid in r.request_ids}
    if request_id in placed:
        raise Conflict(f"request {request_id!r} is already planned; move it instead",
                       field="request_id")
    if row.status not in INSERTABLE:
        raise Conflict(f"request {request_id!r} is {row.status}; only new requests are "
                       "inserted", field="request_id")
    return request_from_row(row)


def propose_insertion(s: Session, day: date, body: dict[str, Any], *,
                      created_by: int | None) -> dict[str, Any]:
    """``POST /days/{date}/insertions``: place one new request into the live plan."""
    as_of = _as_of(body, day)
    ctx = context(s, day, as_of)
    req = _new_request(s, ctx, body["request_id"])
    problem, plan = ctx.built.problem, ctx.plan
    if req.id in problem.request_by_id:  # released earlier: free in the problem
        problem = dataclasses.replace(problem, requests=tuple(
            r for r in problem.requests if r.id != req.id))
        plan = dataclasses.replace(plan, unassigned=tuple(
            u for u in plan.unassigned if u.request_id != req.id))
    ins = insert_job(problem, plan, req,
                     InsertParams(sla_first=body.get("mode") == "sla_first"))
    if ins.mode == InsertMode.UNPLACED:
        why = [{"code": u.reason.value, "message": u.detail or u.reason.value}
               for u in ins.plan.unassigned if u.request_id == req.id]
        raise NotInsertable(f"{req.id} fits nowhere in the live plan", field="request_id",
                            reasons=why)
    row = _store(s, ctx, "insertion", ins.problem, ins.plan, as_of, created_by)
    return proposal_json(row, _placement(ctx, ins.plan, req.id))


def propose_move(s: Session, day: date, body: dict[str, Any], *,
                 created_by: int | None) -> dict[str, Any]:
    """``POST /days/{date}/moves``: pin one job on a technician, re-time the rest."""
    as_of = _as_of(body, day)
    ctx = context(s, day, as_of)
    rid, tech = body["request_id"], body["technician_id"]
    if rid not in ctx.built.problem.request_by_id:
        raise FieldError("request_id", f"request {rid!r} is not open work of "
                         f"{day.isoformat()} (unknown, done, under way or cancelled)")
    if tech not in ctx.built.problem.technician_by_id:
        raise FieldError("technician_id", f"technician {tech!r} does not work on "
                         f"{day.isoformat()}")
    start = live.instant_near(body.get("start"), "start", day)
    moved = move_job(ctx.built.problem, ctx.plan, rid, tech, start)
    violations = [{"code": v.code, "message": v.message} for v in moved.violations]
    if moved.plan is not None:
        violations = [{"code": v.code, "message": v.message}
                      for v in validate_live(ctx.day, moved.plan, ctx.built.params.freeze_horizon)]
    if moved.plan is None or violations:
        raise InfeasibleMove(f"{rid} cannot go to {tech}: "
                             + "; ".join(v["message"] for v in violations),
                             field="technician_id", violations=violations)
    row = _store(s, ctx, "move", moved.problem, moved.plan, as_of, created_by)
    return proposal_json(row, _placement(ctx, moved.plan, rid))


def queue_replan(s: Session, day: date, body: dict[str, Any], *, created_by: int | None,
                 max_seconds: float) -> PlanRow:
    """``POST /days/{date}/replans``: a plan of the rest of the day, queued (submit it
    with :func:`fieldops.services.jobs.submit` once committed)."""
    as_of = _as_of(body, day)
    minutes = body.get("freeze_minutes")
    freeze = timedelta(minutes=minutes) if minutes is not None else DEFAULT_FREEZE_HORIZON
    ctx = context(s, day, as_of, freeze)
    limit = float(body.get("time_limit") or live.DEFAULT_REPLAN_SECONDS)
    if limit > max_seconds:
        raise FieldError("time_limit", f"must be at most {max_seconds:g} s on this server")
    params = {"time_limit": limit,
              live.LIVE_PARAMS: {"freeze_minutes": freeze.total_seconds() / SECONDS_PER_MINUTE}}
    row = queue_plan(s, ctx.built.problem, params, created_by=created_by,
                     name=f"replan {day.isoformat()}")
    row.kind, row.day, row.base_version, row.as_of = "replan", day, ctx.row.version, as_of
    return row


__all__ = ["proposal_json", "propose_insertion", "propose_move", "queue_replan"]
