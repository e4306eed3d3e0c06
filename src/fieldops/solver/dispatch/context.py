"""The integer model the constraint modules build on.

Time is whole seconds after ``origin`` (travel rounded *up*, so every schedule the
solver finds is also feasible with exact travel times); costs are integers, one
objective unit being ``COST_SCALE`` integer units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from ortools.constraint_solver import pywrapcp

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.geo import TravelTimes

COST_SCALE = 100
TIME_DIMENSION = "time"
LOAD_DIMENSION = "load"
LOAD_SCALE = 1000


@dataclass
class ModelContext:
    """Everything a constraint module needs to add its part of the routing model.

    Node layout: jobs ``0..n-1`` (only the jobs that survived diagnosis), then for
    each vehicle ``v`` its start node ``n + 2v`` and end node ``n + 2v + 1``.
    """

    problem: DispatchProblem
    jobs: list[ServiceRequest]
    vehicles: list[Shift]
    allowed: list[list[int]]
    travel: TravelTimes
    node_location: np.ndarray
    origin: datetime
    horizon: int
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    travel_seconds: np.ndarray
    service_seconds: list[int]
    travel_bound: int
    time_dimension: pywrapcp.RoutingDimension | None = None
    break_intervals: dict[int, object] = field(default_factory=dict)
    constrained: bool = False  # the constraint modules are in ``routing``
    # Integer travel cost of every arc, kept by constraints.travel.base_cost_matrix:
    # the routing model, the route evaluator and the engines share one copy.
    arc_cost: np.ndarray | None = None

    @property
    def n_jobs(self) -> int:
        return len(self.jobs)

    def start_node(self, vehicle: int) -> int:
        return self.n_jobs + 2 * vehicle

    def end_node(self, vehicle: int) -> int:
        return self.n_jobs + 2 * vehicle + 1

    def job_index(self, job: int) -> int:
        return int(self.manager.NodeToIndex(job))

    def seconds(self, instant: datetime) -> int:
        """Seconds after the origin, clamped into the model's horizon."""
        value = (instant - self.origin).total_seconds()
        return int(min(max(value, 0), self.horizon))

    def seconds_up(self, duration: timedelta) -> int:
        return math.ceil(duration.total_seconds() - 1e-9)
