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

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyvrp

from fieldops.domain.problem import DispatchProblem
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
from fieldops.solver.dispatch.params import DecomposeParams

MAX_SKILL_DIMENSIONS = 8
# How long past the whole phase a helper process's solution is awaited.
HELPER_GRACE = 1.0
# PyVRP's cost of an infeasible solution (the int64 maximum).
INFEASIBLE_COST = 2**63 - 1
# A restart needs at least this long to be worth its start (a random solution and
# the first local search take ~0.1 s at 100 customers).
MIN_RESTART_SECONDS = 0.5
# Seeds of later restarts: far from the portfolio's ``seed + 1, seed + 2, ...``.
RESTART_SEED_STRIDE = 1000


def best_of(found: list[tuple[Routes, bool, int]]) -> int:
    """Index of the best of (routes, feasible, PyVRP cost) solutions: feasible
    first, then the lowest cost (which counts the prizes left out); the first on a tie.
    """
    return min(range(len(found)), key=lambda i: (not found[i][1], found[i][2], i))


def why_not_day(problem: DispatchProblem) -> str | None:
    """Cheap pre-check on the whole day, before any matrix: why PyVRP could not take
    it (the rules of :func:`why_not` that need no model), or ``None``.

    The solver decides on it before the model exists: whether VROOM starts beside
    the construction, whether an engine pool is started, how the cores are used.
    """
    if any(s.lunch is not None for s in problem.shifts):
        return "lunch breaks"
    if any(r.pinned_start is not None or r.pinned_technician is not None
           for r in problem.requests):
        return "pinned jobs"
    if any(len(r.windows) > 1 for r in problem.requests):
        return "several windows per job"
    return None


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


@dataclass
class _Mapped:
    """``flat`` as PyVRP's problem, and how to read its routes back."""

    data: pyvrp.ProblemData
    members: list[list[int]]  # vehicles of each vehicle type, in index order
    type_of_vehicle: list[int]
    n_depots: int
    scale: int

    def initial(self, routes: list[list[int]] | None) -> pyvrp.Solution | None:
        """``routes`` (job indices per vehicle) as a PyVRP solution, if any."""
        if routes is None or not any(routes):
            return None
        return pyvrp.Solution(self.data, [
            pyvrp.Route(self.data, route, self.type_of_vehicle[v])  # client indices
            for v, route in enumerate(routes) if route
        ])

    def routes(self, n_vehicles: int, best: pyvrp.Solution) -> list[list[int]]:
        """``best``'s routes handed to each type's vehicles in index order."""
        free = {t: list(vs) for t, vs in enumerate(self.members)}
        routes: list[list[int]] = [[] for _ in range(n_vehicles)]
        for vehicle_type, visits in routes_of(best):
            routes[free[vehicle_type].pop(0)] = visits
        return routes


def _depots(flat: FlatProblem) -> tuple[dict[int, int], list[int]]:
    """One depot per distinct start/end point (vehicles at one place share it)."""
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
    return depot_of_node, depot_nodes


