"""Priorities: the cost of leaving a job out (soft, via disjunctions).

Leaving out a job of priority ``p`` costs ``weights.unassigned[p] × travel_bound``
where the travel bound is an upper bound on the travel cost of any plan of this
problem (the costliest arc times the number of arcs a plan can have). So with the
default weights dropping even a low job costs more than any amount of travel, and
each priority level costs ten times the one below. Pinned jobs cost ten times a
critical job. A job the published plan held also carries the disruption family's
drop term (:func:`.disruption.drop_term`) in its disjunction, and a job due within
the horizon its SLA breach (:func:`.sla.dropped_breach_cost`).

Plan penalty key: ``unassigned``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldops.domain.plan import Unassigned
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import Priority, ServiceRequest
from fieldops.solver.dispatch.constraints.disruption import drop_term
from fieldops.solver.dispatch.constraints.sla import dropped_breach_cost
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import Penalty

NAME = "priority"

PIN_FACTOR = 10


def drop_penalty(ctx: ModelContext, job: ServiceRequest) -> int:
    weights = ctx.problem.weights.unassigned
    factor = weights[job.priority]
    if job.pinned_technician is not None:
        factor = PIN_FACTOR * weights[Priority.CRITICAL]
    return max(1, round(factor * ctx.travel_bound) + drop_term(ctx, job)
               + dropped_breach_cost(ctx, job))


def apply(ctx: ModelContext) -> None:
    for j, job in enumerate(ctx.jobs):
        ctx.routing.AddDisjunction([ctx.job_index(j)], drop_penalty(ctx, job))


def penalty(problem: DispatchProblem, unassigned: Sequence[Unassigned], travel_bound: float
            ) -> Penalty:
    """The plan's cost of the jobs left out: ``weights.unassigned[priority] ×
    travel_bound`` each (``travel_bound`` in objective units). A pinned job is
    charged at its own priority here; ``PIN_FACTOR`` only keeps the search from
    dropping it."""
    cost = 0.0
    for u in unassigned:
        cost += problem.weights.unassigned[u.priority] * travel_bound
    why = tuple(f"{u.request_id} ({u.priority.value}) left out: {u.reason.value}"
                for u in unassigned)
    return Penalty(NAME, cost, len(unassigned), "jobs", why)
