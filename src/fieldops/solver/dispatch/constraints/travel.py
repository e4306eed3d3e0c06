"""Travel cost (soft): ``weights.travel_time`` per second + ``weights.travel_distance``
per kilometre on every leg, and ``weights.labour`` × ``cost_per_hour`` per second of
a route's span (paid time)."""

from __future__ import annotations

import numpy as np

from fieldops.solver.dispatch.context import COST_SCALE, TIME_DIMENSION, ModelContext


def base_cost_matrix(ctx: ModelContext) -> np.ndarray:
    """Integer cost of every arc between model nodes."""
    w = ctx.problem.weights
    locs = ctx.node_location
    distances_km = ctx.travel.distances[np.ix_(locs, locs)] / 1000.0
    cost = COST_SCALE * (w.travel_time * ctx.travel_seconds + w.travel_distance * distances_km)
    return np.rint(cost).astype("int64")


def apply(ctx: ModelContext) -> None:
    routing = ctx.routing
    evaluator = routing.RegisterTransitMatrix(base_cost_matrix(ctx).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(evaluator)
    labour = ctx.problem.weights.labour
    if labour > 0:
        dim = routing.GetDimensionOrDie(TIME_DIMENSION)
        for v, shift in enumerate(ctx.vehicles):
            tech = ctx.problem.technician_by_id[shift.technician_id]
            coefficient = round(labour * tech.cost_per_hour / 3600 * COST_SCALE)
            if coefficient > 0:
                dim.SetSpanCostCoefficientForVehicle(coefficient, v)
