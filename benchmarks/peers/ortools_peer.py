"""Plain OR-Tools routing on a :class:`~benchmarks.peers.FlatModel` (benchmarks only).

The textbook model: one time dimension (service + travel as transit, waiting as
slack), windows as cumul ranges, allowed vehicles, a capacity dimension, lunch
breaks as break intervals, priorities as drop penalties (critical 10⁹ … low 10⁶,
far above any travel; VRPTW jobs get 10¹¹ so a plan that drops one is reported
incomplete), PATH_CHEAPEST_ARC then guided
local search. This is the baseline issue 3 measures against, not fieldops' model.
"""

from __future__ import annotations

import time
from itertools import pairwise

from benchmarks.peers import FlatModel, PeerResult

DROP_PENALTY = (1_000_000_000, 100_000_000, 10_000_000, 1_000_000)
MANDATORY_PENALTY = 100_000_000_000


def solve(model: FlatModel, time_limit: float, *, workers: int = 1, seed: int = 0) -> PeerResult:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del workers, seed  # the routing solver is single-threaded and deterministic
    started = time.perf_counter()
    n_jobs, n_veh = model.n_jobs, model.n_vehicles
    # Node layout: jobs 0..n_jobs-1, then a start and an end node per vehicle.
    node_loc = list(model.job_location) + list(model.vehicle_start) + list(model.vehicle_end)
    starts = [n_jobs + v for v in range(n_veh)]
    ends = [n_jobs + n_veh + v for v in range(n_veh)]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), n_veh, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    dur = model.durations.tolist()
    cost = model.costs.tolist()
    service = list(model.job_service) + [0] * (2 * n_veh)

    def cost_cb(i: int, j: int) -> int:
        return int(cost[node_loc[manager.IndexToNode(i)]][node_loc[manager.IndexToNode(j)]])

    def time_cb(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(service[a] + dur[node_loc[a]][node_loc[b]])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost_cb))
    time_index = routing.RegisterTransitCallback(time_cb)
    horizon = max(w[1] for w in model.vehicle_window)
    routing.AddDimension(time_index, horizon, horizon, False, "Time")
    time_dim = routing.GetDimensionOrDie("Time")
    for v in range(n_veh):
        a, b = model.vehicle_window[v]
        time_dim.CumulVar(routing.Start(v)).SetRange(a, b)
        time_dim.CumulVar(routing.End(v)).SetRange(a, b)
    for j in range(n_jobs):
        index = manager.NodeToIndex(j)
        windows = sorted(model.job_windows[j])
        if windows:
            var = time_dim.CumulVar(index)
            var.SetRange(windows[0][0], windows[-1][1])
            for (_, end), (nxt, _) in pairwise(windows):
                if nxt > end + 1:
                    var.RemoveInterval(end + 1, nxt - 1)
        allowed = model.job_allowed[j]
        if allowed is not None:
            # -1 is "not performed"; SetAllowedVehiclesForIndex does not accept a
            # Python list in OR-Tools 9.15's bindings.
            routing.VehicleVar(index).SetValues([-1, *sorted(int(v) for v in allowed)])
        # Mandatory VRPTW jobs still get a (prohibitive) drop penalty: without one
        # PATH_CHEAPEST_ARC finds no first solution on R101 / RC101 at all.
        penalty = MANDATORY_PENALTY if model.all_required else DROP_PENALTY[model.job_priority[j]]
        routing.AddDisjunction([index], penalty)
    if any(c is not None for c in model.vehicle_capacity):
        load = list(model.job_load) + [0] * (2 * n_veh)
        demand_index = routing.RegisterUnaryTransitCallback(
            lambda i: int(load[manager.IndexToNode(i)])
        )
        caps = [c if c is not None else sum(model.job_load) for c in model.vehicle_capacity]
        routing.AddDimensionWithVehicleCapacity(demand_index, 0, caps, True, "Load")
    solver = routing.solver()
    node_visit_transit = [0] * routing.Size()
    for index in range(routing.Size()):
        node_visit_transit[index] = service[manager.IndexToNode(index)]
    for v in range(n_veh):
        brk = model.vehicle_break[v]
        if brk is None:
            continue
        earliest, latest, duration = brk
        interval = solver.FixedDurationIntervalVar(earliest, latest, duration, False, f"lunch{v}")
        time_dim.SetBreakIntervalsOfVehicle([interval], v, node_visit_transit)
    for v in range(n_veh):
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))

    first: list[float] = []

    def on_solution() -> None:
        if not first:
            first.append(time.perf_counter() - started)

    routing.AddAtSolutionCallback(on_solution)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit - (time.perf_counter() - started))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    solution = routing.SolveWithParameters(params)
    elapsed = time.perf_counter() - started
    routes: list[list[int]] = [[] for _ in range(n_veh)]
    if solution is None:
        return PeerResult(routes, elapsed, None, status="no solution")
    for v in range(n_veh):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        while not routing.IsEnd(index):
            routes[v].append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
    return PeerResult(routes, elapsed, first[0] if first else None)
