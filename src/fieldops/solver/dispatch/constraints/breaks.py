"""Lunch breaks (hard).

Each shift with a lunch break gets one break of fixed duration starting within
``[earliest_start, latest_start]``. It cannot overlap service at any job; it may
be taken between two jobs (on site, while waiting, or on the way) or before
departure / after return. The travel and the break must both fit in the gap
between two jobs, so a technician never drives while on break.
"""

from __future__ import annotations

from fieldops.solver.dispatch.context import ModelContext


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    routing, manager = ctx.routing, ctx.manager
    solver = routing.solver()
    visit_transit = [0] * routing.Size()
    for index in range(routing.Size()):
        node = manager.IndexToNode(index)
        if node < ctx.n_jobs:
            visit_transit[index] = ctx.service_seconds[node]
    for v, shift in enumerate(ctx.vehicles):
        lunch = shift.lunch
        if lunch is None:
            continue
        interval = solver.FixedDurationIntervalVar(
            ctx.seconds(lunch.earliest_start),
            ctx.seconds(lunch.latest_start),
            ctx.seconds_up(lunch.duration),
            False,
            f"lunch {shift.id}",
        )
        dim.SetBreakIntervalsOfVehicle([interval], v, visit_transit)
        ctx.break_intervals[v] = interval
