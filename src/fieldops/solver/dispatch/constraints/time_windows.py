"""Appointment windows (hard).

Service must *start* inside one of the job's windows (closed intervals). Several
windows become one range on the job's arrival-time variable with the gaps between
them removed. A job without windows may start at any time its shift allows.
"""

from __future__ import annotations

import itertools

from fieldops.solver.dispatch.context import ModelContext


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
