"""polish.py: OR-Tools from the best candidate, or from its own first solution."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from ortools.constraint_solver import routing_enums_pb2

from fieldops.domain import PlanStatus
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch import polish as polish_module
from fieldops.solver.dispatch.candidates import find_candidates
from fieldops.solver.dispatch.finish import finish
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, state_of


def _day():  # type: ignore[no-untyped-def]
    # One preference: PyVRP (which takes this day) does not model it, so OR-Tools
    # polishes after it; on a day PyVRP models in full, OR-Tools does not run.
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    return w.problem(techs, [
        w.job(f"J{i}", i * 7 % 60, duration=20,
              **({"preferred_technicians": ("A",)} if i == 0 else {}))
        for i in range(8)])


@pytest.mark.parametrize("strategy", ["path_cheapest_arc", "savings", "local_cheapest_insertion"])
def test_other_first_solution_strategies_give_valid_plans(strategy: str) -> None:
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    jobs = [w.job(f"J{i}", i * 7 % 60, duration=20) for i in range(8)]
    problem = w.problem(techs, jobs)
    plan = solve_dispatch(problem, SolveParams(time_limit=1, first_solution=strategy))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 8


@pytest.mark.parametrize(("first", "strategy"), [
    ("automatic", "PARALLEL_CHEAPEST_INSERTION"),  # insertion copes with optional jobs
    ("savings", "SAVINGS"),
    ("path_cheapest_arc", "PATH_CHEAPEST_ARC"),
])
def test_the_first_solution_strategy_handed_to_ortools(first: str, strategy: str) -> None:
    chosen = polish_module._first_solution(SolveParams(first_solution=first))  # type: ignore[arg-type]
    assert chosen == getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)


def test_ortools_starts_from_the_candidate_and_never_ends_worse() -> None:
    problem = _day()
    state = state_of(problem)
    chosen = find_candidates(state)
    polish_module.polish(state)
    assert state.report.warm_start is True
    assert state.report.routing_status  # OR-Tools ran and said how it ended
    assert state.incumbent.cost <= chosen.cost  # never worse than its start
    plan = finish(state)
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 8


def test_no_search_once_stopped() -> None:
    stop = threading.Event()
    problem = _day()
    state = state_of(problem, stop=stop)
    find_candidates(state)
    stop.set()
    polish_module.polish(state)
    assert state.report.routing_status == [] and state.report.warm_start is None
    plan = finish(state)
    assert_valid(problem, plan)
    assert plan.status is PlanStatus.CANCELLED and plan.kpis.jobs_assigned == 8


def test_a_warm_start_too_large_for_the_time_is_skipped() -> None:
    problem = _day()
    state = state_of(problem, SolveParams(time_limit=2, engines={"warm_start_max_jobs": 4}))  # type: ignore[arg-type]
    find_candidates(state)
    polish_module.polish(state)
    assert state.report.search_skipped is not None
    assert state.report.routing_status == []
    assert_valid(problem, finish(state))


class _FailingRouting:
    """The routing model, but its first search ends in ``ROUTING_FAIL`` (as on large
    days with breaks); the time limit of each later search is recorded."""

    def __init__(self, routing: Any) -> None:
        self._routing = routing
        self.later_limits: list[float] = []
        self.later_solutions: list[int] = []
        self.remaining_then: list[float] = []
        self.state: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._routing, name)

    def status(self) -> int:
        if not self.later_limits:
            return int(routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL)
        return int(self._routing.status())

    def SolveFromAssignmentWithParameters(self, warm: Any, search: Any) -> Any:
        search.time_limit.FromMilliseconds(100)  # fails early, as it does on such days
        return self._routing.SolveFromAssignmentWithParameters(warm, search)

    def SolveWithParameters(self, search: Any) -> Any:
        self.later_limits.append(search.time_limit.ToMilliseconds() / 1000)
        self.later_solutions.append(search.solution_limit)
        self.remaining_then.append(self.state.search.remaining())
        return self._routing.SolveWithParameters(search)


def test_the_second_phase_leaves_the_plans_extraction_its_time() -> None:
    # The second phase (route locks after ROUTING_FAIL) once ran to the solve's
    # deadline: the seconds kept back to build the plan went to the search.
    problem = _day()
    # PyVRP (which takes this day) is given little, so the second phase has time.
    state = state_of(problem, SolveParams(time_limit=4, engines={"hgs_share": 0.05}))  # type: ignore[arg-type]
    state.search = state.deadline.keep_back(1.5)
    find_candidates(state)
    routing = _FailingRouting(state.model.context.routing)
    routing.state = state
    state.model.context.routing = routing
    polish_module.polish(state)
    assert state.report.second_phase == "locks"
    assert routing.later_limits[0] <= routing.remaining_then[0] + 0.01
    assert_valid(problem, finish(state))


def test_the_second_phase_stops_at_its_first_plan() -> None:
    # Its local search ran 9-24 s past every limit on 1 000-job days (OR-Tools
    # checked neither its time limit nor _overdue meanwhile) and never found a
    # better plan there; its first plan (left-out jobs inserted) is what it is for.
    problem = _day()
    state = state_of(problem, SolveParams(time_limit=4, engines={"hgs_share": 0.05}))  # type: ignore[arg-type]
    find_candidates(state)
    routing = _FailingRouting(state.model.context.routing)
    routing.state = state
    state.model.context.routing = routing
    polish_module.polish(state)
    assert routing.later_solutions == [1]
    assert state.deadline.remaining() > 1.0  # it did not search on to the deadline
    assert_valid(problem, finish(state))
