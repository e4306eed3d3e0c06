"""Decomposition for large PyVRP runs: groups of nearby routes improved as small problems.

Past a few hundred clients each PyVRP iteration costs time in proportion to the
whole solution (the local search loads and exports every route), so a one-minute run
on 1 000 clients makes few iterations per client. After a whole-problem phase this
module repeatedly

1. picks a routed client at random (the seed) and takes the routes serving the
   clients nearest to it, nearest first, until at least ``sub_jobs`` clients and
   ``sub_routes`` routes are in (clients no route serves, when visits are optional,
   come along if they are that near);
2. builds those clients and routes as a problem of their own: the same depots and
   vehicle types, one vehicle per selected route of each type plus one spare when
   the fleet has a vehicle of that type left unused;
3. lets PyVRP improve it for ``sub_seconds``, starting from the selected routes;
4. puts the result in place of the selected routes when it costs less.

The other routes do not change and every route is feasible on its own, so each
accepted step keeps the whole solution feasible and lowers its cost. With an
:class:`~.pool.EnginePool` of ``k`` worker processes, ``k`` sub-problems are under
way at once, each built from routes and clients that no other one holds (and
offered a spare vehicle only when one is left after the others' spares), so each
result is put back on its own as soon as it arrives. Santini,
Schneider, Vidal & Vigo (2023, *INFORMS Journal on Computing* 35(3)) measure such
route-based decompositions for hybrid genetic search on large instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fieldops.solver.dispatch.engines import EngineUnavailable
from fieldops.solver.dispatch.engines.pool import (
    EnginePool,
    stop_check,
    worker_should_stop,
)
from fieldops.solver.dispatch.params import DecomposeParams

try:  # PyVRP is a core dependency; the guard keeps the import error readable
    import pyvrp
except ImportError as exc:  # pragma: no cover
    raise EngineUnavailable("pyvrp is not installed") from exc


@dataclass
class DecomposeStats:
    """What the decomposition phase did."""

    rounds: int = 0
    improved: int = 0
    start_cost: int = 0
    best_cost: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


# A solution as this module keeps it: (vehicle type, client indices) per route.
Routes = list[tuple[int, list[int]]]


def routes_of(solution: pyvrp.Solution) -> Routes:
    """``solution``'s non-empty routes as (vehicle type, client indices)."""
    return [(int(r.vehicle_type()),
             [int(a.idx) for a in r.schedule() if a.type == pyvrp.ActivityType.CLIENT])
            for r in solution.routes()]


def as_solution(data: pyvrp.ProblemData, routes: Routes) -> pyvrp.Solution:
    return pyvrp.Solution(data, [pyvrp.Route(data, visits, t) for t, visits in routes if visits])


