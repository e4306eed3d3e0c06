"""Phase 1 of a solve: travel matrix, diagnosis and the integer routing model.

Travel between every location the day touches is computed once; the diagnosis
(:mod:`.diagnosis`) takes out the jobs no plan can contain, with a reason; the
jobs left and the shifts that could take them become the routing model, one
constraint module at a time (:mod:`.constraints`). :class:`Model` also holds the
small conversions the later phases share (model times to instants, routes to
nodes, unrouted jobs to :class:`Unassigned` entries, a plan from routes).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from ortools.constraint_solver import pywrapcp

from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, PlanStatus, Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.resources import Shift
from fieldops.geo import TravelTimes, build_matrix, unique_locations
from fieldops.solver.dispatch import constraints
from fieldops.solver.dispatch.constraints import priority, sla
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.diagnosis import Diagnosis, diagnose
from fieldops.solver.dispatch.extract import Legs, RawRoute, build_plan

# Rows of the node matrix rounded to whole seconds together (see whole_seconds).
SECONDS_BLOCK_ROWS = 128
NO_ROOM = "no room next to the other work within the shifts and windows"


@dataclass
class Model:
    """The day as the search sees it (``ctx`` is ``None`` when no job is left)."""

    problem: DispatchProblem
    travel: TravelTimes
    diagnosis: Diagnosis
    job_ids: list[int]  # request index of each modelled job
    vehicles: list[Shift]  # the shifts some modelled job may use
    ctx: ModelContext | None
    start_loc: np.ndarray  # matrix row of each shift's start
    end_loc: np.ndarray
    job_loc: np.ndarray  # matrix row of each request's location
    shift_index: dict[str, int]  # shift id -> index in problem.shifts
    travel_bound: float = 0.0  # most travel any plan can hold, in objective units

    @property
    def unassigned(self) -> list[Unassigned]:
        """The jobs the diagnosis left out."""
        return list(self.diagnosis.unassigned)

    @functools.cached_property
    def fixed_objective(self) -> float:
        """What the jobs the diagnosis left out add to every plan's objective.

        They are outside the routing model, so its cost lacks this term; adding it
        puts the search's progress on the scale of the plan's ``objective``.
        """
        left = self.unassigned
        return (priority.penalty(self.problem, left, self.travel_bound).cost
                + sla.breach_penalty(self.problem, [], left, self.travel_bound).cost)

    @property
    def context(self) -> ModelContext:
        assert self.ctx is not None, "no job is modelled"
        return self.ctx

    @property
    def n_jobs(self) -> int:
        return len(self.job_ids)

    def leg(self, a: tuple[str, object], b: tuple[str, object]) -> Legs:
        """Exact travel between plan nodes (``("j", request)``, ``("s"|"e", shift)``)."""
        ia, ib = self._row(a), self._row(b)
        seconds = float(self.travel.durations[ia, ib])
        return Legs(seconds, float(self.travel.distances[ia, ib]), math.ceil(seconds - 1e-9))

    def _row(self, key: tuple[str, object]) -> int:
        kind, ident = key
        if kind == "j":
            return int(self.job_loc[int(ident)])  # type: ignore[call-overload]
        k = self.shift_index[str(ident)]
        return int(self.start_loc[k] if kind == "s" else self.end_loc[k])

    def at(self, seconds: int) -> datetime:
        """Model seconds as an instant."""
        return self.context.origin + timedelta(seconds=int(seconds))

    def dropped_from(self, routed: set[int]) -> list[Unassigned]:
        """The modelled jobs (request indices) not in ``routed``, as left out for room."""
        out: list[Unassigned] = []
        if self.ctx is None:
            return out
        for j, job in enumerate(self.ctx.jobs):
            if self.job_ids[j] in routed:
                continue
            reason = (UnassignedReason.PIN_INFEASIBLE if job.pinned_technician is not None
                      else UnassignedReason.NOT_ENOUGH_CAPACITY)
            out.append(Unassigned(job.id, job.priority, reason, NO_ROOM))
        return out

    def as_nodes(self, routes: list[RawRoute]) -> list[list[int]]:
        """``routes`` as routing-model indices per vehicle."""
        manager = self.context.manager
        node_of = {i: j for j, i in enumerate(self.job_ids)}
        by_shift = {r.shift.id: r for r in routes}
        return [[manager.NodeToIndex(node_of[i]) for i in by_shift[s.id].jobs]
                if s.id in by_shift else [] for s in self.vehicles]

    def plan(self, routes: list[RawRoute], status: PlanStatus, elapsed: timedelta,
             solver: dict[str, object]) -> DispatchPlan:
        """The plan of ``routes``; modelled jobs off them are listed unassigned."""
        routed = {i for r in routes for i in r.jobs}
        return build_plan(self.problem, routes, self.leg,
                          self.unassigned + self.dropped_from(routed), status, elapsed,
                          self.travel_bound, solver)


def build_model(problem: DispatchProblem, *, search_jobs: int | None = None) -> Model:
    """Matrix, diagnosis and routing model of ``problem`` (phase 1).

    With more modelled jobs than ``search_jobs`` the constraint modules are not
    added to the OR-Tools model yet: :func:`add_constraints` adds them when a
    search needs them. A day that large never gets an OR-Tools search from a warm
    start (``EngineParams.warm_start_max_jobs``), and its model costs seconds and
    gigabytes (at 5 000 jobs the arc costs alone become 30 million Python ints).
    """
    # Travel between every distinct location the day touches (jobs, shift starts
    # and ends): a shift usually starts and ends at one home, so the matrix is not
    # expanded to one row per use (at 5 000 jobs that is 700 MB less to copy).
    locations: list[Location] = [r.location for r in problem.requests]
    locations += [problem.shift_start_location(s) for s in problem.shifts]
    locations += [problem.shift_end_location(s) for s in problem.shifts]
    unique, row = unique_locations(locations)
    travel = build_matrix(problem.travel, unique)
    n_req, n_shift = len(problem.requests), len(problem.shifts)
    job_loc = row[:n_req]
    start_loc = row[n_req:n_req + n_shift]
    end_loc = row[n_req + n_shift:]
    diagnosis = diagnose(problem, travel.durations, job_loc, start_loc, end_loc)
    job_ids = [i for i, allowed in enumerate(diagnosis.allowed) if allowed]
    used = np.zeros(n_shift, dtype=bool)
    for i in job_ids:
        used[diagnosis.allowed[i]] = True
    used_shifts: list[int] = np.flatnonzero(used).tolist()
    model = Model(problem=problem, travel=travel, diagnosis=diagnosis, job_ids=job_ids,
                  vehicles=[problem.shifts[k] for k in used_shifts], ctx=None,
                  start_loc=start_loc, end_loc=end_loc, job_loc=job_loc,
                  shift_index={s.id: k for k, s in enumerate(problem.shifts)})
    if job_ids:
        node_location = np.concatenate([
            job_loc[job_ids],
            np.ravel(np.column_stack([start_loc[used_shifts], end_loc[used_shifts]])),
        ])
        model.ctx, model.travel_bound = _routing_context(model, used_shifts, node_location)
        if search_jobs is None or len(job_ids) <= search_jobs:
            add_constraints(model.ctx)
    return model


def add_constraints(ctx: ModelContext) -> None:
    """Every constraint module's part of the OR-Tools model, once."""
    if ctx.constrained:
        return
    for add in constraints.HARD + constraints.SOFT:
        add(ctx)
    ctx.constrained = True


