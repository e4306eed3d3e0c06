"""Lunch breaks (hard).

Each shift with a lunch break gets one break of fixed duration starting within
``[earliest_start, latest_start]``. It cannot overlap service at any job; it may
be taken between two jobs (on site, while waiting, or on the way) or before
departure / after return. The travel and the break must both fit in the gap
between two jobs, so a technician never drives while on break.

The search times the break in :mod:`fieldops.solver.dispatch.schedule` (lazy, eager
and on-site rules, see its module doc); this module owns the routing model's
encoding and the check of a timed route. No plan penalty key: a hard rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import ZERO, Penalty, TimedRoute

NAME = "breaks"


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


def _short_of_driving(route: TimedRoute, start: datetime, end: datetime) -> timedelta:
    """How much the leg whose gap holds the break (if one does) is too short for
    its drive and the break both. Gaps: departure to the first start of service,
    each end of service to the next start, the last end to the return."""
    readies = [route.departure, *(s.end for s in route.stops)]
    nexts = [*((s.start, s.travel) for s in route.stops), (route.end, route.last_travel)]
    for ready, (next_start, drive) in zip(readies, nexts, strict=True):
        if ready <= start and end <= next_start:
            return max(ZERO, drive + (end - start) - (next_start - ready))
    return ZERO


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: the lunch break's seconds outside its start window, plus its seconds
    over any service, plus the seconds the gap it is taken in lacks for the drive
    (the whole duration when a shift with lunch has no break)."""
    lunch = route.shift.lunch
    if lunch is None:
        return Penalty(NAME, 0.0, 0.0, "s", hard=True)
    if route.break_start is None:
        return Penalty(NAME, 0.0, lunch.duration.total_seconds(), "s",
                       (f"{route.shift.id} has no lunch break",), hard=True)
    start, end = route.break_start, route.break_start + lunch.duration
    off = max(ZERO, lunch.earliest_start - start, start - lunch.latest_start)
    why = [f"{route.shift.id}'s break starts {off} outside its window"] if off > ZERO else []
    for stop in route.stops:
        overlap = min(end, stop.end) - max(start, stop.start)
        if overlap > ZERO:
            off += overlap
            why.append(f"{route.shift.id}'s break overlaps {stop.request.id} by {overlap}")
    short = _short_of_driving(route, start, end)
    if short > ZERO:
        off += short
        why.append(f"{route.shift.id}'s break leaves {short} too little for the drive")
    return Penalty(NAME, 0.0, off.total_seconds(), "s", tuple(why), hard=True)
