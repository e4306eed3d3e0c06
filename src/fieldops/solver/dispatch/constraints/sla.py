"""SLA deadlines (soft).

A job under a contract tier has a deadline (creation time + response time, or the
next business day's end). Each second its service starts after the deadline costs
``weights.sla_lateness_per_hour / 3600 × tier.lateness_weight``.

Plan penalty key: ``sla``.
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.timed import ZERO, Penalty, TimedRoute

NAME = "sla"
SECONDS_PER_HOUR = 3600


def lateness_term(ctx: ModelContext, job: ServiceRequest) -> tuple[int, int] | None:
    """(deadline in model seconds, integer cost per second late), or ``None``."""
    deadline = ctx.problem.sla_deadline(job)
    if deadline is None or job.contract_tier is None:
        return None
    weight = ctx.problem.tier_by_name[job.contract_tier].lateness_weight
    per_second = ctx.problem.weights.sla_lateness_per_hour / 3600 * COST_SCALE
    coefficient = round(per_second * weight)
    return (ctx.seconds(deadline), coefficient) if coefficient > 0 else None


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    for j, job in enumerate(ctx.jobs):
        term = lateness_term(ctx, job)
        if term is not None:
            dim.SetCumulVarSoftUpperBound(ctx.job_index(j), *term)


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Per job started after its deadline: hours late × ``sla_lateness_per_hour`` ×
    the tier's ``lateness_weight``."""
    w = problem.weights
    cost = 0.0
    late = ZERO
    why: list[str] = []
    for stop in route.stops:
        deadline = problem.sla_deadline(stop.request)
        if deadline is None or stop.start <= deadline:
            continue
        lateness = stop.start - deadline
        tier = problem.tier_by_name[stop.request.contract_tier or ""]
        cost += (lateness.total_seconds() / SECONDS_PER_HOUR * w.sla_lateness_per_hour
                 * tier.lateness_weight)
        late += lateness
        why.append(f"{stop.request.id} starts {lateness} after its {tier.name} deadline")
    return Penalty(NAME, cost, late.total_seconds() / SECONDS_PER_HOUR, "h late", tuple(why))
