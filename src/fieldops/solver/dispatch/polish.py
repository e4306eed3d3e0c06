"""Phase 3 of a solve: OR-Tools' routing search under the full model.

It starts from the best candidate (a warm start) or, when the caller picked an
OR-Tools construction heuristic, from that; every better plan it finds is
captured while its variables are bound, so a search that ends without returning
an assignment (OR-Tools' local search gives up early on some large days with
breaks: ``ROUTING_FAIL``) still leaves the best plan it saw, or the candidate.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from fieldops.solver.dispatch.constraints.sla import breach_cost
from fieldops.solver.dispatch.context import TIME_DIMENSION
from fieldops.solver.dispatch.extract import RawRoute
from fieldops.solver.dispatch.model import add_constraints
from fieldops.solver.dispatch.params import FirstSolution, Metaheuristic, SolveParams
from fieldops.solver.dispatch.state import SolveState

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
ORTOOLS_SUFFIX = "+ortools-routing"
TOO_BIG_REASON = "warm start too large for the remaining time"
# Below these many seconds OR-Tools is not started, or not started a second time.
MIN_SEARCH_SECONDS = 0.05
MIN_SECOND_PHASE_SECONDS = 1.0
# How long past the search's deadline OR-Tools is stopped by force (_overdue); its
# own time limit ends it before that, normally.
POLISH_GRACE_SECONDS = 0.5
# The second phase stops at its first plan: the left-out jobs inserted into the
# locked routes. Its local search ran past every limit on 1 000-job field days
# (no check of OR-Tools' time limit or of _overdue for 5.5-7.8 s in-process, and
# 9-24 s past the deadline in `fieldops solve` on four of five day shapes, load
# 3.5-5), and in those runs it never found a second, better plan.
SECOND_PHASE_SOLUTIONS = 1


def _first_solution(params: SolveParams) -> int:
    if params.first_solution is not FirstSolution.AUTOMATIC:
        return _FIRST[params.first_solution]
    # Insertion heuristics cope with optional jobs and tight windows far better than
    # arc-by-arc construction, which often finds no first plan on large days.
    return routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION


def _assignment_from_routes(
    routing: pywrapcp.RoutingModel,
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


class _Recorder:
    """OR-Tools' solution callback: counts plans, captures each better one."""

    def __init__(self, state: SolveState) -> None:
        self.state = state
        ctx = state.model.context
        self.routing = ctx.routing
        self.dim = ctx.routing.GetDimensionOrDie(TIME_DIMENSION)
        # OR-Tools' model has no breach of a late visit (constraints.sla): it is
        # added from the captured starts, so that its plans compare with the
        # candidates' costs. Request index -> (deadline, integer breach).
        self.breach: dict[int, tuple[datetime, int]] = {}
        for i, job in zip(state.model.job_ids, ctx.jobs, strict=True):
            deadline, cost = ctx.problem.sla_deadline(job), breach_cost(ctx, job)
            if deadline is not None and cost > 0:
                self.breach[i] = (deadline, cost)

    def late_breaches(self, routes: list[RawRoute]) -> int:
        """The integer breach cost of the visits of ``routes`` that start late."""
        total = 0
        for route in routes:
            for i, start in zip(route.jobs, route.starts, strict=True):
                due = self.breach.get(i)
                if due is not None and start > due[0]:
                    total += due[1]
        return total

    def capture(self) -> list[RawRoute]:
        """The current solution's routes, read while its variables are bound."""
        model, routing, dim = self.state.model, self.routing, self.dim
        manager, breaks = model.context.manager, model.context.break_intervals
        routes: list[RawRoute] = []
        for v, shift in enumerate(model.vehicles):
            index = routing.NextVar(routing.Start(v)).Value()
            if routing.IsEnd(index):
                continue
            order: list[int] = []
            starts_at: list[datetime] = []
            while not routing.IsEnd(index):
                order.append(model.job_ids[manager.IndexToNode(index)])
                starts_at.append(model.at(dim.CumulVar(index).Value()))
                index = routing.NextVar(index).Value()
            interval = breaks.get(v)
            break_start = None
            if interval is not None:
                break_start = model.at(interval.StartMin())  # type: ignore[attr-defined]
            routes.append(RawRoute(
                shift=shift, jobs=order, starts=starts_at,
                departure=model.at(dim.CumulVar(routing.Start(v)).Value()),
                break_start=break_start,
            ))
        return routes

    def __call__(self) -> None:
        state, best = self.state, self.state.incumbent
        best.solutions += 1
        cost = self.routing.CostVar().Value()
        if cost < best.cost:
            routes = self.capture()
            cost += self.late_breaches(routes)
        if cost < best.cost:
            best.cost, best.routes = cost, routes
            report = state.report
            # A candidate's name with a "+" (ruin and recreate's) keeps its name.
            if (state.params.first_solution is FirstSolution.AUTOMATIC
                    and "+" not in report.engine):
                report.engine = f"{report.engine}{ORTOOLS_SUFFIX}"
            state.tell(cost, sum(len(r.jobs) for r in routes), best.solutions)
        if state.stopped():
            self.routing.solver().FinishCurrentSearch()


