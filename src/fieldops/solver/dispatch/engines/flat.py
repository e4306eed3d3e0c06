"""A solver-neutral integer view of the modelled dispatch problem.

Built from the :class:`~fieldops.solver.dispatch.context.ModelContext` the routing
model is built from, so every engine sees exactly the jobs and vehicles that
survived diagnosis, with the same rounding: travel in whole seconds rounded up,
loads rounded up and capacities down, times in seconds after ``ctx.origin``.

Node layout is the context's: jobs ``0..n-1``, then vehicle ``v``'s start node
``n + 2v`` and end node ``n + 2v + 1``. Engines map this onto their own inputs
and return routes as lists of job indices per vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fieldops.domain.requests import Priority
from fieldops.solver.dispatch.constraints.capacity import demand
from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.constraints.sla import breach_cost, lateness_term
from fieldops.solver.dispatch.constraints.travel import base_cost_matrix
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.schedule import job_windows, vehicle_times

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FlatVehicle:
    """One shift as an integer vehicle."""

    start_node: int
    end_node: int
    start: int  # earliest departure
    soft_end: int  # shift end: overtime is paid after it
    latest_end: int  # shift end + maximum overtime (hard)
    lunch: tuple[int, int, int] | None  # earliest start, latest start, duration
    capacity: int | None  # None: unlimited
    labour_cost: int  # integer cost per second of route span
    overtime_cost: int  # integer cost per second back after ``soft_end``


@dataclass(frozen=True)
class FlatJob:
    """One job as an integer client."""

    service: int
    windows: tuple[tuple[int, int], ...]  # start-of-service windows; never empty
    load: int
    allowed: frozenset[int] | None  # vehicle indices; None: every vehicle
    priority: int  # rank: 0 critical … 3 low
    drop_cost: int  # the integer penalty for leaving the job out
    pinned: bool  # pinned technician or pinned start
    has_soft_terms: bool  # SLA lateness or preferred technicians (priced later)
    # The SLA deadline (model seconds) of a job whose breach costs more than leaving
    # a low-priority job out: an engine that cannot price lateness may treat it as
    # the end of the job's windows (:meth:`windows_by_due`).
    due: int | None = None

    def windows_by_due(self) -> tuple[tuple[int, int], ...]:
        """The windows cut at ``due``; the windows as they are when none starts by
        then (the job can only be late: better late than left out)."""
        if self.due is None:
            return self.windows
        kept = tuple((a, min(b, self.due)) for a, b in self.windows if a <= self.due)
        return kept or self.windows


@dataclass(frozen=True)
class FlatProblem:
    """Travel, cost, jobs and vehicles of the modelled problem, all integers."""

    travel: IntMatrix  # seconds between model nodes, rounded up
    cost: IntMatrix  # integer objective cost of each arc (travel constraint module)
    jobs: tuple[FlatJob, ...]
    vehicles: tuple[FlatVehicle, ...]
    horizon: int

    @property
    def n_jobs(self) -> int:
        return len(self.jobs)

    @property
    def n_vehicles(self) -> int:
        return len(self.vehicles)

    @property
    def has_breaks(self) -> bool:
        return any(v.lunch is not None for v in self.vehicles)


def flat_from_context(ctx: ModelContext) -> FlatProblem:
    """The integer view of ``ctx`` (see the module doc); shift times, lunch and
    windows as the route evaluator (:mod:`..schedule`) derives them."""
    vehicles = tuple(FlatVehicle(
        start_node=veh.start_node, end_node=veh.end_node, start=veh.start,
        soft_end=veh.soft_end, latest_end=veh.latest_end, lunch=veh.lunch,
        capacity=veh.capacity, labour_cost=veh.labour_cost,
        overtime_cost=veh.overtime_cost,
    ) for veh in vehicle_times(ctx))
    n_vehicles = len(vehicles)
    low_drop = round(ctx.problem.weights.unassigned[Priority.LOW] * ctx.travel_bound)
    jobs = []
    for j, (job, windows) in enumerate(zip(ctx.jobs, job_windows(ctx), strict=True)):
        deadline = ctx.problem.sla_deadline(job)
        due = (ctx.seconds(deadline) if deadline is not None
               and breach_cost(ctx, job) > low_drop else None)
        allowed = ctx.allowed[j]
        jobs.append(FlatJob(
            service=ctx.service_seconds[j],
            windows=tuple(windows),
            load=demand(job),
            allowed=None if len(allowed) == n_vehicles else frozenset(allowed),
            priority=job.priority.rank,
            drop_cost=drop_penalty(ctx, job),
            pinned=job.pinned_start is not None or job.pinned_technician is not None,
            has_soft_terms=lateness_term(ctx, job) is not None or bool(job.preferred_technicians),
            due=due,
        ))
    return FlatProblem(
        travel=np.asarray(ctx.travel_seconds, dtype=np.int64),
        cost=np.asarray(base_cost_matrix(ctx), dtype=np.int64),
        jobs=tuple(jobs),
        vehicles=vehicles,
        horizon=ctx.horizon,
    )
