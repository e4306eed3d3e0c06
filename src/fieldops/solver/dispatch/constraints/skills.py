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

from fieldops.solver.dispatch.context import ModelContext


def apply(ctx: ModelContext) -> None:
    all_vehicles = len(ctx.vehicles)
    for j, vehicles in enumerate(ctx.allowed):
        if len(vehicles) < all_vehicles:
            # -1 keeps the job droppable. (SetAllowedVehiclesForIndex would do the
            # same, but its Python binding rejects every list in OR-Tools 9.15.)
            ctx.routing.VehicleVar(ctx.job_index(j)).SetValues([-1, *vehicles])
