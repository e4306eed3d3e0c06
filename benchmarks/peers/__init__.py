"""Peer solvers that fieldops is measured against (benchmarks only).

Every peer solves the same :class:`FlatModel`: an integer, solver-neutral view of
either a VRPTW instance or a fieldops :class:`~fieldops.domain.DispatchProblem`.
Peers live in their own modules (``ortools_peer``, ``vroom_peer``, ``pyvrp_peer``)
and import their solver lazily, so the ``bench`` extra stays optional.

What a peer sees of a field day (and what it does not)
------------------------------------------------------
Kept as hard constraints: skills with levels, excluded/required technicians and pins
(as the set of vehicles allowed per job), appointment windows (``pinned_start`` is a
zero-width window), shift start and the *hard* end (shift end + maximum overtime),
the lunch break inside its window, van capacity. Priorities become the peer's
priority or drop penalty. Left out (soft in fieldops): SLA lateness, the overtime
cost, preferred technicians. Travel is minimised in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from benchmarks.instances import VrptwInstance
from fieldops.domain import DispatchProblem, Location
from fieldops.geo import build_matrix

IntArray = npt.NDArray[np.int64]

# Solomon/Homberger values are scaled by this before rounding for the peers.
VRPTW_SCALE = 1000


@dataclass
class FlatModel:
    """An integer VRP with time windows, breaks, capacities and allowed vehicles.

    Node ``i`` of ``durations``/``costs`` is a location; vehicles and jobs refer to
    locations by index. Times are integers in one unit (seconds for field days,
    ``1/VRPTW_SCALE`` of an instance unit for VRPTW) counted from ``origin``.
    """

    durations: IntArray
    costs: IntArray
    vehicle_start: list[int]
    vehicle_end: list[int]
    vehicle_window: list[tuple[int, int]]
    vehicle_capacity: list[int | None]
    vehicle_break: list[tuple[int, int, int] | None]  # earliest, latest start, duration
    job_location: list[int]
    job_service: list[int]
    job_windows: list[list[tuple[int, int]]]
    job_load: list[int]
    job_allowed: list[frozenset[int] | None]  # vehicle indices; None = any vehicle
    job_priority: list[int]  # 0 critical … 3 low
    all_required: bool  # VRPTW: every job must be served
    job_ids: list[str] = field(default_factory=list)
    vehicle_ids: list[str] = field(default_factory=list)

    @property
    def n_jobs(self) -> int:
        return len(self.job_location)

    @property
    def n_vehicles(self) -> int:
        return len(self.vehicle_start)


@dataclass
class PeerResult:
    """Routes as job indices per vehicle, plus timings (seconds of wall clock)."""

    routes: list[list[int]]
    elapsed: float
    first_solution: float | None
    status: str = "ok"
    note: str = ""

    def assigned(self) -> set[int]:
        return {j for r in self.routes for j in r}


def flat_from_vrptw(inst: VrptwInstance, scale: int = VRPTW_SCALE) -> FlatModel:
    """The VRPTW as a flat model; travel rounded *up* so that plans stay feasible."""
    dist = inst.distances
    durations = np.ceil(dist * scale - 1e-6).astype(np.int64)
    costs = np.rint(dist * scale).astype(np.int64)
    n = inst.n_customers
    depot_window = (round(inst.ready[0] * scale), round(inst.due[0] * scale))
    return FlatModel(
        durations=durations,
        costs=costs,
        vehicle_start=[0] * inst.vehicles,
        vehicle_end=[0] * inst.vehicles,
        vehicle_window=[depot_window] * inst.vehicles,
        vehicle_capacity=[round(inst.capacity)] * inst.vehicles,
        vehicle_break=[None] * inst.vehicles,
        job_location=list(range(1, n + 1)),
        job_service=[round(inst.service[i] * scale) for i in range(1, n + 1)],
        job_windows=[
            [(round(inst.ready[i] * scale), round(inst.due[i] * scale))] for i in range(1, n + 1)
        ],
        job_load=[round(inst.demand[i]) for i in range(1, n + 1)],
        job_allowed=[None] * n,
        job_priority=[2] * n,
        all_required=True,
        job_ids=[f"c{i}" for i in range(1, n + 1)],
        vehicle_ids=[f"v{k}" for k in range(1, inst.vehicles + 1)],
    )


def _seconds(t: datetime, origin: datetime) -> int:
    return round((t - origin).total_seconds())


def _capacity(value: float | None) -> int | None:
    return None if value is None else round(value)


def flat_from_problem(problem: DispatchProblem) -> FlatModel:
    """A field day as a flat model (see the module doc for what is kept)."""
    origin = problem.horizon.start
    locations: list[Location] = []
    index: dict[tuple[float, float, int | None], int] = {}

    def loc(location: Location) -> int:
        key = (location.lat, location.lon, location.matrix_index)
        if key not in index:
            index[key] = len(locations)
            locations.append(location)
        return index[key]

    shifts = problem.shifts
    starts = [loc(problem.shift_start_location(s)) for s in shifts]
    ends = [loc(problem.shift_end_location(s)) for s in shifts]
    job_locs = [loc(r.location) for r in problem.requests]
    times = build_matrix(problem.travel, locations)
    durations = np.rint(times.durations).astype(np.int64)

    techs = problem.technician_by_id
    allowed: list[frozenset[int] | None] = []
    windows: list[list[tuple[int, int]]] = []
    for r in problem.requests:
        ok = set()
        for v, s in enumerate(shifts):
            tech = techs[s.technician_id]
            if not tech.qualifies_for(r.required_skills):
                continue
            if tech.id in r.excluded_technicians:
                continue
            if r.required_technicians and tech.id not in r.required_technicians:
                continue
            if r.pinned_technician is not None and tech.id != r.pinned_technician:
                continue
            ok.add(v)
        allowed.append(None if len(ok) == len(shifts) else frozenset(ok))
        if r.pinned_start is not None:
            t = _seconds(r.pinned_start, origin)
            windows.append([(t, t)])
        else:
            windows.append(
                [(_seconds(w.start, origin), _seconds(w.end, origin)) for w in r.windows]
            )
    breaks: list[tuple[int, int, int] | None] = []
    for s in shifts:
        if s.lunch is None:
            breaks.append(None)
        else:
            breaks.append(
                (
                    _seconds(s.lunch.earliest_start, origin),
                    _seconds(s.lunch.latest_start, origin),
                    round(s.lunch.duration.total_seconds()),
                )
            )
    return FlatModel(
        durations=durations,
        costs=durations,
        vehicle_start=starts,
        vehicle_end=ends,
        vehicle_window=[
            (_seconds(s.start, origin), _seconds(s.latest_end, origin)) for s in shifts
        ],
        vehicle_capacity=[_capacity(techs[s.technician_id].capacity) for s in shifts],
        vehicle_break=breaks,
        job_location=job_locs,
        job_service=[round(r.duration.total_seconds()) for r in problem.requests],
        job_windows=windows,
        job_load=[round(r.load) for r in problem.requests],
        job_allowed=allowed,
        job_priority=[r.priority.rank for r in problem.requests],
        all_required=False,
        job_ids=[r.id for r in problem.requests],
        vehicle_ids=[s.id for s in shifts],
    )


def route_travel(model: FlatModel, routes: Sequence[Sequence[int]]) -> int:
    """Total travel (in model time units) of ``routes``, start and end legs included."""
    total = 0
    for v, route in enumerate(routes):
        if not route:
            continue
        nodes = [
            model.vehicle_start[v],
            *(model.job_location[j] for j in route),
            model.vehicle_end[v],
        ]
        total += int(sum(model.durations[a, b] for a, b in pairwise(nodes)))
    return total


PEERS = ("ortools", "vroom", "pyvrp")


def solve_with(
    peer: str, model: FlatModel, time_limit: float, workers: int = 1, seed: int = 0
) -> PeerResult:
    """Run one peer by name."""
    if peer == "ortools":
        from benchmarks.peers import ortools_peer

        return ortools_peer.solve(model, time_limit, workers=workers, seed=seed)
    if peer == "vroom":
        from benchmarks.peers import vroom_peer

        return vroom_peer.solve(model, time_limit, workers=workers, seed=seed)
    if peer == "pyvrp":
        from benchmarks.peers import pyvrp_peer

        return pyvrp_peer.solve(model, time_limit, workers=workers, seed=seed)
    raise SystemExit(f"unknown peer {peer!r} (choose from {', '.join(PEERS)})")