def _matrices(flat: FlatProblem, nodes: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """Durations, costs divided by their common factor, and that factor.

    Our costs carry COST_SCALE (100 per travel second): dividing by the common
    factor of every cost term keeps PyVRP's (bounded) penalties up with them.
    """
    durations = np.ascontiguousarray(flat.travel[np.ix_(nodes, nodes)], dtype=np.int64)
    costs = np.ascontiguousarray(flat.cost[np.ix_(nodes, nodes)], dtype=np.int64)
    np.fill_diagonal(durations, 0)
    np.fill_diagonal(costs, 0)
    unit_costs = [v.labour_cost for v in flat.vehicles] + [
        v.overtime_cost for v in flat.vehicles]
    scale = int(np.gcd.reduce(np.concatenate([costs.ravel(),
                                              np.asarray(unit_costs, dtype=np.int64)])))
    scale = max(1, scale)
    costs //= scale
    return durations, costs, scale


def _clients(flat: FlatProblem, n_depots: int, skill_sets: list[frozenset[int]],
             has_load: bool, all_required: bool, scale: int) -> list[pyvrp.Client]:
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
    return clients


def _vehicle_types(flat: FlatProblem, depot_of_node: dict[int, int],
                   skill_sets: list[frozenset[int]], has_load: bool, scale: int,
                   ) -> tuple[list[pyvrp.VehicleType], list[list[int]], list[int]]:
    """Vehicles grouped by depots, shift, capacity, costs and allowed sets."""
    n = flat.n_jobs
    total_load = sum(job.load for job in flat.jobs) + 1

    def capacity_of(v: int) -> list[int]:
        veh = flat.vehicles[v]
        capacity = [total_load if veh.capacity is None else veh.capacity] if has_load else []
        return capacity + [n if v in s else 0 for s in skill_sets]

    type_of_vehicle: list[int] = []
    type_keys: dict[tuple[object, ...], int] = {}
    members: list[list[int]] = []
    for v, veh in enumerate(flat.vehicles):
        key = (depot_of_node[veh.start_node], depot_of_node[veh.end_node], veh.start,
               veh.soft_end, veh.latest_end, tuple(capacity_of(v)), veh.labour_cost,
               veh.overtime_cost)
        if key not in type_keys:
            type_keys[key] = len(members)
            members.append([])
        type_of_vehicle.append(type_keys[key])
        members[type_keys[key]].append(v)
    vehicle_types = []
    for t, vs in enumerate(members):
        veh = flat.vehicles[vs[0]]
        # PyVRP counts overtime on the route's duration, we on its end time: the
        # same when the route leaves at shift start; re-pricing settles the rest.
        paid_overtime = veh.overtime_cost > 0 and veh.latest_end > veh.soft_end
        shift_duration = veh.soft_end - veh.start if paid_overtime else veh.latest_end
        vehicle_types.append(pyvrp.VehicleType(
            num_available=len(vs),
            capacity=capacity_of(vs[0]),
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
    return vehicle_types, members, type_of_vehicle


def _map(flat: FlatProblem, all_required: bool) -> _Mapped:
    """PyVRP's problem for ``flat`` (see the module doc for the mapping)."""
    depot_of_node, depot_nodes = _depots(flat)
    nodes = depot_nodes + list(range(flat.n_jobs))
    n_depots = len(depot_nodes)
    durations, costs, scale = _matrices(flat, nodes)
    skill_sets = sorted({job.allowed for job in flat.jobs if job.allowed is not None},
                        key=sorted)
    has_load = any(job.load > 0 for job in flat.jobs) and any(
        veh.capacity is not None for veh in flat.vehicles)
    clients = _clients(flat, n_depots, skill_sets, has_load, all_required, scale)
    vehicle_types, members, type_of_vehicle = _vehicle_types(
        flat, depot_of_node, skill_sets, has_load, scale)
    depots = [pyvrp.Depot(location=d, tw_early=0, tw_late=flat.horizon)
              for d in range(n_depots)]
    locations = [pyvrp.Location(0.0, 0.0) for _ in nodes]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types,
                             [costs], [durations])  # type: ignore[list-item]
    return _Mapped(data, members, type_of_vehicle, n_depots, scale)


class _Stagnation:
    """PyVRP stopping criterion: ``until``'s, or no better feasible cost for
    ``window`` seconds once one is known (then :attr:`stagnated` is set)."""

    def __init__(self, until: Until, window: float) -> None:
        self.until, self.window = until, window
        self.best: float = INFEASIBLE_COST
        self.since = time.monotonic()
        self.stagnated = False

    def __call__(self, best_cost: float) -> bool:
        if self.until(best_cost):
            return True
        now = time.monotonic()
        if best_cost < self.best:
            self.best, self.since = best_cost, now
            return False
        self.stagnated = self.best < INFEASIBLE_COST and now - self.since >= self.window
        return self.stagnated


def _restarting_search(data: pyvrp.ProblemData, init: pyvrp.Solution | None, seed: int,
                       until: float, stopped: Callable[[], bool], restart_after: float,
                       details: dict[str, object]) -> tuple[pyvrp.Solution, int]:
    """PyVRP from ``init`` until ``until``; each time the best feasible cost has not
    improved for ``restart_after`` seconds, a new search from PyVRP's own start with
    another seed. The best solution of all and the iterations spent.

    On Solomon's days a 10 s search finds its last improvement after 0.25-10 s
    (median about 3 s) and the seeds end far apart (R211: 0 to 1.3 % over five
    seeds): the stagnant rest is worth more as a fresh search (benchmarks/README.md,
    "Solomon at 10 s: two references below a proven optimum, and restarts").
    """
    best: pyvrp.Solution | None = None
    iterations = restarts = 0
    start = init
    while True:
        criterion = _Stagnation(Until(until, stopped), restart_after)
        result = pyvrp.solve(data, criterion, seed=seed + RESTART_SEED_STRIDE * restarts,
                             display=False, initial_solution=start, collect_stats=False)
        iterations += int(result.num_iterations)
        if best is None or cost_of(data, result.best) < cost_of(data, best):
            best = result.best
        if not criterion.stagnated or until - time.monotonic() < MIN_RESTART_SECONDS:
            break
        restarts += 1
        start = None
    if restarts:
        details["restarts"] = restarts
    return best, iterations


def _whole_search(data: pyvrp.ProblemData, init: pyvrp.Solution | None, seed: int,
                  until: float, stopped: Callable[[], bool], pool: EnginePool | None,
                  details: dict[str, object], restart_after: float = math.inf,
                  ) -> tuple[pyvrp.Solution, int, EnginePool | None]:
    """The best whole-problem solution by ``until``, the iterations spent, and the
    pool if it still works.

    This process restarts its search after ``restart_after`` seconds without a
    better solution (:func:`_restarting_search`). With a ``pool``, its other
    workers search with seeds ``seed + 1``, … beside this process and the best of
    all goes on (:func:`best_of`).
    """
    helpers = []
    if pool is not None:
        start_routes = routes_of(init) if init is not None else None
        wall_until = time.time() + until - time.monotonic()
        try:
            helpers = [pool.submit(search_whole, data, start_routes, seed + 1 + i, wall_until)
                       for i in range(pool.size - 1)]
        except Exception as exc:  # a broken pool: this process searches alone
            details["helper_errors"] = [f"{type(exc).__name__}: {exc!r}"]
            pool = None
    best, iterations = _restarting_search(data, init, seed, until, stopped, restart_after,
                                          details)
    if not helpers:
        return best, iterations, pool
    found_by: list[tuple[Routes, bool, int]] = [
        (routes_of(best), bool(best.is_feasible()), cost_of(data, best))]
    errors = []
    for future in helpers:
        try:
            found, feasible, cost, count = future.result(
                timeout=max(0.1, until + HELPER_GRACE - time.monotonic()))
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
    return best, iterations, pool


def _decompose(data: pyvrp.ProblemData, best: pyvrp.Solution, seed: int, deadline: float,
               stopped: Callable[[], bool], pool: EnginePool | None,
               params: DecomposeParams, details: dict[str, object],
               ) -> tuple[pyvrp.Solution, int]:
    """``best`` improved by sub-problems until ``deadline``; extra iterations spent."""
    if not best.is_feasible():
        # Sub-problems need a feasible start: the whole search goes on instead.
        result = pyvrp.solve(data, Until(deadline, stopped), seed=seed + 1,
                             display=False, initial_solution=best, collect_stats=False)
        return result.best, int(result.num_iterations)
    best, stats = Decomposer(data, params, seed=seed).run(best, deadline, stopped, pool)
    report: dict[str, object] = {
        "rounds": stats.rounds, "improved": stats.improved,
        "seconds": round(stats.seconds, 3), "workers": pool.size if pool else 1,
        "start_cost": stats.start_cost, "best_cost": stats.best_cost}
    if stats.errors:
        report["errors"] = stats.errors[:5]
    details["decomposition"] = report
    return best, 0


def solve(
    flat: FlatProblem,
    time_limit: float,
    *,
    seed: int = 0,
    all_required: bool = False,
    initial: list[list[int]] | None = None,
    should_stop: Callable[[], bool] | None = None,
    pool: EnginePool | None = None,
    decompose: DecomposeParams | None = None,
    restart_after: float | None = None,
) -> EngineResult:
    """Run PyVRP on ``flat`` for at most ``time_limit`` seconds.

    ``initial`` (job indices per vehicle) seeds the search; it must be feasible
    for ``flat`` when ``all_required`` is set, which is how the caller knows the
    requirement can be met. With a ``pool`` of ``k`` workers, ``k - 1`` of them
    search the whole problem beside this process with seeds ``seed + 1``, … (the
    best solution goes on; from ``decompose.min_jobs`` jobs on only for
    ``decompose.whole_share`` of the time, none when it is 0), and then all ``k``
    work on sub-problems of that one solution at once (:mod:`.decompose`).
    ``restart_after`` (seconds, on days too small to split) restarts this process's
    search from PyVRP's own start with another seed whenever it has found nothing
    better for that long.
    """
    reason = why_not(flat)
    if reason is not None:
        raise EngineUnavailable(f"PyVRP cannot express {reason}")
    params = decompose or DecomposeParams()
    started = time.monotonic()
    mapped = _map(flat, all_required)
    init = mapped.initial(initial)
    deadline = started + max(0.05, time_limit)
    split = flat.n_jobs >= params.min_jobs
    whole_until = started + params.whole_share * time_limit if split else deadline

    stopped = stop_check(should_stop, pool)  # a stop ends the workers' searches too
    details: dict[str, object] = {}
    if split and init is not None and params.whole_share == 0:
        # Sub-problems from the construction's plan at once (an infeasible one gets
        # the whole search in _decompose instead): no helper is handed the day.
        best, iterations = init, 0
    else:
        window = restart_after if restart_after and not split else math.inf
        best, iterations, pool = _whole_search(mapped.data, init, seed, whole_until,
                                               stopped, pool, details, window)
    if split:
        best, more = _decompose(mapped.data, best, seed, deadline, stopped, pool, params,
                                details)
        iterations += more
    return EngineResult(
        engine="pyvrp-hgs",
        routes=mapped.routes(len(flat.vehicles), best),
        elapsed=time.monotonic() - started,
        feasible=bool(best.is_feasible()),
        details={"iterations": iterations, "seed": seed,
                 "vehicle_types": len(mapped.members),
                 "depots": mapped.n_depots, "required": all_required,
                 "cost_divisor": mapped.scale, **details},
    )
