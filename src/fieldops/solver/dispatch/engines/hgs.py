"""PyVRP (hybrid genetic search) for the problems it can express exactly.

Expressible: no lunch breaks, no pins, one window per job, allowed-vehicle sets
that fit in a few load dimensions. Mapping:

* depots — every distinct vehicle start/end point (matrix rows compared);
* vehicle types — vehicles grouped by depots, shift window, capacity, labour cost,
  overtime and allowed-set membership; the returned routes are handed to the
  type's vehicles in index order;
* distance matrix — our integer arc cost (travel module), so PyVRP minimises the
  same travel objective; duration matrix — our travel seconds (rounded up);
* each allowed set ``S`` that is not "every vehicle" is a load dimension: its
  jobs deliver 1, vehicles in ``S`` carry up to ``n``, the others 0;
* jobs are required when the caller knows one plan serves them all (the
  construction did), else optional with prize = our drop penalty.

SLA lateness and preferences are not modelled here; the solver re-prices the
routes with the full objective.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from fieldops.solver.dispatch.engines import EngineResult, EngineUnavailable
from fieldops.solver.dispatch.engines.decompose import (
    Decomposer,
    Routes,
    Until,
    as_solution,
    cost_of,
    routes_of,
    search_whole,
)
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.solver.dispatch.engines.pool import EnginePool, stop_check

MAX_SKILL_DIMENSIONS = 8
# From this many jobs on, the whole-problem search gets WHOLE_SHARE of the time and
# sub-problems of nearby routes the rest (:mod:`.decompose`).
DECOMPOSE_MIN_JOBS = 400
WHOLE_SHARE = 0.3
# How long past the whole phase a helper process's solution is awaited.
HELPER_GRACE = 1.0


def best_of(found: list[tuple[Routes, bool, int]]) -> int:
    """Index of the best of (routes, feasible, PyVRP cost) solutions: feasible
    first, then the lowest cost (which counts the prizes left out); the first on a tie.
    """
    return min(range(len(found)), key=lambda i: (not found[i][1], found[i][2], i))


def why_not(flat: FlatProblem) -> str | None:
    """Why PyVRP cannot express ``flat`` exactly, or ``None`` when it can."""
    if flat.has_breaks:
        return "lunch breaks"
    if any(job.pinned for job in flat.jobs):
        return "pinned jobs"
    if any(len(job.windows) > 1 for job in flat.jobs):
        return "several windows per job"
    sets = {job.allowed for job in flat.jobs if job.allowed is not None}
    if len(sets) > MAX_SKILL_DIMENSIONS:
        return f"more than {MAX_SKILL_DIMENSIONS} distinct allowed-vehicle sets"
    return None


def exact(flat: FlatProblem) -> bool:
    """Whether PyVRP's objective on ``flat`` is the full objective.

    True when PyVRP can express the problem and no job has terms it leaves out
    (SLA lateness, preferred technicians) and no shift pays overtime (PyVRP
    counts it on the route's duration, fieldops on its end time).
    """
    return why_not(flat) is None and not any(job.has_soft_terms for job in flat.jobs) \
        and not any(v.overtime_cost > 0 and v.latest_end > v.soft_end for v in flat.vehicles)


def solve(
    flat: FlatProblem,
    time_limit: float,
    *,
    seed: int = 0,
    all_required: bool = False,
    initial: list[list[int]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    pool: EnginePool | None = None,
) -> EngineResult:
    """Run PyVRP on ``flat`` for at most ``time_limit`` seconds.

    ``initial`` (job indices per vehicle) seeds the search; it must be feasible
    for ``flat`` when ``all_required`` is set, which is how the caller knows the
    requirement can be met. With a ``pool`` of ``k`` workers, ``k - 1`` of them
    search the whole problem beside this process with seeds ``seed + 1``, … (the
    best solution goes on), and then all ``k`` work on sub-problems of that one
    solution at once (:mod:`.decompose`).
    """
    try:
        import pyvrp
    except ImportError as exc:  # pragma: no cover - pyvrp is a core dependency
        raise EngineUnavailable("pyvrp is not installed") from exc
    reason = why_not(flat)
    if reason is not None:
        raise EngineUnavailable(f"PyVRP cannot express {reason}")
    started = time.monotonic()
    n = flat.n_jobs
    # Depots: one per distinct start/end point (vehicles at one place share it).
    depot_of_node: dict[int, int] = {}
    depot_nodes: list[int] = []
    seen: dict[bytes, int] = {}
    for veh in flat.vehicles:
        for node in (veh.start_node, veh.end_node):
            key = flat.travel[node].tobytes() + flat.travel[:, node].tobytes() + \
                flat.cost[node].tobytes() + flat.cost[:, node].tobytes()
            if key not in seen:
                seen[key] = len(depot_nodes)
                depot_nodes.append(node)
            depot_of_node[node] = seen[key]
    nodes = depot_nodes + list(range(n))
    n_depots = len(depot_nodes)
    durations = np.ascontiguousarray(flat.travel[np.ix_(nodes, nodes)], dtype=np.int64)
    costs = np.ascontiguousarray(flat.cost[np.ix_(nodes, nodes)], dtype=np.int64)
    np.fill_diagonal(durations, 0)
    np.fill_diagonal(costs, 0)
    # Our costs carry COST_SCALE (100 per travel second): divide by the common factor
    # of every cost term, so that PyVRP's penalties (bounded) keep up with them.
    unit_costs = [v.labour_cost for v in flat.vehicles] + [
        v.overtime_cost for v in flat.vehicles]
    scale = int(np.gcd.reduce(np.concatenate([costs.ravel(),
                                              np.asarray(unit_costs, dtype=np.int64)])))
    scale = max(1, scale)
    costs //= scale

    skill_sets = sorted({job.allowed for job in flat.jobs if job.allowed is not None},
                        key=sorted)
    has_load = any(job.load > 0 for job in flat.jobs) and any(
        veh.capacity is not None for veh in flat.vehicles)
    total_load = sum(job.load for job in flat.jobs) + 1

    clients: list[pyvrp.Client] = []
    for job in flat.jobs:
        (early, late), = job.windows
        delivery = [job.load] if has_load else []
        delivery += [1 if job.allowed == s else 0 for s in skill_sets]
        clients.append(pyvrp.Client(
            location=n_depots + len(clients),
            delivery=delivery,
            service_duration=job.service,
            tw_early=early,
            tw_late=late,
            required=all_required,
            prize=0 if all_required else max(1, job.drop_cost // scale),
        ))
    type_of_vehicle: list[int] = []
    type_keys: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    vehicle_types = []
    for v, veh in enumerate(flat.vehicles):
        capacity = [total_load if veh.capacity is None else veh.capacity] if has_load else []
        capacity += [n if v in s else 0 for s in skill_sets]
        key = (depot_of_node[veh.start_node], depot_of_node[veh.end_node], veh.start,
               veh.soft_end, veh.latest_end, tuple(capacity), veh.labour_cost,
               veh.overtime_cost)
        if key not in type_keys:
            type_keys[key] = len(members)
            members.append([])
        type_of_vehicle.append(type_keys[key])
        members[type_keys[key]].append(v)
    for t, vs in enumerate(members):
        veh = flat.vehicles[vs[0]]
        capacity = [total_load if veh.capacity is None else veh.capacity] if has_load else []
        capacity += [n if vs[0] in s else 0 for s in skill_sets]
        # PyVRP counts overtime on the route's duration, we on its end time: the
        # same when the route leaves at shift start; re-pricing settles the rest.
        paid_overtime = veh.overtime_cost > 0 and veh.latest_end > veh.soft_end
        shift_duration = veh.soft_end - veh.start if paid_overtime else veh.latest_end
        vehicle_types.append(pyvrp.VehicleType(
            num_available=len(vs),
            capacity=capacity,
            start_depot=depot_of_node[veh.start_node],
            end_depot=depot_of_node[veh.end_node],
            tw_early=veh.start,
            tw_late=veh.latest_end,
            unit_distance_cost=1,
            unit_duration_cost=veh.labour_cost // scale,
            shift_duration=max(0, shift_duration),
            max_overtime=veh.latest_end - veh.soft_end if paid_overtime else 0,
            unit_overtime_cost=veh.overtime_cost // scale if paid_overtime else 0,
            name=f"type{t}",
        ))
    depots = [pyvrp.Depot(location=d, tw_early=0, tw_late=flat.horizon)
              for d in range(n_depots)]
    locations = [pyvrp.Location(0.0, 0.0) for _ in nodes]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types,
                             [costs], [durations])  # type: ignore[list-item]

    init = None
    if initial is not None and any(initial):
        init = pyvrp.Solution(data, [
            pyvrp.Route(data, route, type_of_vehicle[v])  # visits are client indices
            for v, route in enumerate(initial) if route
        ])
    deadline = started + max(0.05, time_limit)
    decompose = n >= DECOMPOSE_MIN_JOBS
    whole_until = started + WHOLE_SHARE * time_limit if decompose else deadline

    stopped = stop_check(should_stop, pool)  # a stop ends the workers' searches too
    details: dict[str, object] = {}
    helpers = []
    if pool is not None:
        start_routes = routes_of(init) if init is not None else None
        until = time.time() + whole_until - time.monotonic()
        try:
            helpers = [pool.submit(search_whole, data, start_routes, seed + 1 + i, until)
                       for i in range(pool.size - 1)]
        except Exception as exc:  # a broken pool: this process searches alone
            details["helper_errors"] = [f"{type(exc).__name__}: {exc!r}"]
            pool = None
    result = pyvrp.solve(data, Until(whole_until, stopped), seed=seed, display=False,
                         initial_solution=init, collect_stats=False)
    best = result.best
    iterations = int(result.num_iterations)
    if helpers:
        found_by: list[tuple[Routes, bool, int]] = [
            (routes_of(best), bool(best.is_feasible()), cost_of(data, best))]
        errors = []
        for future in helpers:
            try:
                found, feasible, cost, count = future.result(
                    timeout=max(0.1, whole_until + HELPER_GRACE - time.monotonic()))
            except Exception as exc:  # a lost helper only loses its solution
                errors.append(f"{type(exc).__name__}: {exc!r}")
                continue
            iterations += count
            found_by.append((found, feasible, cost))
        winner = best_of(found_by)
        if winner > 0:
            best = as_solution(data, found_by[winner][0])
        details["whole_costs"] = [cost for _, _, cost in found_by]
        if errors:
            details["helper_errors"] = errors
    if decompose and not best.is_feasible():
        # Sub-problems need a feasible start: the whole search goes on instead.
        result = pyvrp.solve(data, Until(deadline, stopped), seed=seed + 1,
                             display=False, initial_solution=best, collect_stats=False)
        best, iterations = result.best, iterations + int(result.num_iterations)
    elif decompose:
        best, stats = Decomposer(data, seed=seed).run(best, deadline, stopped, pool)
        report: dict[str, object] = {
            "rounds": stats.rounds, "improved": stats.improved,
            "seconds": round(stats.seconds, 3), "workers": pool.size if pool else 1,
            "start_cost": stats.start_cost, "best_cost": stats.best_cost}
        if stats.errors:
            report["errors"] = stats.errors[:5]
        details["decomposition"] = report
    free = {t: list(vs) for t, vs in enumerate(members)}
    routes: list[list[int]] = [[] for _ in flat.vehicles]
    for vehicle_type, visits in routes_of(best):
        routes[free[vehicle_type].pop(0)] = visits
    return EngineResult(
        engine="pyvrp-hgs",
        routes=routes,
        elapsed=time.monotonic() - started,
        feasible=bool(best.is_feasible()),
        details={"iterations": iterations, "seed": seed,
                 "vehicle_types": len(vehicle_types), "depots": n_depots,
                 "required": all_required, "cost_divisor": scale, **details},
    )
