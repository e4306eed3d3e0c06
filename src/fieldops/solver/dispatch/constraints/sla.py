"""SLA deadlines (soft).

A job under a contract tier has a deadline (creation time + response time, or the
next business day's end). Each second its service starts after the deadline costs
``weights.sla_lateness_per_hour / 3600 × tier.lateness_weight``.
"""

from __future__ import annotations

from fieldops.solver.dispatch.context import COST_SCALE, ModelContext


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    per_second = ctx.problem.weights.sla_lateness_per_hour / 3600 * COST_SCALE
    for j, job in enumerate(ctx.jobs):
        deadline = ctx.problem.sla_deadline(job)
        if deadline is None or job.contract_tier is None:
            continue
        weight = ctx.problem.tier_by_name[job.contract_tier].lateness_weight
        coefficient = round(per_second * weight)
        if coefficient > 0:
            dim.SetCumulVarSoftUpperBound(ctx.job_index(j), ctx.seconds(deadline), coefficient)
