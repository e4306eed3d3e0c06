"""Preferred technicians (soft).

Serving a job that names preferred technicians with anyone else costs
``weights.non_preferred``. Modelled as vehicle-dependent arc costs: the cost of
arriving at such a job carries the penalty except for the vehicles (shifts) of its
preferred technicians. Only vehicles preferred by some job get their own cost
evaluator, so a day without preferences costs nothing extra.
"""

from __future__ import annotations

import numpy as np

from fieldops.solver.dispatch.constraints.travel import base_cost_matrix
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext


def apply(ctx: ModelContext) -> None:
    penalty = round(ctx.problem.weights.non_preferred * COST_SCALE)
    preferred_by: dict[int, list[int]] = {}
    has_preference = np.zeros(ctx.travel_seconds.shape[0], dtype=bool)
    for j, job in enumerate(ctx.jobs):
        if not job.preferred_technicians:
            continue
        has_preference[j] = True
        wanted = set(job.preferred_technicians)
        for v, shift in enumerate(ctx.vehicles):
            if shift.technician_id in wanted:
                preferred_by.setdefault(v, []).append(j)
    if penalty == 0 or not has_preference.any():
        return
    routing = ctx.routing
    base = base_cost_matrix(ctx)
    penalised = base + np.where(has_preference, penalty, 0)[None, :]
    shared = routing.RegisterTransitMatrix(penalised.tolist())
    for v in range(len(ctx.vehicles)):
        jobs = preferred_by.get(v)
        if jobs is None:
            evaluator = shared
        else:
            own = penalised.copy()
            own[:, jobs] -= penalty
            evaluator = routing.RegisterTransitMatrix(own.tolist())
        routing.SetArcCostEvaluatorOfVehicle(evaluator, v)
        ctx.cost_evaluators[v] = evaluator
