"""Skills and levels, required and excluded technicians (hard).

A job may only go to a shift whose technician holds every required skill at the
minimum level or above, is among ``required_technicians`` when that list is given,
is not among ``excluded_technicians``, and is the ``pinned_technician`` when one is
set. The allowed shifts are computed once by the diagnosis
(:mod:`fieldops.solver.dispatch.diagnosis`), which also drops shifts that cannot
reach the job inside a window; here they become the routing model's allowed
vehicles.
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Technician
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "skills"


def apply(ctx: ModelContext) -> None:
    all_vehicles = len(ctx.vehicles)
    for j, vehicles in enumerate(ctx.allowed):
        if len(vehicles) < all_vehicles:
            # -1 keeps the job droppable. (SetAllowedVehiclesForIndex would do the
            # same, but its Python binding rejects every list in OR-Tools 9.15.)
            ctx.routing.VehicleVar(ctx.job_index(j)).SetValues([-1, *vehicles])


def why_not(tech: Technician, job: ServiceRequest) -> str | None:
    """Why ``tech`` may not serve ``job`` by this rule, or ``None`` when it may."""
    if not tech.qualifies_for(job.required_skills):
        needs = ", ".join(f"{s.name}≥{s.level}" for s in job.required_skills)
        return f"{tech.id} lacks {needs} for {job.id}"
    if tech.id in job.excluded_technicians:
        return f"{tech.id} is excluded from {job.id}"
    if job.required_technicians and tech.id not in job.required_technicians:
        return f"{job.id} requires one of {', '.join(job.required_technicians)}"
    return None


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: jobs on the route that its technician may not serve."""
    why = [r for r in (why_not(route.technician, s.request) for s in route.stops)
           if r is not None]
    return Penalty(NAME, 0.0, len(why), "jobs", tuple(why), hard=True)
