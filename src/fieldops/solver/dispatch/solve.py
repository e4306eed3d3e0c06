"""Entry point of the dispatch solver.

Pipeline: travel matrix → pre-solve diagnosis (jobs no plan can contain leave with
a reason) → integer routing model, one constraint module at a time
(:mod:`.constraints`) → OR-Tools search under a time limit → extraction into a
:class:`DispatchPlan` with KPIs and penalties in real units.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, PlanStatus, Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.geo import build_matrix
from fieldops.solver.dispatch import constraints
from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.context import COST_SCALE, TIME_DIMENSION, ModelContext
from fieldops.solver.dispatch.diagnosis import diagnose
from fieldops.solver.dispatch.engines import EngineResult, EngineStopped, hgs
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import flat_from_context
from fieldops.solver.dispatch.engines.pool import EnginePool
from fieldops.solver.dispatch.extract import Legs, RawRoute, build_plan
from fieldops.solver.dispatch.improve import RuinRecreate
from fieldops.solver.dispatch.params import FirstSolution, Metaheuristic, Progress, SolveParams

WARM_START_MAX_JOBS = 1400
# Shares of the time left after the construction that an engine may use; OR-Tools
# polishes the engine's plan (under the full model) in the rest. VROOM stops by
# itself well before its timeout on small days (1 s at 100 jobs, 20 s at 350), which
# leaves OR-Tools the rest; on large days it uses its share and beats what OR-Tools
# makes of the time (measured at 1 000 jobs: VROOM at 35 s + OR-Tools 20 s was 8 %
# more travel than VROOM at 60 s).
HGS_SHARE = 0.9
# PyVRP's share on large days whose objective it models in full (no SLA, preferences
# or paid overtime): OR-Tools does not run after it; re-timing and building the plan
# then fit in the extraction margin (at 0.97 every 1 000-customer run of a minute
# ended 2.5-2.9 s early, with nothing searched in that time).
EXACT_HGS_SHARE = 0.99
VROOM_SHARE = 0.9
# Share of the time left after the engine that ruin and recreate gets on days the
# engine is VROOM (OR-Tools polishes in the rest; all of it past WARM_START_MAX_JOBS).
# VROOM keeps its 90 %: at 2 000 jobs giving it 60 % and ruin and recreate the rest
# ended with 227 h of travel, against 219 h with 90 % (same day, same machine).
RUIN_SHARE = 0.6


# OR-Tools' status when its search was cut short by the time limit.
_STOPPED_BY_LIMIT = (
    routing_enums_pb2.RoutingSearchStatus.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED)


@dataclass
class _Candidate:
    """A complete plan under the full model: routes with exact schedules, priced."""

    name: str
    cost: int
    routes: list[RawRoute]
    assigned: int
    nodes: list[list[int]]  # job nodes per vehicle, as the construction holds them


def _extraction_margin(n_jobs: int, time_limit: float) -> float:
    """Seconds kept back from the search for building the plan afterwards."""
    return min(0.1 * time_limit, 0.05 + n_jobs * 0.001)


def hgs_candidate(problem: DispatchProblem) -> bool:
    """Cheap pre-check: could PyVRP take this day (no lunch, pins, several windows)?"""
    return not (
        any(s.lunch is not None for s in problem.shifts)
        or any(r.pinned_start is not None or r.pinned_technician is not None
               or len(r.windows) > 1 for r in problem.requests)
    )


def _run_engine(
    ctx: ModelContext,
    params: SolveParams,
    clock: float,
    constructed: list[list[int]],
    threads: int,
    stop: threading.Event | None,
    info: dict[str, object],
    pool: EnginePool | None = None,
) -> EngineResult | None:
    """Run the engine that fits the problem; ``None`` when none ran or it failed.

    PyVRP when it expresses the problem exactly (with ``pool``'s processes, when
    given), else VROOM (``threads`` threads). Failures (library missing, engine
    error) are recorded in ``info["engines"]`` and the solver goes on with the
    construction.
    """
    if stop is not None and stop.is_set():
        return None
    flat = flat_from_context(ctx)
    remaining = params.time_limit - (time.monotonic() - clock)
    remaining -= _extraction_margin(flat.n_jobs, params.time_limit)
    reports: dict[str, dict[str, object]] = {}
    info["engines"] = reports
    reason = hgs.why_not(flat)
    name = "pyvrp-hgs" if reason is None else "vroom"
    try:
        if reason is None:
            # Every job routed by the construction: one plan serves them all, so
            # PyVRP may treat them as required (a much easier search than prizes).
            all_in = sum(len(r) for r in constructed) == flat.n_jobs
            budget = remaining * HGS_SHARE
            if all_in and flat.n_jobs >= hgs.DECOMPOSE_MIN_JOBS and hgs.exact(flat):
                # PyVRP optimises the full objective here, and its sub-problems gain
                # more in OR-Tools' seconds than OR-Tools does (restoring a warm start
                # alone takes seconds at this size).
                budget = remaining * EXACT_HGS_SHARE
                info["search_skipped"] = "PyVRP's objective is the full objective"
            if budget < 0.1:
                return None
            result = hgs.solve(flat, budget, seed=params.seed, all_required=all_in,
                               initial=constructed,
                               should_stop=stop.is_set if stop is not None else None,
                               pool=pool)
        else:
            budget = remaining * VROOM_SHARE
            if budget < 0.1:
                return None
            result = vroom_engine.solve(
                flat, budget, threads=threads,
                should_stop=stop.is_set if stop is not None else None)
    except EngineStopped:
        reports[name] = {"stopped": True}
        return None
    except Exception as exc:  # an engine failure only loses its candidate
        reports[name] = {"error": f"{type(exc).__name__}: {exc}"}
        return None
    travel = 0
    for v, route in enumerate(result.routes):
        if route:
            path = [flat.vehicles[v].start_node, *route, flat.vehicles[v].end_node]
            travel += int(flat.travel[path[:-1], path[1:]].sum())
    reports[name] = {"seconds": round(result.elapsed, 3), "feasible": result.feasible,
                     "assigned": sum(len(r) for r in result.routes),
                     "travel_hours": round(travel / 3600, 2), **result.details}
    if reason is not None:
        reports[name]["pyvrp_skipped"] = reason
    return result

def _ruin_and_recreate(
    builder: Constructor,
    chosen: _Candidate,
    candidate: Callable[[str, list[list[int]]], _Candidate],
    params: SolveParams,
    clock: float,
    n_jobs: int,
    stop: threading.Event | None,
    progress: Callable[[Progress], None] | None,
    info: dict[str, object],
) -> _Candidate:
    """``chosen`` improved by ruin and recreate (:mod:`.improve`) for its share of time.

    Past ``WARM_START_MAX_JOBS`` it has all the time left (OR-Tools does not run);
    below, OR-Tools gets the rest.
    """
    if stop is not None and stop.is_set():
        return chosen
    remaining = params.time_limit - (time.monotonic() - clock)
    remaining -= _extraction_margin(n_jobs, params.time_limit)
    share = 1.0 if n_jobs > WARM_START_MAX_JOBS else RUIN_SHARE
    budget = remaining * share
    if budget < 0.2:
        return chosen
    search = RuinRecreate(builder, seed=params.seed)

    def report(cost: int, assigned: int) -> None:
        if progress is not None:
            progress(Progress(objective=cost / COST_SCALE, elapsed=time.monotonic() - clock,
                              solutions=0, assigned=assigned))

    improved, stats = search.run(chosen.nodes, time.monotonic() + budget,
                                 stop.is_set if stop is not None else None, report)
    info["ruin_recreate"] = {
        "seconds": round(stats.seconds, 3), "iterations": stats.iterations,
        "accepted": stats.accepted, "improvements": stats.improved,
        "start_objective": stats.start_cost / COST_SCALE,
        "best_objective": stats.best_cost / COST_SCALE,
    }
    if stats.best_cost >= chosen.cost:
        return chosen
    better = candidate(f"{chosen.name}+ruin-recreate", builder.build(initial=improved,
                                                                      insert=False))
    if better.cost >= chosen.cost:
        return chosen
    if progress is not None:
        progress(Progress(objective=better.cost / COST_SCALE,
                          elapsed=time.monotonic() - clock, solutions=0,
                          assigned=better.assigned))
    return better


_FIRST = {
    FirstSolution.PATH_CHEAPEST_ARC: routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
    FirstSolution.PARALLEL_CHEAPEST_INSERTION:
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    FirstSolution.LOCAL_CHEAPEST_INSERTION:
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
    FirstSolution.SAVINGS: routing_enums_pb2.FirstSolutionStrategy.SAVINGS,
    FirstSolution.CHRISTOFIDES: routing_enums_pb2.FirstSolutionStrategy.CHRISTOFIDES,
}
_META = {
    Metaheuristic.GUIDED_LOCAL_SEARCH:
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH,
    Metaheuristic.SIMULATED_ANNEALING:
        routing_enums_pb2.LocalSearchMetaheuristic.SIMULATED_ANNEALING,
    Metaheuristic.TABU_SEARCH: routing_enums_pb2.LocalSearchMetaheuristic.TABU_SEARCH,
    Metaheuristic.GREEDY_DESCENT: routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
}


def _first_solution(params: SolveParams, n_jobs: int) -> int:
    if params.first_solution is not FirstSolution.AUTOMATIC:
        return _FIRST[params.first_solution]
    # Insertion heuristics cope with optional jobs and tight windows far better than
    # arc-by-arc construction, which often finds no first plan on large days.
    return routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION


def _assignment_from_routes(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    routes: list[list[int]],
) -> pywrapcp.Assignment:
    """An assignment of the next-variables only, for ``SolveFromAssignmentWithParameters``.

    ``RoutingModel.ReadAssignmentFromRoutes`` would also restore the cumul and break
    variables up front, outside the search's time limit; with breaks that restore can
    run for minutes (seen on 350-job days). Leaving it to the search keeps it inside
    the limit.
    """
    routing.CloseModel()
    assignment = routing.solver().Assignment()
    performed: set[int] = set()
    for v, route in enumerate(routes):
        chain = [routing.Start(v), *route, routing.End(v)]
        for a, b in itertools.pairwise(chain):
            assignment.Add(routing.NextVar(a))
            assignment.SetValue(routing.NextVar(a), b)
        performed.update(route)
    for index in range(routing.Size()):
        if routing.IsStart(index) or index in performed:
            continue
        assignment.Add(routing.NextVar(index))
        assignment.SetValue(routing.NextVar(index), index)  # left out
    return assignment


def solve_dispatch(
    problem: DispatchProblem,
    params: SolveParams | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> DispatchPlan:
    """Solve ``problem``; returns the best plan found within ``params.time_limit``.

    ``progress`` is called each time a better plan is found. Setting ``stop`` ends
    the search early; the best plan so far is returned with status ``cancelled``.
    With ``params.workers > 1`` several searches run in parallel processes and the
    best plan wins (:mod:`.portfolio`).
    """
    params = params or SolveParams()
    if (params.workers > 1 and params.first_solution is FirstSolution.AUTOMATIC
            and (not hgs_candidate(problem)
                 or len(problem.requests) >= hgs.DECOMPOSE_MIN_JOBS)):
        # A field day goes to VROOM, which uses the cores itself (threads); a second
        # process would only repeat the same deterministic search. A large day for
        # PyVRP uses them on one plan: whole-problem seeds side by side, then
        # sub-problems of the best at once (engines/hgs.py), which beat two whole
        # pipelines that each decompose their own plan.
        return solve_single(problem, params, progress=progress, stop=stop,
                            engine_threads=params.workers)
    if params.workers > 1:
        from fieldops.solver.dispatch.portfolio import solve_portfolio

        return solve_portfolio(problem, params, solve_single, progress, stop)
    return solve_single(problem, params, progress=progress, stop=stop)


def evaluate_routes(problem: DispatchProblem,
                    routes: Mapping[str, Sequence[str]]) -> DispatchPlan:
    """The plan that visits ``routes`` (shift id → request ids, in order), priced.

    Each route is re-timed with the solver's exact schedule (windows, lunch break,
    shift end, capacity, allowed technicians); a job that does not fit there is
    taken out and listed unassigned, ``solver["repaired_jobs"]`` counts them. Used
    to compare another solver's routes under fieldops' full objective.
    """
    return solve_single(problem, SolveParams(time_limit=86_400), fixed_routes=routes)


def solve_single(
    problem: DispatchProblem,
    params: SolveParams,
    *,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    engine_threads: int = 1,
    fixed_routes: Mapping[str, Sequence[str]] | None = None,
) -> DispatchPlan:
    """One search in this process (see :func:`solve_dispatch`).

    With ``first_solution = automatic``: the fieldops construction, then the engine
    that fits (PyVRP or VROOM, ``engine_threads`` threads), every candidate re-timed
    and priced under the full model, then OR-Tools from the best candidate.
    ``fixed_routes`` (see :func:`evaluate_routes`) replaces all of that.
    """
    pool = None
    if (engine_threads > 1 and fixed_routes is None and hgs_candidate(problem)
            and params.first_solution is FirstSolution.AUTOMATIC
            and EnginePool.available()):
        # Started now, so its processes are ready when the construction is done.
        pool = EnginePool(engine_threads)
    try:
        return _solve_single(problem, params, progress=progress, stop=stop,
                             engine_threads=engine_threads, fixed_routes=fixed_routes,
                             pool=pool)
    finally:
        if pool is not None:
            pool.close()


def _solve_single(
    problem: DispatchProblem,
    params: SolveParams,
    *,
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
    engine_threads: int,
    fixed_routes: Mapping[str, Sequence[str]] | None,
    pool: EnginePool | None,
) -> DispatchPlan:
    clock = time.monotonic()
    # Travel between every location the day touches: jobs, then shift start/end.
    locations: list[Location] = [r.location for r in problem.requests]
    locations += [problem.shift_start_location(s) for s in problem.shifts]
    locations += [problem.shift_end_location(s) for s in problem.shifts]
    travel = build_matrix(problem.travel, locations)
    n_req, n_shift = len(problem.requests), len(problem.shifts)
    job_loc = np.arange(n_req)
    start_loc = n_req + np.arange(n_shift)
    end_loc = n_req + n_shift + np.arange(n_shift)
    diagnosis = diagnose(problem, travel.durations, job_loc, start_loc, end_loc)

    job_ids = [i for i, allowed in enumerate(diagnosis.allowed) if allowed]
    used_shifts = sorted({k for i in job_ids for k in diagnosis.allowed[i]})
    shift_pos = {k: v for v, k in enumerate(used_shifts)}
    vehicles = [problem.shifts[k] for k in used_shifts]
    unassigned = list(diagnosis.unassigned)

    def leg(a: tuple[str, object], b: tuple[str, object]) -> Legs:
        ia, ib = _loc_of(a), _loc_of(b)
        seconds = float(travel.durations[ia, ib])
        return Legs(seconds, float(travel.distances[ia, ib]), math.ceil(seconds - 1e-9))

    shift_index = {s.id: k for k, s in enumerate(problem.shifts)}

    def _loc_of(key: tuple[str, object]) -> int:
        kind, ident = key
        if kind == "j":
            return int(ident)  # type: ignore[call-overload]
        k = shift_index[str(ident)]
        return int(start_loc[k] if kind == "s" else end_loc[k])

    info: dict[str, object] = {
        "engine": "ortools-routing",  # overwritten when the candidates run
        "time_limit": params.time_limit,
        "first_solution": params.first_solution.value,
        "metaheuristic": params.metaheuristic.value,
        "seed": params.seed,
        "jobs_modelled": len(job_ids),
        "vehicles_modelled": len(vehicles),
    }
    if not job_ids:
        return build_plan(problem, [], leg, unassigned, PlanStatus.OPTIMAL,
                          timedelta(seconds=time.monotonic() - clock), 0.0, info)

    node_location = np.concatenate([
        job_loc[job_ids],
        np.ravel(np.column_stack([start_loc[used_shifts], end_loc[used_shifts]])),
    ])
    travel_seconds = np.ceil(travel.durations[np.ix_(node_location, node_location)] - 1e-9)
    travel_seconds = travel_seconds.astype("int64")
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
        allowed=[[shift_pos[k] for k in diagnosis.allowed[i]] for i in job_ids],
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
    for add in constraints.HARD + constraints.SOFT:
        add(ctx)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = _first_solution(params, len(jobs))
    search.local_search_metaheuristic = _META[params.metaheuristic]

    dim = routing.GetDimensionOrDie(TIME_DIMENSION)

    def at(seconds: int) -> datetime:
        return origin + timedelta(seconds=int(seconds))

    best: dict[str, object] = {"cost": math.inf, "routes": None, "solutions": 0}

    def capture() -> list[RawRoute]:
        """The current solution's routes, read while its variables are bound."""
        routes: list[RawRoute] = []
        for v, shift in enumerate(vehicles):
            index = routing.NextVar(routing.Start(v)).Value()
            if routing.IsEnd(index):
                continue
            order: list[int] = []
            starts_at: list[datetime] = []
            while not routing.IsEnd(index):
                order.append(job_ids[manager.IndexToNode(index)])
                starts_at.append(at(dim.CumulVar(index).Value()))
                index = routing.NextVar(index).Value()
            interval = ctx.break_intervals.get(v)
            break_start = None
            if interval is not None:
                break_start = at(interval.StartMin())  # type: ignore[attr-defined]
            routes.append(RawRoute(
                shift=shift, jobs=order, starts=starts_at,
                departure=at(dim.CumulVar(routing.Start(v)).Value()),
                break_start=break_start,
            ))
        return routes

    def on_solution() -> None:
        best["solutions"] = int(best["solutions"]) + 1  # type: ignore[call-overload]
        cost = routing.CostVar().Value()
        if cost < best["cost"]:
            routes = capture()
            best["cost"], best["routes"] = cost, routes
            if params.first_solution is FirstSolution.AUTOMATIC and "+" not in str(
                    info["engine"]):
                info["engine"] = f"{info['engine']}+ortools-routing"
            if progress is not None:
                progress(Progress(objective=cost / COST_SCALE,
                                  elapsed=time.monotonic() - clock,
                                  solutions=int(best["solutions"]),  # type: ignore[call-overload]
                                  assigned=sum(len(r.jobs) for r in routes)))
        if stop is not None and stop.is_set():
            routing.solver().FinishCurrentSearch()

    def dropped_from(routed: set[int]) -> list[Unassigned]:
        out = []
        for j, job in enumerate(jobs):
            if job_ids[j] in routed:
                continue
            reason = (UnassignedReason.PIN_INFEASIBLE if job.pinned_technician is not None
                      else UnassignedReason.NOT_ENOUGH_CAPACITY)
            out.append(Unassigned(job.id, job.priority, reason,
                                  "no room next to the other work within the shifts and windows"))
        return out

    def as_nodes(routes: list[RawRoute]) -> list[list[int]]:
        node_of = {i: j for j, i in enumerate(job_ids)}
        by_shift = {r.shift.id: r for r in routes}
        return [[manager.NodeToIndex(node_of[i]) for i in by_shift[s.id].jobs]
                if s.id in by_shift else [] for s in vehicles]

    routing.AddAtSolutionCallback(on_solution)
    if stop is not None:
        routing.AddSearchMonitor(routing.solver().CustomLimit(stop.is_set))
    start_from: list[list[int]] | None = None
    candidate_plan: DispatchPlan | None = None
    candidate_plan_routes: object = None
    if params.first_solution is FirstSolution.AUTOMATIC:
        builder = Constructor(ctx)

        def candidate(name: str, routes_v: list[list[int]]) -> _Candidate:
            """Routes per vehicle with the builder's exact schedules, priced."""
            raw: list[RawRoute] = []
            for v, route in enumerate(routes_v):
                if not route:
                    continue
                sched = builder.schedules[v]
                first_drive = int(travel_seconds[ctx.start_node(v), route[0]])
                departure = builder.vehicles[v].start
                if sched.break_start is None or sched.break_start >= sched.starts[0]:
                    departure = max(departure, sched.starts[0] - first_drive)
                raw.append(RawRoute(
                    shift=vehicles[v], jobs=[job_ids[j] for j in route],
                    starts=[at(x) for x in sched.starts], departure=at(departure),
                    break_start=(at(sched.break_start) if sched.break_start is not None
                                 else None),
                ))
            routed = {j for r in routes_v for j in r}
            cost = sum(sc.cost for sc in builder.schedules) + sum(
                drop_penalty(ctx, jobs[j]) for j in range(len(jobs)) if j not in routed)
            return _Candidate(name, cost, raw, len(routed), [list(r) for r in routes_v])

        if fixed_routes is not None:
            node_of = {i: j for j, i in enumerate(job_ids)}
            request_index = {r.id: i for i, r in enumerate(problem.requests)}
            given: list[list[int]] = [[] for _ in vehicles]
            for v, shift in enumerate(vehicles):
                given[v] = [node_of[request_index[rid]]
                            for rid in fixed_routes.get(shift.id, ())
                            if request_index.get(rid) in node_of]
            fixed = candidate("evaluated", builder.build(initial=given, insert=False))
            info["engine"] = fixed.name
            info["repaired_jobs"] = builder.repaired
            best["cost"], best["routes"] = fixed.cost, fixed.routes
            params = dataclasses.replace(params, time_limit=time.monotonic() - clock + 0.01)
        # VROOM needs no start plan: it runs in its child interpreter while the
        # construction is built here, so that it gets the construction's seconds.
        early: dict[str, EngineResult | None] = {}
        early_thread: threading.Thread | None = None
        if fixed_routes is None and not hgs_candidate(problem):
            early_thread = threading.Thread(
                target=lambda: early.update(result=_run_engine(
                    ctx, params, clock, [], engine_threads, stop, info)),
                name="fieldops-engine", daemon=True)
            early_thread.start()
        routes_built = builder.build() if fixed_routes is None else []
        built = candidate("fieldops-insertion", routes_built)
        if fixed_routes is None:
            info["construction_objective"] = built.cost / COST_SCALE
        info["construction_seconds"] = round(time.monotonic() - clock, 3)
        if progress is not None:
            progress(Progress(objective=built.cost / COST_SCALE,
                              elapsed=time.monotonic() - clock, solutions=0,
                              assigned=built.assigned))
        chosen = built if fixed_routes is None else fixed
        engine = None
        if early_thread is not None:
            early_thread.join()
            engine = early.get("result")
        elif fixed_routes is None:
            engine = _run_engine(ctx, params, clock, routes_built, engine_threads, stop, info,
                                 pool)
            if pool is not None:
                pool.close()  # the engine was its only user
        if engine is not None:
            repaired = candidate(engine.engine, builder.build(initial=engine.routes))
            report = info["engines"][engine.engine]  # type: ignore[index]
            report["objective_internal"] = repaired.cost / COST_SCALE
            report["repaired_jobs"] = builder.repaired
            if repaired.cost < chosen.cost:
                chosen = repaired
                if progress is not None:
                    progress(Progress(objective=repaired.cost / COST_SCALE,
                                      elapsed=time.monotonic() - clock, solutions=0,
                                      assigned=repaired.assigned))
        if fixed_routes is None and not hgs_candidate(problem):
            chosen = _ruin_and_recreate(builder, chosen, candidate, params, clock, len(jobs),
                                        stop, progress, info)
        best["cost"], best["routes"] = chosen.cost, chosen.routes
        info["engine"] = chosen.name
        start_from = as_nodes(chosen.routes)
        if fixed_routes is None:
            # The chosen candidate as a plan, priced exactly as returned plans are
            # (internal costs round times and costs to integers, and leave out the
            # jobs the diagnosis removed), so OR-Tools' result must beat this one.
            routed_c = {i for r in chosen.routes for i in r.jobs}
            candidate_plan = build_plan(
                problem, chosen.routes, leg, unassigned + dropped_from(routed_c),
                PlanStatus.FEASIBLE, timedelta(0), travel_bound, dict(info))
            candidate_plan_routes = chosen.routes

    # The best solution is captured in the callback while its variables are bound,
    # so a search that ends without returning an assignment (OR-Tools' local search
    # gives up early on some large days with breaks: ROUTING_FAIL) still leaves the
    # best plan it saw, or the construction.
    statuses: list[int] = []
    remaining = params.time_limit - (time.monotonic() - clock)
    # Restoring a warm start is not bounded by OR-Tools' time limit and grows fast
    # with size (about 2 s at 1 000 jobs, over 80 s at 2 000, with breaks): past
    # WARM_START_MAX_JOBS the best candidate is the answer so that the time limit
    # always holds. Plan extraction after the search also takes time (about 1 s per
    # 1 000 jobs): that is kept back from the search.
    too_big = start_from is not None and len(jobs) > WARM_START_MAX_JOBS
    if too_big and "search_skipped" not in info:
        info["search_skipped"] = "warm start too large for the remaining time"
    too_big = too_big or "search_skipped" in info
    remaining -= _extraction_margin(len(jobs), params.time_limit)
    if (remaining >= 0.05 and not too_big and fixed_routes is None
            and not (stop is not None and stop.is_set())):
        search.time_limit.FromMilliseconds(int(remaining * 1000))
        warm = _assignment_from_routes(routing, manager, start_from) if start_from else None
        info["warm_start"] = warm is not None
        if warm is not None:
            routing.SolveFromAssignmentWithParameters(warm, search)
        else:
            routing.SolveWithParameters(search)
        statuses.append(int(routing.status()))
        remaining = params.time_limit - (time.monotonic() - clock)
        if (routing.status() == routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL
                and remaining > 1.0 and best["routes"] is not None
                and not (stop is not None and stop.is_set())):
            # Second phase: hand the best plan over as route locks, which OR-Tools
            # extends and improves without the failure seen after a restored
            # assignment (measured on generated days of 700+ jobs with breaks).
            search.time_limit.FromMilliseconds(int(remaining * 1000))
            search.first_solution_strategy = (
                routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION)
            locks = as_nodes(best["routes"])  # type: ignore[arg-type]
            if routing.ApplyLocksToAllVehicles(locks, False):
                info["second_phase"] = "locks"
                routing.SolveWithParameters(search)
        statuses.append(int(routing.status()))
    cancelled = stop is not None and stop.is_set()
    info["solutions"] = best["solutions"]
    info["routing_status"] = statuses
    elapsed = timedelta(seconds=time.monotonic() - clock)
    routes_found: list[RawRoute] | None = best["routes"]  # type: ignore[assignment]
    if routes_found is None:
        status = PlanStatus.CANCELLED if cancelled else PlanStatus.NO_SOLUTION
        return build_plan(problem, [], leg, unassigned + dropped_from(set()), status,
                          elapsed, travel_bound, info)
    if cancelled:
        status = PlanStatus.CANCELLED
    elif statuses and statuses[-1] == routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL:
        status = PlanStatus.OPTIMAL
    elif (statuses and statuses[-1] == _STOPPED_BY_LIMIT) or elapsed.total_seconds() >= (
            params.time_limit - _extraction_margin(len(jobs), params.time_limit)) * 0.95:
        status = PlanStatus.TIME_LIMIT
    else:
        status = PlanStatus.FEASIBLE
    info["objective_internal"] = float(best["cost"]) / COST_SCALE  # type: ignore[arg-type]
    if candidate_plan is not None and routes_found is candidate_plan_routes:
        return dataclasses.replace(candidate_plan, status=status, solve_time=elapsed,
                                   solver=info)
    routed = {i for r in routes_found for i in r.jobs}
    plan = build_plan(problem, routes_found, leg, unassigned + dropped_from(routed), status,
                      elapsed, travel_bound, info)
    if candidate_plan is not None and candidate_plan.objective < plan.objective:
        info["engine"] = str(info["engine"]).replace("+ortools-routing", "")
        info["ortools_objective_rejected"] = plan.objective
        elapsed = timedelta(seconds=time.monotonic() - clock)
        return dataclasses.replace(candidate_plan, status=status, solve_time=elapsed,
                                   solver=info)
    return plan