def whole_seconds(durations: np.ndarray, node_location: np.ndarray) -> np.ndarray:
    """Travel between model nodes (``node_location``: each node's matrix row) in whole
    seconds, rounded up, as int64.

    A block of rows at a time, gathered with ``np.take`` into one reused buffer:
    gathering, rounding and converting the whole n × n square in turn made two
    float temporaries of 300 MB at 5 000 jobs and read and wrote each three times;
    a fresh fancy-indexed block per step still cost twice the CPU of the take.
    """
    n = len(node_location)
    out = np.empty((n, n), dtype=np.int64)
    buffer = np.empty((min(n, SECONDS_BLOCK_ROWS), n))
    for first in range(0, n, SECONDS_BLOCK_ROWS):
        rows = node_location[first:first + SECONDS_BLOCK_ROWS]
        block = buffer[:len(rows)]
        # "clip" writes straight into ``block`` ("raise" buffers it); the rows come
        # from unique_locations, so every one is in range.
        np.take(durations[rows], node_location, axis=1, out=block, mode="clip")
        block -= 1e-9
        np.ceil(block, out=block)
        np.copyto(out[first:first + SECONDS_BLOCK_ROWS], block, casting="unsafe")
    return out


def _routing_context(model: Model, used_shifts: list[int], node_location: np.ndarray,
                     ) -> tuple[ModelContext, float]:
    """The routing model (its constraints not added yet), and the travel bound."""
    problem, travel, vehicles = model.problem, model.travel, model.vehicles
    job_ids = model.job_ids
    # Vehicle index of each used shift (-1: unused), to renumber the allowed lists.
    shift_pos = np.full(len(problem.shifts), -1, dtype=np.int64)
    shift_pos[used_shifts] = np.arange(len(used_shifts))
    travel_seconds = whole_seconds(travel.durations, node_location)
    origin = min([problem.horizon.start] + [s.start for s in vehicles])
    last = max([problem.horizon.end] + [s.latest_end for s in vehicles])
    horizon = math.ceil((last - origin).total_seconds())
    n_nodes = len(node_location)
    starts = [len(job_ids) + 2 * v for v in range(len(vehicles))]
    ends = [len(job_ids) + 2 * v + 1 for v in range(len(vehicles))]
    manager = pywrapcp.RoutingIndexManager(n_nodes, len(vehicles), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    jobs = [problem.requests[i] for i in job_ids]
    # Most travel any plan can hold: every job entered once, every vehicle back once,
    # each leg no costlier than the costliest one.
    w = problem.weights
    max_arc = float(
        w.travel_time * travel_seconds.max()
        + w.travel_distance * travel.distances.max() / 1000
    )
    travel_bound = max(1.0, max_arc) * (len(jobs) + len(vehicles))
    ctx = ModelContext(
        problem=problem,
        jobs=jobs,
        vehicles=vehicles,
        allowed=[shift_pos[model.diagnosis.allowed[i]].tolist() for i in job_ids],
        travel=travel,
        node_location=node_location,
        origin=origin,
        horizon=horizon,
        manager=manager,
        routing=routing,
        travel_seconds=travel_seconds,
        service_seconds=[math.ceil(j.duration.total_seconds() - 1e-9) for j in jobs]
        + [0] * (2 * len(vehicles)),
        travel_bound=round(travel_bound * COST_SCALE),
    )
    return ctx, travel_bound
