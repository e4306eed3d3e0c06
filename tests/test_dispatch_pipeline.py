"""pipeline.py: one search's phases wired in order, with one deadline."""

from __future__ import annotations

import pytest

from fieldops.domain import PlanStatus
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.dispatch.deadline import Deadline
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.pipeline import new_report, solve_single
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld


def _day():  # type: ignore[no-untyped-def]
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 40)]
    return w.problem(techs, [w.job(f"J{i}", i * 9 % 50, duration=20) for i in range(6)])


def test_the_automatic_start_runs_the_candidates_then_ortools() -> None:
    problem = _day()
    plan = solve_single(problem, SolveParams(time_limit=1))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 6
    assert plan.solver["construction_objective"] is not None
    assert plan.solver["jobs_modelled"] == 6 and plan.solver["vehicles_modelled"] == 2


def test_an_ortools_first_solution_skips_the_candidates() -> None:
    problem = _day()
    plan = solve_single(problem, SolveParams(time_limit=1, first_solution="savings"))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 6
    assert "construction_objective" not in plan.solver
    assert plan.solver["first_solution"] == "savings"
    assert plan.solver["engine"].startswith("ortools")


def test_a_day_with_nothing_to_route_is_optimal_at_once() -> None:
    # The only job needs a skill nobody has: the diagnosis takes it out, no search runs.
    from fieldops.domain import Skill

    w = LineWorld()
    problem = w.problem([w.technician("A", 0)],
                        [w.job("J", 5, required_skills=(Skill("gas", 1),))])
    plan = solve_single(problem, SolveParams(time_limit=5))
    assert_valid(problem, plan)
    assert plan.status is PlanStatus.OPTIMAL and plan.routes == ()
    assert plan.solve_time.total_seconds() < 5
    assert [u.reason.value for u in plan.unassigned] == ["no_qualified_technician"]


def test_the_given_deadline_is_the_one_reported() -> None:
    problem = _day()
    deadline = Deadline.starting_now(1.5)
    plan = solve_single(problem, SolveParams(time_limit=30), deadline=deadline)
    assert_valid(problem, plan)
    assert plan.solver["time_limit"] == pytest.approx(1.5)
    assert plan.solve_time.total_seconds() < 30


def test_the_report_starts_from_the_params_and_the_model() -> None:
    problem = _day()
    params = SolveParams(time_limit=3, seed=5, metaheuristic="tabu_search")
    report = new_report(params, Deadline.starting_now(3), build_model(problem))
    assert (report.time_limit, report.seed, report.metaheuristic) == (3, 5, "tabu_search")
    assert report.first_solution == "automatic"
    assert (report.jobs_modelled, report.vehicles_modelled) == (6, 2)
