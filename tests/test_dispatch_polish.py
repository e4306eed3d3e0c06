"""polish.py: OR-Tools from the best candidate, or from its own first solution."""

from __future__ import annotations

import threading

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
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    return w.problem(techs, [w.job(f"J{i}", i * 7 % 60, duration=20) for i in range(8)])


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
