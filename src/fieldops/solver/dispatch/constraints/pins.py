"""Pins and frozen work (hard).

``pinned_technician`` restricts a job to that technician's shifts (applied with
the allowed vehicles, see :mod:`.skills`); ``pinned_start`` also fixes the start of
service to that instant, which is how work already under way is frozen when the
day is re-planned. A pinned job is never dropped for cost reasons: its
unassigned penalty is far above every other (see :mod:`.priority`).
"""

from __future__ import annotations

from fieldops.solver.dispatch.context import ModelContext


def apply(ctx: ModelContext) -> None:
    dim = ctx.time_dimension
    assert dim is not None
    for j, job in enumerate(ctx.jobs):
        if job.pinned_start is not None:
            at = ctx.seconds(job.pinned_start)
            dim.CumulVar(ctx.job_index(j)).SetRange(at, at)
