"""Preferred technicians (soft).

Serving a job that names preferred technicians with anyone else costs
``weights.non_preferred``. Each vehicle counts, along its route, the jobs it serves
that did not prefer it (a per-vehicle unary transit: a vector of n values, not an
n × n matrix, so memory stays linear); a soft upper bound of zero on that count at
the route's end charges the weight per job.
"""

from __future__ import annotations

from fieldops.solver.dispatch.context import COST_SCALE, ModelContext

PREFERENCE_DIMENSION = "non_preferred"


def penalty_of(ctx: ModelContext) -> int:
    """Integer cost of one job served by a technician it did not prefer."""
    return round(ctx.problem.weights.non_preferred * COST_SCALE)


def apply(ctx: ModelContext) -> None:
    penalty = penalty_of(ctx)
    with_preference = [j for j, job in enumerate(ctx.jobs) if job.preferred_technicians]
    if penalty == 0 or not with_preference:
        return
    routing = ctx.routing
    n_nodes = routing.nodes()
    base = [0] * n_nodes
    for j in with_preference:
        base[j] = 1
    shared = routing.RegisterUnaryTransitVector(base)
    evaluators = []
    own: dict[str, int] = {}
    for shift in ctx.vehicles:
        tech = shift.technician_id
        if tech not in own:
            vector = list(base)
            preferred_here = [j for j in with_preference
                              if tech in ctx.jobs[j].preferred_technicians]
            for j in preferred_here:
                vector[j] = 0
            own[tech] = routing.RegisterUnaryTransitVector(vector) if preferred_here else shared
        evaluators.append(own[tech])
    routing.AddDimensionWithVehicleTransits(
        evaluators, 0, len(with_preference), True, PREFERENCE_DIMENSION
    )
    dim = routing.GetDimensionOrDie(PREFERENCE_DIMENSION)
    for v in range(len(ctx.vehicles)):
        dim.SetCumulVarSoftUpperBound(routing.End(v), 0, penalty)