def cost_of(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> int:
    """PyVRP's objective of a feasible ``solution`` (a huge number when infeasible)."""
    evaluator = pyvrp.CostEvaluator([0.0] * data.num_load_dimensions, 0.0, 0.0)
    return int(evaluator.cost(solution))


class Decomposer:
    """Improves a feasible PyVRP solution of ``data`` by sub-problems (module doc).

    ``data`` must have no client groups or shipments (fieldops builds none).
    """

    def __init__(self, data: pyvrp.ProblemData, params: DecomposeParams | None = None,
                 seed: int = 0) -> None:
        self.data = data
        self.params = params or DecomposeParams()
        self.rng = np.random.default_rng(seed)
        self.n_depots = data.num_depots
        durations = np.asarray(data.duration_matrix(0))[self.n_depots:, self.n_depots:]
        # Nearness of two clients: the shorter of the two directions.
        self.near = np.minimum(durations, durations.T)
        self._clients = data.clients()

    def select(self, routes: Routes, seed_client: int,
               exclude: Collection[int] = ()) -> tuple[list[int], list[int]]:
        """Route positions and extra (unrouted) clients for the sub-problem at a seed.

        Clients in ``exclude`` (those another sub-problem is working on) are
        passed over.
        """
        route_of = {c: k for k, (_, visits) in enumerate(routes) for c in visits}
        chosen: list[int] = []
        extra: list[int] = []
        size = 0
        for c in np.argsort(self.near[seed_client], kind="stable"):
            if size >= self.params.sub_jobs and len(chosen) >= self.params.sub_routes:
                break
            if int(c) in exclude:
                continue
            k = route_of.get(int(c))
            if k is None:
                extra.append(int(c))
                size += 1
            elif k not in chosen:
                chosen.append(k)
                size += len(routes[k][1])
        return chosen, extra

    def sub_problem(self, routes: Routes, chosen: list[int], extra: list[int],
                    held: Mapping[int, int] | None = None,
                    ) -> tuple[pyvrp.ProblemData, pyvrp.Solution, list[int]]:
        """The sub-problem's data, its start (the chosen routes) and its clients.

        ``held`` counts, per vehicle type, the vehicles that sub-problems under way
        elsewhere may use besides ``routes``: a spare is offered only when the
        fleet has one left over after those.
        """
        data = self.data
        clients = [c for k in chosen for c in routes[k][1]] + extra
        index = {c: i for i, c in enumerate(clients)}
        used: dict[int, int] = dict(held or {})
        for t, _ in routes:
            used[t] = used.get(t, 0) + 1
        wanted: dict[int, int] = {}
        for k in chosen:
            t = routes[k][0]
            wanted[t] = wanted.get(t, 0) + 1
        types = sorted(wanted)
        type_index = {t: i for i, t in enumerate(types)}
        vehicle_types = []
        for t in types:
            vt = data.vehicle_type(t)
            spare = 1 if vt.num_available > used[t] else 0
            vehicle_types.append(vt.replace(num_available=wanted[t] + spare))
        locations = list(range(self.n_depots)) + [self.n_depots + c for c in clients]
        sub_clients = []
        for i, c in enumerate(clients):
            cl = self._clients[c]
            sub_clients.append(pyvrp.Client(
                location=self.n_depots + i, delivery=list(cl.delivery),
                pickup=list(cl.pickup), service_duration=cl.service_duration,
                tw_early=cl.tw_early, tw_late=cl.tw_late, release_time=cl.release_time,
                prize=cl.prize, required=cl.required, name=cl.name))
        pick = np.ix_(locations, locations)
        # PyVRP's stubs type its matrices with a shape of ``int``: Any keeps mypy quiet.
        distances: list[Any] = [np.ascontiguousarray(m[pick]) for m in data.distance_matrices()]
        durations: list[Any] = [np.ascontiguousarray(m[pick]) for m in data.duration_matrices()]
        sub = data.replace(
            locations=[data.location(loc) for loc in locations],
            clients=sub_clients,
            vehicle_types=vehicle_types,
            distance_matrices=distances,
            duration_matrices=durations,
        )
        start = as_solution(sub, [(type_index[routes[k][0]],
                                   [index[c] for c in routes[k][1]]) for k in chosen])
        return sub, start, clients

    def _task(self, live: dict[int, tuple[int, list[int]]],
              pending: Collection[_Task]) -> _Task | None:
        """The next sub-problem, away from the routes and clients of ``pending``."""
        busy_routes = {rid for task in pending for rid in task.route_ids}
        ids = [rid for rid in live if rid not in busy_routes]
        routes = [live[rid] for rid in ids]
        routed = [c for _, visits in routes for c in visits]
        if not routed:
            return None
        exclude = {c for rid in busy_routes for c in live[rid][1]}
        exclude.update(c for task in pending for c in task.extra)
        held: dict[int, int] = {}
        for task in pending:
            for t, count in task.held.items():
                held[t] = held.get(t, 0) + count
        seed_client = routed[int(self.rng.integers(len(routed)))]
        chosen, extra = self.select(routes, seed_client, exclude)
        if not chosen:
            return None
        sub, start, clients = self.sub_problem(routes, chosen, extra, held)
        types = sorted({routes[k][0] for k in chosen})
        return _Task(
            route_ids=[ids[k] for k in chosen], extra=extra, clients=clients, types=types,
            held={t: int(sub.vehicle_type(i).num_available) for i, t in enumerate(types)},
            sub=sub, start=routes_of(start))

    def run(self, solution: pyvrp.Solution, deadline: float,
            should_stop: Callable[[], bool] | None = None,
            pool: EnginePool | None = None,
            ) -> tuple[pyvrp.Solution, DecomposeStats]:
        """Improve ``solution`` until ``deadline`` (``time.monotonic``) or a stop.

        With a ``pool``, one sub-problem per worker is under way at a time, each on
        routes and clients no other one holds, so every result can be put back on
        its own; without, they run here one after another.
        """
        began = time.monotonic()
        stats = DecomposeStats()
        stats.start_cost = stats.best_cost = cost_of(self.data, solution)
        if not solution.is_feasible():
            return solution, stats
        live = dict(enumerate(routes_of(solution)))
        next_id = len(live)
        pending: dict[Future[SubResult], _Task] = {}
        slots = pool.size if pool is not None else 1
        stopped = stop_check(should_stop, pool)

        while True:
            while len(pending) < slots and not stopped():
                now = time.monotonic()
                if deadline - now < 0.2 * self.params.sub_seconds:
                    break
                task = self._task(live, list(pending.values()))
                if task is None:
                    break
                until = time.time() + min(deadline, now + self.params.sub_seconds) - now
                seed = int(self.rng.integers(2**31))
                future: Future[SubResult] | None = None
                if pool is not None:
                    try:
                        future = pool.submit(improve_sub, task.sub, task.start, seed, until)
                    except Exception as exc:  # a broken pool: go on here, one at a time
                        stats.errors.append(f"{type(exc).__name__}: {exc}")
                        pool, slots = None, 1
                if future is None:
                    future = Future()
                    future.set_result(improve_sub(task.sub, task.start, seed, until,
                                                  should_stop))
                pending[future] = task
            if not pending:
                break
            done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if not done:
                if time.monotonic() > deadline + LATE_SECONDS or stopped():
                    break  # a worker that does not answer is left behind
                continue
            for future in done:
                task = pending.pop(future)
                stats.rounds += 1
                try:
                    before, after, new = future.result()
                except Exception as exc:  # a lost sub-problem only loses its step
                    stats.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                if after < before:
                    stats.improved += 1
                    stats.best_cost -= before - after
                    for rid in task.route_ids:
                        del live[rid]
                    for t, visits in new:
                        live[next_id] = (task.types[t], [task.clients[i] for i in visits])
                        next_id += 1
        stats.seconds = time.monotonic() - began
        return as_solution(self.data, list(live.values())), stats


# What a sub-problem hands back: PyVRP's cost of its start, of its best, and the best
# solution's routes in the sub-problem's own numbering.
SubResult = tuple[int, int, Routes]
# How long past the deadline a worker's sub-problem is awaited.
LATE_SECONDS = 1.0


@dataclass
class _Task:
    """A sub-problem under way: what it holds of the whole and how to map it back."""

    route_ids: list[int]
    extra: list[int]
    clients: list[int]  # sub-problem client index -> client index of the whole
    types: list[int]  # sub-problem vehicle type -> vehicle type of the whole
    held: dict[int, int]  # vehicles of each type it may return routes for
    sub: pyvrp.ProblemData
    start: Routes


def _monotonic(wall: float) -> float:
    """A ``time.time()`` instant on this process's ``time.monotonic()`` clock."""
    return time.monotonic() + wall - time.time()


def warm_up() -> bool:
    """Run in each :class:`~.pool.EnginePool` worker as it starts; reaching it
    imports this module (and PyVRP) there before any search is handed over."""
    return True


def improve_sub(sub: pyvrp.ProblemData, start: Routes, seed: int, until: float,
                should_stop: Callable[[], bool] | None = None) -> SubResult:
    """Let PyVRP improve one sub-problem from ``start`` until ``until`` (``time.time``).

    Runs in a pool worker (where a stop comes through the pool) or here. Deadlines
    cross processes as wall-clock instants, so a task that waited for its worker
    does not run past its caller's deadline.
    """
    start_solution = as_solution(sub, start)
    result = pyvrp.solve(
        sub, Until(_monotonic(until), should_stop or worker_should_stop),
        seed=seed, collect_stats=False, display=False, initial_solution=start_solution)
    before = cost_of(sub, start_solution)
    if not result.best.is_feasible():
        return before, before, start
    return before, cost_of(sub, result.best), routes_of(result.best)


def search_whole(data: pyvrp.ProblemData, start: Routes | None, seed: int,
                 until: float) -> tuple[Routes, bool, int, int]:
    """In a pool worker: PyVRP on the whole problem from ``start`` until ``until``
    (``time.time``).

    Returns the best solution's routes, whether it is feasible, its cost and the
    number of iterations.
    """
    initial = as_solution(data, start) if start else None
    result = pyvrp.solve(data, Until(_monotonic(until), worker_should_stop),
                         seed=seed, collect_stats=False, display=False,
                         initial_solution=initial)
    best = result.best
    return routes_of(best), bool(best.is_feasible()), cost_of(data, best), int(
        result.num_iterations)


class Until:
    """PyVRP stopping criterion: a wall-clock time or the caller's stop."""

    def __init__(self, deadline: float, should_stop: Callable[[], bool] | None) -> None:
        self.deadline = deadline
        self.should_stop = should_stop

    def __call__(self, best_cost: float) -> bool:
        del best_cost
        return time.monotonic() >= self.deadline or (
            self.should_stop is not None and self.should_stop())
