"""SLA deadlines (soft).

A job under a contract tier has a deadline (creation time + response time, or the
next business day's end). Each second its service starts after the deadline costs
``weights.sla_lateness_per_hour / 3600 × tier.lateness_weight``; a late job also
costs ``(weights.sla_breach_flat + weights.sla_breach × travel bound) ×
tier.lateness_weight`` once (the breach), and so does a job left out whose
deadline falls within the horizon. With the default weights a breach is a fixed
number of hours of driving per tier (a late gold visit two hours), so the search
trades a breach for that much travel and no more; ``sla_breach`` > 0 makes it a
share of the day's travel bound, above any travel (docs/dispatch.md, *Objective*).

The routing model (OR-Tools) carries the hourly cost as a soft upper bound and the
breach of left-out jobs in their disjunction; the breach of a late visit is priced
by the route evaluator (:mod:`..schedule`) that construction, ruin and recreate
and the final comparison of candidates use.

Plan penalty key: ``sla``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldops.domain.plan import Unassigned
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


def breach_factor(problem: DispatchProblem, job: ServiceRequest) -> float:
    """``sla_breach × tier.lateness_weight`` of ``job``: the share of its breach that
    is a multiple of the travel bound (0 without a contract tier)."""
    if job.contract_tier is None or problem.sla_deadline(job) is None:
        return 0.0
    return problem.weights.sla_breach * problem.tier_by_name[job.contract_tier].lateness_weight


def breach_flat(problem: DispatchProblem, job: ServiceRequest) -> float:
    """``sla_breach_flat × tier.lateness_weight`` of ``job``: the share of its breach
    in objective units (seconds of driving), whatever the day's size."""
    if job.contract_tier is None or problem.sla_deadline(job) is None:
        return 0.0
    return (problem.weights.sla_breach_flat
            * problem.tier_by_name[job.contract_tier].lateness_weight)


def breach_units(problem: DispatchProblem, job: ServiceRequest, travel_bound: float) -> float:
    """What ``job`` starting late costs once, in objective units (``travel_bound`` too)."""
    return breach_factor(problem, job) * travel_bound + breach_flat(problem, job)


def breach_cost(ctx: ModelContext, job: ServiceRequest) -> int:
    """Integer cost of ``job`` starting after its deadline, once (the breach)."""
    return round(breach_factor(ctx.problem, job) * ctx.travel_bound
                 + breach_flat(ctx.problem, job) * COST_SCALE)


def due_in_horizon(problem: DispatchProblem, job: ServiceRequest) -> bool:
    """Whether ``job``'s deadline falls before the horizon ends: left out, it is late."""
    deadline = problem.sla_deadline(job)
    return deadline is not None and deadline < problem.horizon.end


def dropped_breach_cost(ctx: ModelContext, job: ServiceRequest) -> int:
    """The breach a left-out ``job`` pays (its disjunction's share of this module)."""
    return breach_cost(ctx, job) if due_in_horizon(ctx.problem, job) else 0


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


def breach_penalty(problem: DispatchProblem, late: Sequence[ServiceRequest],
                   unassigned: Sequence[Unassigned], travel_bound: float) -> Penalty:
    """The plan's breaches: ``(sla_breach × travel_bound + sla_breach_flat) × tier
    weight`` per job in ``late`` (served after its deadline) and per left-out job due
    within the horizon (``travel_bound`` in objective units)."""
    left = [problem.request_by_id[u.request_id] for u in unassigned]
    left = [r for r in left if due_in_horizon(problem, r)]
    breached = [*late, *left]
    cost = sum(breach_units(problem, r, travel_bound) for r in breached)
    why = tuple(f"{r.id} breaches its {r.contract_tier} SLA" for r in breached)
    return Penalty(NAME, cost, len(breached), "breaches", why)
