"""Van load against capacity (hard).

When any job carries a load, the summed loads of one route must not exceed the
technician's van capacity (no capacity: unlimited). Loads are scaled to integers
(``LOAD_SCALE`` per unit), capacities rounded down and loads up, so the integer
model never accepts a route the exact one would reject.
"""

from __future__ import annotations

import math

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.solver.dispatch.context import LOAD_DIMENSION, LOAD_SCALE, ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "capacity"


def demand(job: ServiceRequest) -> int:
    """The job's load in integer units, rounded up."""
    return math.ceil(job.load * LOAD_SCALE - 1e-9)


def vehicle_capacity(ctx: ModelContext, shift: Shift) -> int | None:
    """The van's capacity in integer units, rounded down; ``None``: unlimited."""
    cap = ctx.problem.technician_by_id[shift.technician_id].capacity
    return None if cap is None else math.floor(cap * LOAD_SCALE + 1e-9)


def apply(ctx: ModelContext) -> None:
    if not any(job.load > 0 for job in ctx.jobs):
        return
    demands = [demand(job) for job in ctx.jobs] + [0] * (2 * len(ctx.vehicles))
    unlimited = sum(demands) + 1
    capacities = [unlimited if cap is None else cap
                  for cap in (vehicle_capacity(ctx, shift) for shift in ctx.vehicles)]
    callback = ctx.routing.RegisterUnaryTransitVector(demands)
    ctx.routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, LOAD_DIMENSION)


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: load units over the van's capacity (exact loads, no rounding)."""
    cap = route.technician.capacity
    load = sum(s.request.load for s in route.stops)
    over = 0.0 if cap is None else max(0.0, load - cap)
    why = (f"{route.shift.id} carries {load:g} in a van of {cap:g}",) if over > 0 else ()
    return Penalty(NAME, 0.0, over, "load units over", why, hard=True)
