"""PyVRP (hybrid genetic search) on a pure VRPTW :class:`~benchmarks.peers.FlatModel`.

Only the VRPTW suites: PyVRP has no break intervals, so it cannot solve a field
day with lunch breaks as posed (issue 3 reports what happens when they are
dropped); the field-day harness does not offer it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.peers import FlatModel, PeerResult


def solve(model: FlatModel, time_limit: float, *, workers: int = 1, seed: int = 0) -> PeerResult:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    del workers  # single-threaded
    started = time.perf_counter()
    data = problem_data(model)
    remaining = max(0.1, time_limit - (time.perf_counter() - started))
    result = pyvrp.solve(data, MaxRuntime(remaining), seed=seed, display=False)
    elapsed = time.perf_counter() - started
    routes: list[list[int]] = [[] for _ in range(model.n_vehicles)]
    for v, route in enumerate(result.best.routes()):
        for activity in route.schedule():
            if activity.type == pyvrp.ActivityType.CLIENT:
                # activity.idx is the position in `clients`, i.e. the job index
                routes[v].append(activity.idx)
    status = "ok" if result.is_feasible() else "infeasible"
    return PeerResult(routes, elapsed, None, status=status)


def problem_data(model: FlatModel) -> Any:
    """``model`` as PyVRP's ``ProblemData`` (a pure VRPTW with one depot)."""
    import pyvrp

    if any(b is not None for b in model.vehicle_break) or any(
        a is not None for a in model.job_allowed
    ):
        raise SystemExit("the PyVRP peer only takes pure VRPTW models (no breaks, no skills)")
    if len(set(model.vehicle_start) | set(model.vehicle_end)) != 1:
        raise SystemExit("the PyVRP peer expects a single depot")
    depot = model.vehicle_start[0]
    n_loc = len(model.durations)
    # PyVRP wants the depot first: reorder locations so that the depot is 0.
    order = [depot] + [i for i in range(n_loc) if i != depot]
    position = {loc: k for k, loc in enumerate(order)}
    durations = np.ascontiguousarray(model.durations[np.ix_(order, order)], dtype=np.int64)
    costs = np.ascontiguousarray(model.costs[np.ix_(order, order)], dtype=np.int64)
    locations = [pyvrp.Location(0.0, 0.0) for _ in order]
    early, late = model.vehicle_window[0]
    clients = []
    for j in range(model.n_jobs):
        (a, b), *rest = model.job_windows[j] or [(early, late)]
        if rest:
            raise SystemExit("the PyVRP peer takes one window per job")
        clients.append(
            pyvrp.Client(
                location=position[model.job_location[j]],
                delivery=[model.job_load[j]],
                service_duration=model.job_service[j],
                tw_early=a,
                tw_late=b,
                required=model.all_required,
                prize=0 if model.all_required else 10 ** (7 - model.job_priority[j]),
            )
        )
    capacity = model.vehicle_capacity[0]
    data = pyvrp.ProblemData(
        locations,
        clients,
        [pyvrp.Depot(location=0, tw_early=early, tw_late=late)],
        [
            pyvrp.VehicleType(
                num_available=model.n_vehicles,
                capacity=[capacity if capacity is not None else sum(model.job_load)],
                tw_early=early,
                tw_late=late,
            )
        ],
        [costs],  # type: ignore[list-item]  # stubs say ndarray[int]: any int64 matrix works
        [durations],  # type: ignore[list-item]
    )
    return data
