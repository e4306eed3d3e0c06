"""Preferred technicians (soft).

Serving a job that names preferred technicians with anyone else costs
``weights.non_preferred``. Each vehicle counts, along its route, the jobs it serves
that did not prefer it (a per-vehicle unary transit: a vector of n values, not an
n × n matrix, so memory stays linear); a soft upper bound of zero on that count at
the route's end charges the weight per job.

Plan penalty key: ``preference``.
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "preferences"

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


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """``weights.non_preferred`` per job that names preferred technicians, none of
    them the route's."""
    tech = route.technician.id
    missed = [s.request.id for s in route.stops
              if s.request.preferred_technicians and tech not in s.request.preferred_technicians]
    why = tuple(f"{rid} prefers someone other than {tech}" for rid in missed)
    return Penalty(NAME, len(missed) * problem.weights.non_preferred, len(missed), "jobs", why)
