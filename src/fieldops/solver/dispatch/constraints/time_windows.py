"""Appointment windows (hard).

Service must *start* inside one of the job's windows (closed intervals). Several
windows become one range on the job's arrival-time variable with the gaps between
them removed. A job without windows may start at any time its shift allows.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import TimeWindow
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import ZERO, Penalty, TimedRoute

NAME = "time_windows"


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    for j, job in enumerate(ctx.jobs):
        if not job.windows:
            continue
        cumul = dim.CumulVar(ctx.job_index(j))
        bounds = [(ctx.seconds(w.start), ctx.seconds(w.end)) for w in job.windows]
        cumul.SetRange(bounds[0][0], bounds[-1][1])
        for (_, end), (start, _) in itertools.pairwise(bounds):
            if start - end > 1:
                cumul.RemoveInterval(end + 1, start - 1)


def outside(start: datetime, windows: tuple[TimeWindow, ...]) -> timedelta:
    """How far ``start`` lies from the nearest of ``windows`` (zero inside one or
    when there is none)."""
    if not windows:
        return ZERO
    return min(max(ZERO, w.start - start, start - w.end) for w in windows)


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: seconds between each start of service and its nearest window."""
    total = ZERO
    why = []
    for stop in route.stops:
        off = outside(stop.start, stop.request.windows)
        if off > ZERO:
            total += off
            why.append(f"{stop.request.id} starts {off} outside its windows")
    return Penalty(NAME, 0.0, total.total_seconds(), "s outside windows", tuple(why),
                   hard=True)
