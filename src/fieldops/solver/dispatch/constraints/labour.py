"""Labour cost (soft): ``weights.labour`` × the technician's ``cost_per_hour`` per
hour of a route's span (paid time, departure to return).

Plan penalty key: ``labour``.
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.resources import Shift
from fieldops.solver.dispatch.context import COST_SCALE, TIME_DIMENSION, ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "labour"
SECONDS_PER_HOUR = 3600


def labour_coefficient(ctx: ModelContext, shift: Shift) -> int:
    """Integer cost per second of the span of ``shift``'s route."""
    tech = ctx.problem.technician_by_id[shift.technician_id]
    return round(ctx.problem.weights.labour * tech.cost_per_hour / SECONDS_PER_HOUR
                 * COST_SCALE)


def apply(ctx: ModelContext) -> None:
    if ctx.problem.weights.labour <= 0:
        return
    dim = ctx.routing.GetDimensionOrDie(TIME_DIMENSION)
    for v, shift in enumerate(ctx.vehicles):
        coefficient = labour_coefficient(ctx, shift)
        if coefficient > 0:
            dim.SetSpanCostCoefficientForVehicle(coefficient, v)


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """``weights.labour × cost_per_hour × span`` in hours."""
    hours = route.span.total_seconds() / SECONDS_PER_HOUR
    cost = (problem.weights.labour * route.technician.cost_per_hour
            * route.span.total_seconds() / SECONDS_PER_HOUR)
    return Penalty(NAME, cost, hours, "h paid", (
        f"{route.technician.id}: {hours:.2f} h paid at {route.technician.cost_per_hour:g}/h",))
