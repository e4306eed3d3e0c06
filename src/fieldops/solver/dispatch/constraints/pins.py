"""Pins and frozen work (hard).

``pinned_technician`` restricts a job to that technician's shifts (applied with
the allowed vehicles, see :mod:`.skills`); ``pinned_start`` also fixes the start of
service to that instant, which is how work already under way is frozen when the
day is re-planned. A pinned job is never dropped for cost reasons: its
unassigned penalty is far above every other (see :mod:`.priority`).
"""

from __future__ import annotations

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "pins"


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    for j, job in enumerate(ctx.jobs):
        if job.pinned_start is not None:
            at = ctx.seconds(job.pinned_start)
            dim.CumulVar(ctx.job_index(j)).SetRange(at, at)


def check(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """Hard: jobs on another technician than their pinned one, or started at
    another instant than their pinned start."""
    why = []
    for stop in route.stops:
        job = stop.request
        if job.pinned_technician not in (None, route.technician.id):
            why.append(f"{job.id} is pinned to {job.pinned_technician}")
        elif job.pinned_start is not None and stop.start != job.pinned_start:
            off = abs(stop.start - job.pinned_start)
            why.append(f"{job.id} starts {off} off its pinned start")
    return Penalty(NAME, 0.0, len(why), "jobs", tuple(why), hard=True)
