"""Priorities: the cost of leaving a job out (soft, via disjunctions).

Leaving out a job of priority ``p`` costs ``weights.unassigned[p] × travel_bound``
where the travel bound is an upper bound on the travel cost of any plan of this
problem (the costliest arc times the number of arcs a plan can have). So with the
default weights dropping even a low job costs more than any amount of travel, and
each priority level costs ten times the one below. Pinned jobs cost ten times a
critical job.
"""

from __future__ import annotations

from fieldops.domain.requests import Priority, ServiceRequest
from fieldops.solver.dispatch.context import ModelContext

PIN_FACTOR = 10


def drop_penalty(ctx: ModelContext, job: ServiceRequest) -> int:
    weights = ctx.problem.weights.unassigned
    factor = weights[job.priority]
    if job.pinned_technician is not None:
        factor = PIN_FACTOR * weights[Priority.CRITICAL]
    return max(1, round(factor * ctx.travel_bound))


def apply(ctx: ModelContext) -> None:
    for j, job in enumerate(ctx.jobs):
        ctx.routing.AddDisjunction([ctx.job_index(j)], drop_penalty(ctx, job))
