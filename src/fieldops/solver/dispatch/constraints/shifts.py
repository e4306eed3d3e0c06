"""Shift windows, return to the end location, and overtime.

Hard: a technician leaves the shift's start location no earlier than ``shift.start``
and is back at its end location no later than ``shift.end + max_overtime``.
Soft: every second back after ``shift.end`` costs ``weights.overtime_per_hour / 3600``.
Also creates the time dimension (transit = service at the origin node + travel).

Plan penalty key: ``overtime``.
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.context import COST_SCALE, TIME_DIMENSION, ModelContext
from fieldops.solver.dispatch.timed import ZERO, Penalty, TimedRoute

NAME = "shifts"
SECONDS_PER_HOUR = 3600


def apply(ctx: ModelContext) -> None:
    routing, manager = ctx.routing, ctx.manager
    n_nodes = ctx.travel_seconds.shape[0]
    service = ctx.service_seconds
    transit = (ctx.travel_seconds + [[s] for s in service]).astype("int64")
    callback = routing.RegisterTransitMatrix(transit.tolist())
    # Slack is waiting time (and room for a break); bounded by the horizon.
    routing.AddDimension(callback, ctx.horizon, ctx.horizon, False, TIME_DIMENSION)
    dim = routing.GetDimensionOrDie(TIME_DIMENSION)
    ctx.time_dimension = dim
    assert n_nodes == ctx.n_jobs + 2 * len(ctx.vehicles)
    # Finalizers fix times in the order they are added: first every job as early as
    # possible, then departures as late as that allows (no idle wait at the first
    # site) and returns as early as possible.
    for job in range(ctx.n_jobs):
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(manager.NodeToIndex(job)))
    for v, shift in enumerate(ctx.vehicles):
        dim.CumulVar(routing.Start(v)).SetRange(ctx.seconds(shift.start), ctx.horizon)
        dim.CumulVar(routing.End(v)).SetRange(0, ctx.seconds(shift.latest_end))
        routing.AddVariableMaximizedByFinalizer(dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(dim.CumulVar(routing.End(v)))


def overtime_coefficient(ctx: ModelContext) -> int:
    """Integer cost per second back after shift end (at least 1 when overtime costs)."""
    per_second = ctx.problem.weights.overtime_per_hour / 3600 * COST_SCALE
    return max(1, round(per_second)) if per_second > 0 else 0


def apply_overtime(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    coefficient = overtime_coefficient(ctx)
    for v, shift in enumerate(ctx.vehicles):
        if shift.max_overtime.total_seconds() > 0 and coefficient:
            dim.SetCumulVarSoftUpperBound(
                ctx.routing.End(v), ctx.seconds(shift.end), coefficient
            )


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hours back after ``shift.end`` × ``weights.overtime_per_hour``."""
    overtime = route.overtime
    hours = overtime.total_seconds() / SECONDS_PER_HOUR
    cost = overtime.total_seconds() / SECONDS_PER_HOUR * problem.weights.overtime_per_hour
    why = (f"{route.shift.id} back {overtime} after its end",) if overtime > ZERO else ()
    return Penalty(NAME, cost, hours, "h overtime", why)


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: seconds left before ``shift.start`` plus seconds back after
    ``shift.end + max_overtime``."""
    shift = route.shift
    early = max(ZERO, shift.start - route.departure)
    late = max(ZERO, route.end - shift.latest_end)
    why = []
    if early > ZERO:
        why.append(f"{shift.id} leaves {early} before its start")
    if late > ZERO:
        why.append(f"{shift.id} is back {late} after its end plus overtime")
    return Penalty(NAME, 0.0, (early + late).total_seconds(), "s outside the shift",
                   tuple(why), hard=True)