def polish(state: SolveState) -> None:
    """OR-Tools from the incumbent, for the search time left (phase 3)."""
    report = state.report
    statuses: list[int] = []
    too_big = (state.start_from is not None
               and state.model.n_jobs > state.params.engines.warm_start_max_jobs)
    if too_big and report.search_skipped is None:
        report.search_skipped = TOO_BIG_REASON
    too_big = too_big or report.search_skipped is not None
    remaining = state.search.remaining()
    if remaining >= MIN_SEARCH_SECONDS and not too_big and not state.stopped():
        ctx = state.model.context
        add_constraints(ctx)  # deferred on the largest days (model.build_model)
        routing = ctx.routing
        routing.AddAtSolutionCallback(_Recorder(state))
        routing.AddSearchMonitor(routing.solver().CustomLimit(lambda: _overdue(state)))
        _search(state, state.search.remaining(), statuses)
    report.solutions = state.incumbent.solutions
    report.routing_status = statuses


def _overdue(state: SolveState) -> bool:
    """Stop OR-Tools: the caller's stop event, or the search's deadline long past.

    A 1 000-job ``fieldops solve`` whose solver was given 54 s returned after 92 s
    once in four runs (load 6; the phase that overran was not identified, the
    second phase of :func:`_search` is the suspect). This limit is checked
    throughout OR-Tools' search, its first-solution heuristic included.
    """
    return state.stopped() or state.search.remaining() < -POLISH_GRACE_SECONDS


def _search(state: SolveState, seconds: float, statuses: list[int]) -> None:
    """OR-Tools for ``seconds``; after a ``ROUTING_FAIL``, again from route locks."""
    routing = state.model.context.routing
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = _first_solution(state.params)
    search.local_search_metaheuristic = _META[state.params.metaheuristic]
    search.time_limit.FromMilliseconds(int(seconds * 1000))
    warm = _assignment_from_routes(routing, state.start_from) if state.start_from else None
    state.report.warm_start = warm is not None
    if warm is not None:
        routing.SolveFromAssignmentWithParameters(warm, search)
    else:
        routing.SolveWithParameters(search)
    statuses.append(int(routing.status()))
    # The search's clock, not the solve's: what is kept back builds the plan.
    remaining = state.search.remaining()
    if (routing.status() == routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL
            and remaining > MIN_SECOND_PHASE_SECONDS and state.incumbent.routes is not None
            and not state.stopped()):
        # Second phase: hand the best plan over as route locks, which OR-Tools
        # extends and improves without the failure seen after a restored
        # assignment (measured on generated days of 700+ jobs with breaks).
        search.time_limit.FromMilliseconds(int(remaining * 1000))
        search.solution_limit = SECOND_PHASE_SOLUTIONS
        search.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION)
        locks = state.model.as_nodes(state.incumbent.routes)
        if routing.ApplyLocksToAllVehicles(locks, False):
            state.report.second_phase = "locks"
            with state.report.phase("polish_second"):
                routing.SolveWithParameters(search)
    statuses.append(int(routing.status()))
