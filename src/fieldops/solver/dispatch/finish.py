"""Phase 4 of a solve: the plan, with its status and the report as ``plan.solver``."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta

from ortools.constraint_solver import routing_enums_pb2

from fieldops.domain.plan import DispatchPlan, PlanStatus
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.polish import ORTOOLS_SUFFIX
from fieldops.solver.dispatch.state import SolveState

# OR-Tools' status when its search was cut short by the time limit.
_STOPPED_BY_LIMIT = (
    routing_enums_pb2.RoutingSearchStatus.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED)
# A search that used this share of its time is reported as stopped by the limit.
TIME_LIMIT_USED = 0.95


def _status(state: SolveState, elapsed: timedelta, cancelled: bool) -> PlanStatus:
    statuses = state.report.routing_status or []
    if cancelled:
        return PlanStatus.CANCELLED
    if statuses and statuses[-1] == routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL:
        return PlanStatus.OPTIMAL
    if (statuses and statuses[-1] == _STOPPED_BY_LIMIT) or (
            elapsed.total_seconds() >= state.search.limit * TIME_LIMIT_USED):
        return PlanStatus.TIME_LIMIT
    return PlanStatus.FEASIBLE


def finish(state: SolveState) -> DispatchPlan:
    """The incumbent as a plan; the chosen candidate when OR-Tools' plan is no better
    once both are priced exactly (phase 4)."""
    model, report, best = state.model, state.report, state.incumbent
    cancelled = state.stopped()
    report.mark("finish", time.monotonic(), time.monotonic())  # its start; the end: solve_time
    elapsed = timedelta(seconds=state.deadline.elapsed())
    if best.routes is None:
        status = PlanStatus.CANCELLED if cancelled else PlanStatus.NO_SOLUTION
        return model.plan([], status, elapsed, report.to_dict())
    status = _status(state, elapsed, cancelled)
    report.objective_internal = float(best.cost) / COST_SCALE
    candidate = best.candidate_plan
    if candidate is not None and best.routes is best.candidate_routes:
        return dataclasses.replace(candidate, status=status, solve_time=elapsed,
                                   solver=report.to_dict())
    plan = model.plan(best.routes, status, elapsed, report.to_dict())
    if candidate is not None and candidate.objective < plan.objective:
        report.engine = report.engine.replace(ORTOOLS_SUFFIX, "")
        report.ortools_objective_rejected = plan.objective
        elapsed = timedelta(seconds=state.deadline.elapsed())
        return dataclasses.replace(candidate, status=status, solve_time=elapsed,
                                   solver=report.to_dict())
    # Building the plan is part of the solve: its time counts (it was left out).
    return dataclasses.replace(plan, solve_time=timedelta(seconds=state.deadline.elapsed()))
