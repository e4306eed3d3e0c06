"""Tiny timed routes on the line world, for the constraint-module and evaluator tests.

:func:`timed` turns "these jobs, served from these minutes" into the
:class:`~fieldops.solver.dispatch.timed.TimedRoute` the plan extraction prices,
through :func:`fieldops.solver.dispatch.schedule.time_route` itself; :func:`context_of`
builds the integer :class:`~fieldops.solver.dispatch.context.ModelContext` the
evaluator times routes on, with every job allowed on every shift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np
from ortools.constraint_solver import pywrapcp

from fieldops.domain import DispatchProblem
from fieldops.geo import build_matrix
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.schedule import time_route
from fieldops.solver.dispatch.timed import Legs, RawRoute, TimedRoute

from line_world import t


def leg_of(problem: DispatchProblem):  # type: ignore[no-untyped-def]
    """``leg(a, b)`` over the problem's own travel matrix (node keys as in
    :func:`time_route`)."""
    matrix = problem.travel.matrix
    assert matrix is not None
    shifts = {s.id: s for s in problem.shifts}

    def index(key: tuple[str, object]) -> int:
        kind, ident = key
        if kind == "j":
            location = problem.requests[int(ident)].location  # type: ignore[call-overload]
        elif kind == "s":
            location = problem.shift_start_location(shifts[str(ident)])
        else:
            location = problem.shift_end_location(shifts[str(ident)])
        assert location.matrix_index is not None
        return location.matrix_index

    def leg(a: tuple[str, object], b: tuple[str, object]) -> Legs:
        seconds = float(matrix.durations[index(a)][index(b)])
        return Legs(seconds, float(matrix.distances[index(a)][index(b)]),
                    math.ceil(seconds - 1e-9))

    return leg


def timed(problem: DispatchProblem, shift_id: str, starts: Sequence[tuple[str, float]],
          departure: float = 0, break_at: float | None = None) -> TimedRoute:
    """The route of ``shift_id`` serving ``(request id, start minute)`` in order,
    leaving at minute ``departure``; the break (if the shift has one) where the
    search would have put it, at minute ``break_at``."""
    shift = next(s for s in problem.shifts if s.id == shift_id)
    index = {r.id: i for i, r in enumerate(problem.requests)}
    raw = RawRoute(shift=shift, jobs=[index[rid] for rid, _ in starts],
                   starts=[t(m) for _, m in starts], departure=t(departure),
                   break_start=t(break_at) if break_at is not None else None)
    return time_route(problem, raw, leg_of(problem))


def context_of(problem: DispatchProblem) -> ModelContext:
    """The integer model of ``problem``: every job, every shift, no diagnosis."""
    jobs, vehicles = list(problem.requests), list(problem.shifts)
    locations = [r.location for r in jobs]
    for s in vehicles:
        locations += [problem.shift_start_location(s), problem.shift_end_location(s)]
    travel = build_matrix(problem.travel, locations)
    nodes = np.arange(len(locations))
    seconds = np.ceil(travel.durations - 1e-9).astype("int64")
    origin: datetime = min([problem.horizon.start] + [s.start for s in vehicles])
    last = max([problem.horizon.end] + [s.latest_end for s in vehicles])
    n = len(jobs)
    manager = pywrapcp.RoutingIndexManager(
        len(nodes), len(vehicles), [n + 2 * v for v in range(len(vehicles))],
        [n + 2 * v + 1 for v in range(len(vehicles))])
    return ModelContext(
        problem=problem, jobs=jobs, vehicles=vehicles,
        allowed=[list(range(len(vehicles))) for _ in jobs], travel=travel,
        node_location=nodes, origin=origin,
        horizon=math.ceil((last - origin).total_seconds()), manager=manager,
        routing=pywrapcp.RoutingModel(manager), travel_seconds=seconds,
        service_seconds=[math.ceil(j.duration.total_seconds() - 1e-9) for j in jobs]
        + [0] * (2 * len(vehicles)),
        travel_bound=COST_SCALE * 1000,
    )


def minute(ctx: ModelContext, at: float) -> int:
    """Model seconds of minute ``at`` after 08:00."""
    return ctx.seconds(t(at))
