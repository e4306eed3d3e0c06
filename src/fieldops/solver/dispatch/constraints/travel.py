"""Travel cost (soft): ``weights.travel_time`` per second + ``weights.travel_distance``
per kilometre on every leg of a route (home included).

Plan penalty key: ``travel``. (The span's labour cost is :mod:`.labour`.)
"""

from __future__ import annotations

import numpy as np

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "travel"
METRES_PER_KM = 1000


def base_cost_matrix(ctx: ModelContext) -> np.ndarray:
    """Integer cost of every arc between model nodes (computed once per model and
    shared: treat it as read-only)."""
    if ctx.arc_cost is not None:
        return ctx.arc_cost
    w = ctx.problem.weights
    if w.travel_distance == 0 and float(w.travel_time * COST_SCALE).is_integer():
        # Travel time alone, a whole number of cost units per second: integers
        # throughout, without the n² float temporaries (a gigabyte at 5 000 jobs).
        cost = ctx.travel_seconds * int(w.travel_time * COST_SCALE)
    else:
        locs = ctx.node_location
        distances_km = ctx.travel.distances[np.ix_(locs, locs)] / METRES_PER_KM
        cost = np.rint(COST_SCALE * (w.travel_time * ctx.travel_seconds
                                     + w.travel_distance * distances_km)).astype("int64")
    cost.flags.writeable = False
    ctx.arc_cost = cost
    return cost


def apply(ctx: ModelContext) -> None:
    evaluator = ctx.routing.RegisterTransitMatrix(base_cost_matrix(ctx).tolist())
    ctx.routing.SetArcCostEvaluatorOfAllVehicles(evaluator)


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """``travel_time × seconds + travel_distance × km`` over the route's legs."""
    w = problem.weights
    seconds = route.travel_time.total_seconds()
    metres = route.travel_distance
    cost = w.travel_time * seconds + w.travel_distance * metres / METRES_PER_KM
    return Penalty(NAME, cost, seconds, "s driven", (
        f"{route.technician.id}: {seconds / 3600:.2f} h and {metres / METRES_PER_KM:.1f} km"
        " of driving",))
